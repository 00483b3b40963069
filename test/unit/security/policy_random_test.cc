// Randomised: the compiled policy (trie, globs, placeholders, SessionPolicy) against a
// straightforward reference evaluator over thousands of random rules, topics and filters.
#include <gtest/gtest.h>

#include <random>

#include "security/directory.h"
#include "security/names.h"
#include "security/policy.h"
#include "security/topic_filter.h"
#include "security_test_util.h"

namespace verbund::security {
namespace {

// ---- the reference: linear, textual, no index.

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find('/', start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

bool RefMatch(const std::string& filter, const std::string& topic) {
  auto f = Split(filter), t = Split(topic);
  bool dollar = !t[0].empty() && t[0][0] == '$';
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return !(i == 0 && dollar);
    if (i >= t.size()) return false;
    if (f[i] == "+") {
      if (i == 0 && dollar) return false;
      continue;
    }
    if (f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

bool RefGlob(std::string_view g, std::string_view s) {
  if (g.empty()) return s.empty();
  if (g[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (RefGlob(g.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  return !s.empty() && g[0] == s[0] && RefGlob(g.substr(1), s.substr(1));
}

// Replaces %c/%u; nullopt if a used value is not substitutable. Stars from values are escaped
// as '\x01' so the reference glob treats them literally.
std::optional<std::string> RefSubstitute(const std::string& p, const std::string& client,
                                         const std::string& user, bool glob) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '%' && i + 1 < p.size() && (p[i + 1] == 'c' || p[i + 1] == 'u')) {
      const std::string& v = p[i + 1] == 'c' ? client : user;
      if (v.empty() || v.find_first_of(std::string("+#/\0", 4)) != std::string::npos) {
        return std::nullopt;
      }
      for (char c : v) out += (glob && c == '*') ? '\x01' : c;
      ++i;
    } else {
      out += p[i];
    }
  }
  return out;
}

bool RefGlobMatch(const std::string& g, const std::string& s) {
  // '\x01' in g is a literal '*'.
  std::string s2 = s;
  for (auto& c : s2) {
    if (c == '*') c = '\x01';
  }
  return RefGlob(g, s2);
}

bool RefAllowed(const std::vector<Rule>& rules, const std::string& principal,
                const std::string& client, Right right, const std::string& subject) {
  if (rules.empty()) return true;
  bool allow = false;
  for (const Rule& r : rules) {
    if (!(r.rights & Bit(right))) continue;
    if (r.principal != "*" && r.principal != principal) continue;
    bool topic = Bit(right) & kTopicRights;
    auto p = RefSubstitute(r.pattern, client, principal, !topic);
    if (!p) {
      if (r.effect == Effect::kDeny) return false;
      continue;
    }
    bool match;
    if (topic) {
      match = RefMatch(*p, subject);
    } else {
      size_t ps = p->find('/'), ss = subject.find('/');
      std::string sdb = subject.substr(0, ss);
      std::string sm = ss == std::string::npos ? "" : subject.substr(ss + 1);
      match = RefGlobMatch(p->substr(0, ps), sdb) && RefGlobMatch(p->substr(ps + 1), sm);
    }
    if (!match) continue;
    if (r.effect == Effect::kDeny) return false;
    allow = true;
  }
  return allow;
}

bool RefCanSubscribe(const std::vector<Rule>& rules, const std::string& principal,
                     const std::string& client, const std::string& filter) {
  if (rules.empty()) return true;
  bool allow = false;
  for (const Rule& r : rules) {
    if (!(r.rights & Bit(Right::kSubscribe))) continue;
    if (r.principal != "*" && r.principal != principal) continue;
    auto p = RefSubstitute(r.pattern, client, principal, false);
    if (!p) {
      if (r.effect == Effect::kDeny) return false;
      continue;
    }
    if (!FilterCovers(*p, filter)) continue;  // FilterCovers is checked by brute force elsewhere
    if (r.effect == Effect::kDeny) return false;
    allow = true;
  }
  return allow;
}

// ---- generators

const std::vector<std::string> kLevels = {"a", "b", "c", "", "$s", "bob", "c1"};
const std::vector<std::string> kPrincipals = {"bob", "eve", "amy"};
const std::vector<std::string> kClients = {"c1", "c2", "+", "x/y", "bob"};

std::string Pick(std::mt19937& rng, const std::vector<std::string>& v) {
  return v[rng() % v.size()];
}

std::string RandomTopicPattern(std::mt19937& rng, bool allow_wild, bool allow_placeholders) {
  int n = 1 + rng() % 4;
  std::string f;
  for (int i = 0; i < n; ++i) {
    if (i) f += '/';
    int k = rng() % 10;
    if (allow_wild && k == 0) {
      f += "+";
    } else if (allow_placeholders && k == 1) {
      f += "%u";
    } else if (allow_placeholders && k == 2) {
      f += "%c";
    } else if (allow_placeholders && k == 3) {
      f += "x-%c";
    } else {
      f += Pick(rng, kLevels);
    }
  }
  if (f.empty()) f = "a";  // "" is no topic or filter
  if (allow_wild && rng() % 3 == 0) f += "/#";
  if (allow_wild && rng() % 15 == 0) f = "#";
  return f;
}

std::string RandomGlobPart(std::mt19937& rng, bool placeholders) {
  static const std::vector<std::string> kBits = {"acme", "_", "m", "x", "*", "1"};
  std::string g;
  int n = 1 + rng() % 4;
  for (int i = 0; i < n; ++i) {
    if (placeholders && rng() % 8 == 0) {
      g += rng() % 2 ? "%u" : "%c";
    } else {
      g += Pick(rng, kBits);
    }
  }
  return g;
}

std::string RandomDb(std::mt19937& rng) {
  static const std::vector<std::string> kDbs = {"acme",    "acme_x", "acme_m1", "acme_bob",
                                                "acme_c1", "acme_*", "acme_1x"};
  return Pick(rng, kDbs);
}

Rule RandomRule(std::mt19937& rng) {
  Rule r;
  r.tenant = "acme";
  r.effect = rng() % 4 == 0 ? Effect::kDeny : Effect::kAllow;
  r.principal = rng() % 3 == 0 ? Pick(rng, kPrincipals) : "*";
  if (rng() % 3 == 0) {
    r.rights = rng() % 2 ? Bit(Right::kWrite) : Bit(Right::kQuery);
    if (rng() % 4 == 0) r.rights = kDataRights;
    r.pattern = RandomGlobPart(rng, true) + "/" + RandomGlobPart(rng, true);
  } else {
    r.rights = rng() % 2 ? Bit(Right::kPublish) : Bit(Right::kSubscribe);
    if (rng() % 4 == 0) r.rights = kTopicRights;
    r.pattern = RandomTopicPattern(rng, true, rng() % 4 == 0);
  }
  return r;
}

TEST(PolicyRandomTest, CompiledPolicyAgreesWithReference) {
  std::mt19937 rng(1234);
  int allowed = 0, total = 0;
  for (int round = 0; round < 40; ++round) {
    std::vector<Rule> rules;
    int n = round == 0 ? 0 : 1 + rng() % 120;
    for (int i = 0; i < n; ++i) {
      rules.push_back(RandomRule(rng));
      ASSERT_TRUE(CheckRule(rules.back()).ok())
          << "[" << rules.back().pattern << "] " << CheckRule(rules.back()).ToString();
    }
    auto policy = TenantPolicy::Compile(rules);
    for (int q = 0; q < 300; ++q) {
      std::string principal = Pick(rng, kPrincipals);
      std::string client = Pick(rng, kClients);
      uint32_t sel = policy->SelectorOf(principal);
      Right right;
      std::string subject;
      switch (rng() % 4) {
        case 0:
          right = Right::kPublish;
          break;
        case 1:
          right = Right::kSubscribe;
          break;
        case 2:
          right = Right::kWrite;
          break;
        default:
          right = Right::kQuery;
          break;
      }
      if (Bit(right) & kTopicRights) {
        subject = RandomTopicPattern(rng, false, false);
      } else {
        subject = RandomDb(rng) + "/" + RandomGlobPart(rng, false);
      }
      bool want = RefAllowed(rules, principal, client, right, subject);
      ASSERT_EQ(policy->Evaluate(sel, principal, client, right, subject), want)
          << "round " << round << " " << principal << " " << client << " " << subject;
      allowed += want;
      ++total;
      std::string filter = RandomTopicPattern(rng, true, false);
      ASSERT_EQ(policy->EvaluateSubscribe(sel, principal, client, filter),
                RefCanSubscribe(rules, principal, client, filter))
          << "round " << round << " subscribe " << filter << " client " << client;
    }
  }
  EXPECT_GT(allowed, total / 20);
  EXPECT_LT(allowed, total - total / 20);
}

// The same through a Directory, comparing Snapshot and SessionPolicy with the reference.
TEST(PolicyRandomTest, SnapshotAndSessionAgreeWithReference) {
  std::mt19937 rng(99);
  auto dir = testing::OpenPlain(testing::TempPath("random"));
  ASSERT_TRUE(dir->CreateTenant("acme").ok());
  for (const auto& p : kPrincipals) {
    ASSERT_TRUE(dir->CreatePrincipal("acme", p, PrincipalKind::kDevice).ok());
  }
  std::vector<Rule> rules;
  for (int i = 0; i < 300; ++i) rules.push_back(RandomRule(rng));
  ASSERT_TRUE(dir->AddRules(rules).ok());
  auto snap = dir->snapshot();
  for (int q = 0; q < 3000; ++q) {
    std::string principal = Pick(rng, kPrincipals);
    std::string client = Pick(rng, kClients);
    Identity who = testing::CertIdentity(*snap, "acme", principal);
    auto session = snap->PolicyFor(who, client);
    bool topic = rng() % 2;
    Right right = topic ? (rng() % 2 ? Right::kPublish : Right::kSubscribe)
                        : (rng() % 2 ? Right::kWrite : Right::kQuery);
    std::string subject = topic ? RandomTopicPattern(rng, false, false)
                                : RandomDb(rng) + "/" + RandomGlobPart(rng, false);
    bool want = RefAllowed(rules, principal, client, right, subject);
    if (!topic && !TenantOwnsDatabase("acme", subject.substr(0, subject.find('/')))) want = false;
    ASSERT_EQ(snap->Allowed(who, right, subject, client), want) << subject;
    ASSERT_EQ(session.Allowed(right, subject), want) << subject;
    std::string filter = RandomTopicPattern(rng, true, false);
    bool want_sub = RefCanSubscribe(rules, principal, client, filter);
    ASSERT_EQ(snap->CanSubscribe(who, filter, client), want_sub) << filter;
    ASSERT_EQ(session.CanSubscribe(filter), want_sub) << filter;
  }
}

}  // namespace
}  // namespace verbund::security
