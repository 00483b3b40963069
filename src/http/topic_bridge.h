// The console's way onto the broker (GET /api/v1/console/topics, POST /api/v1/publish): watch a
// topic filter as server-sent events, publish one message, both as the HTTP caller, inside its
// tenant's namespace and under the same rules as an MQTT client of the same principal
// (implemented by server::ConsoleTopics).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/caller.h"
#include "http/chunk_stream.h"

namespace verbund::http {

struct PublishRequest {
  std::string topic;  // as the caller knows it (its tenant's namespace)
  std::string payload;
  uint8_t qos = 0;  // 0 or 1
  bool retain = false;
};

// {"topic":"...","payload":"...","encoding":"utf8"|"base64","qos":0|1,"retain":false}
// (payload default "", encoding default utf8, qos default 0). Errors say which field is wrong.
Result<PublishRequest> ParsePublishRequest(std::string_view body);

class TopicBridge {
 public:
  virtual ~TopicBridge() = default;
  // A stream of the messages published on `filter` from now on that the caller may receive, as
  // server-sent events (doc/api.md, "Live topics"). Errors: InvalidArgument (not a filter),
  // PermissionDenied (no subscribe right, or the rules forbid the filter), Unauthenticated (the
  // identity is no longer current), ResourceExhausted (too many streams).
  virtual Result<std::shared_ptr<ChunkStream>> Watch(const Caller& caller,
                                                     std::string_view filter) = 0;
  // Publishes as the caller; `done` once routed (QoS 1: once stored). Errors: InvalidArgument,
  // PermissionDenied, Unauthenticated, ResourceExhausted (a rate quota), or the store's error.
  virtual void Publish(const Caller& caller, PublishRequest request,
                       std::function<void(Status)> done) = 0;
};

}  // namespace verbund::http
