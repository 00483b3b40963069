// Fuzzes the console's publish body (POST /api/v1/publish, http::ParsePublishRequest): any
// bytes parse or fail with InvalidArgument; what parses has QoS 0 or 1, and a base64 payload
// that parses re-encodes to the text it came from.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/topic_bridge.h"
#include "keys/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = verbund::http::ParsePublishRequest(in);
  if (!r.ok()) {
    if (r.status().code() != verbund::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  if (r->qos > 1) __builtin_trap();
  auto j = nlohmann::json::parse(in, nullptr, false);
  auto payload = j.find("payload");
  if (j.value("encoding", "utf8") == "base64" && payload != j.end()) {
    const std::string& text = payload->get_ref<const std::string&>();
    const std::string again = verbund::keys::EncodeBase64(r->payload);
    if (again != text) __builtin_trap();
  }
  return 0;
}
