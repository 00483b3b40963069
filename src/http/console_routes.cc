#include "http/console_routes.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "http/responses.h"
#include "keys/base64.h"

namespace verbund::http {
namespace {

using nlohmann::json;

Response NotAllowed(std::string_view method, std::string allow) {
  Response r =
      NativeError(405, "method_not_allowed", "method " + std::string(method) + " not allowed");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

Response EventStream() {
  Response r;
  r.status = 200;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Standard base64 (RFC 4648 4, padded) to bytes, canonical only: the text must be the bytes'
// encoding (no whitespace, no stray bits).
std::optional<std::string> DecodeCanonicalBase64(std::string_view text) {
  std::optional<std::string> bytes = keys::DecodeBase64(text);
  if (!bytes || keys::EncodeBase64(*bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace

Result<PublishRequest> ParsePublishRequest(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object");
  PublishRequest r;
  auto topic = j.find("topic");
  if (topic == j.end() || !topic->is_string())
    return InvalidArgument("topic: a string is required");
  r.topic = topic->get<std::string>();
  std::string encoding = "utf8";
  if (auto e = j.find("encoding"); e != j.end()) {
    if (!e->is_string()) return InvalidArgument("encoding: utf8 or base64");
    encoding = e->get<std::string>();
    if (encoding != "utf8" && encoding != "base64") {
      return InvalidArgument("encoding: utf8 or base64");
    }
  }
  if (auto p = j.find("payload"); p != j.end()) {
    if (!p->is_string()) return InvalidArgument("payload: a string");
    if (encoding == "utf8") {
      r.payload = p->get<std::string>();
    } else {
      std::optional<std::string> bytes = DecodeCanonicalBase64(p->get_ref<const std::string&>());
      if (!bytes) return InvalidArgument("payload: not base64");
      r.payload = std::move(*bytes);
    }
  }
  if (auto q = j.find("qos"); q != j.end()) {
    if (!q->is_number_unsigned() || q->get<uint64_t>() > 1) return InvalidArgument("qos: 0 or 1");
    r.qos = static_cast<uint8_t>(q->get<uint64_t>());
  }
  if (auto rt = j.find("retain"); rt != j.end()) {
    if (!rt->is_boolean()) return InvalidArgument("retain: true or false");
    r.retain = rt->get<bool>();
  }
  return r;
}

Response ConsoleStats(LiveStats& stats, const Caller& caller, std::string_view method) {
  if (method != "GET" && method != "HEAD") return NotAllowed(method, "GET, HEAD");
  // Operators (and anyone with auth off) see the hub; a tenant's principal its tenant.
  std::optional<std::string> tenant;
  if (!caller.anonymous() && !caller.identity->IsOperator()) {
    if ((caller.identity->rights & security::Bit(security::Right::kQuery)) == 0) {
      return NativeError(403, "forbidden", "the tenant's figures need the query right");
    }
    tenant = caller.identity->tenant;
  }
  Response r = EventStream();
  if (method == "HEAD") return r;
  r.stream = stats.Subscribe(std::move(tenant));
  if (!r.stream) return NativeError(503, "unavailable", "too many live streams: retry later");
  return r;
}

Response WatchTopics(TopicBridge* bridge, const Caller& caller, std::string_view method,
                     const Params& params) {
  if (bridge == nullptr) return NativeError(404, "not_found", "live topics are not enabled");
  if (method != "GET" && method != "HEAD") return NotAllowed(method, "GET, HEAD");
  if (!params.Has("filter")) return NativeError(400, "invalid_argument", "filter is required");
  Response r = EventStream();
  if (method == "HEAD") return r;
  Result<std::shared_ptr<ChunkStream>> stream = bridge->Watch(caller, params.Get("filter"));
  if (!stream.ok()) return NativeStatusError(stream.status());
  r.stream = std::move(*stream);
  return r;
}

void PublishMessage(TopicBridge* bridge, const Caller& caller, const Request& request,
                    const Reply& reply) {
  if (bridge == nullptr) return reply(NativeError(404, "not_found", "publishing is not enabled"));
  if (request.method != "POST") return reply(NotAllowed(request.method, "POST"));
  Result<PublishRequest> message = ParsePublishRequest(request.body);
  if (!message.ok()) return reply(NativeStatusError(message.status()));
  bridge->Publish(caller, std::move(*message), [reply](const Status& st) {
    if (!st.ok()) return reply(NativeStatusError(st));
    reply(Json(200, "{\"published\":true}\n"));
  });
}

}  // namespace verbund::http
