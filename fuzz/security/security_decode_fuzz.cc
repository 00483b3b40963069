// Fuzzes the security library's decoders with arbitrary bytes: the directory file framing and
// payload decoder, the API token parser, rule patterns, topic filter cover and matching. Must
// never crash or hang; a payload that decodes must re-encode to a payload that decodes to the
// same state (fields a decoder skips may be dropped, so bytes need not be equal), and a token
// that parses must hash consistently.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/directory_format.h"
#include "security/names.h"
#include "security/pattern.h"
#include "security/policy.h"
#include "security/token.h"
#include "security/topic_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::security;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto file = DecodeDirectoryFile(in);
  std::string_view payload = file.ok() ? file->body : in;
  for (std::string_view p : {payload, in}) {
    auto state = DecodeDirectoryPayload(p);
    if (state.ok()) {
      auto again = DecodeDirectoryPayload(EncodeDirectoryPayload(*state));
      if (!again.ok() || !(*again == *state)) std::abort();
      // Every decoded rule must compile.
      std::vector<Rule> rules;
      for (const auto& [id, r] : state->rules) rules.push_back(r);
      (void)TenantPolicy::Compile(rules);
    }
  }

  auto token = ParseToken(in);
  if (token.ok()) {
    if (!ValidTokenId(token->id)) std::abort();
    if (!SecretHashEquals(HashSecret(token->secret), HashSecret(token->secret))) std::abort();
  }

  // "<a>\n<b>": patterns, filters and a tiny policy over them.
  size_t nl = in.find('\n');
  std::string_view a = in.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  (void)ParseDataPattern(a);
  auto tp = ParseTopicPattern(a);
  if (tp.ok()) (void)SpecializeTopic(*tp, b, "bob");
  if (ValidTopicFilter(a) && ValidTopicFilter(b)) {
    if (!FilterCovers(a, a)) std::abort();
    bool covers = FilterCovers(a, b);
    if (ValidTopicName(b) && covers && !FilterMatches(a, b)) std::abort();
  }
  Rule rule;
  rule.tenant = "acme";
  rule.rights = Bit(Right::kPublish) | Bit(Right::kSubscribe);
  rule.pattern = std::string(a);
  if (CheckRule(rule).ok()) {
    auto policy = TenantPolicy::Compile({rule});
    (void)policy->Evaluate(TenantPolicy::kUnnamed, "bob", b, Right::kPublish, b);
    if (ValidTopicFilter(b)) (void)policy->EvaluateSubscribe(TenantPolicy::kUnnamed, "bob", "c", b);
  }
  (void)ValidCertificateIdentity(in);
  (void)TenantOfDatabase(a);
  return 0;
}
