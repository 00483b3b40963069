// Live topics for the web console (http::TopicBridge): a browser watches a topic filter as
// server-sent events and publishes test messages, as its HTTP caller, on the broker's own path.
//
// A watch is not an MQTT session: it is a broker tap (mqtt::Tap) that sees every accepted
// publish and passes on those matching one of the watched filters, each checked as the broker
// checks a delivery (the filter mounted in the caller's tenant namespace, CanSubscribe when it
// starts, CanReceive per message, the topic unmounted before it is shown). Nothing is retained,
// queued or acknowledged for a watch: it shows what is published while it is open.
//
// Each stream is rate-limited (token bucket, `messages_per_s` with a burst of twice that);
// messages beyond it are counted and the count is sent as a `dropped` event before the next one
// that passes. A stream more than `max_unread_bytes` behind is ended (EventSource reconnects).
// At most `max_watches` streams, `max_watches_per_tenant` of one tenant. A directory change
// rebuilds each watcher's rules and ends the streams of identities no longer current.
//
// Publishing checks CanPublish and the principal's rate quota (AdmitPublish) like an MQTT
// PUBLISH, then routes the message into the broker (its subscribers, the ingest tap: a JSON
// payload on an ingest rule's topic is stored); QoS 1 answers once stored.
//
// Thread-safety: every method may be called from any thread; OnPublish costs one atomic load
// while nobody watches.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "http/topic_bridge.h"
#include "mqtt/router.h"
#include "server/mqtt_access.h"

namespace verbund::server {

struct ConsoleTopicsOptions {
  double messages_per_s = 20;
  size_t max_watches = 64;
  size_t max_watches_per_tenant = 16;
  size_t max_unread_bytes = 256 << 10;
  size_t max_payload_shown = 16 << 10;  // longer payloads are cut (and flagged "truncated")
  size_t max_topic_length = 65535;
};

class ConsoleTopics final : public mqtt::Tap, public http::TopicBridge {
 public:
  // `router` and `access` are not owned and must outlive this; `clock` null = system clock.
  ConsoleTopics(mqtt::Router* router, MqttAccess* access, const Clock* clock = nullptr,
                ConsoleTopicsOptions options = {});
  ~ConsoleTopics() override;  // ends every stream

  void OnPublish(const mqtt::MessagePtr& message, std::function<void(Status)> done) override;
  bool HoldsAcknowledgements() const override { return false; }
  Result<std::shared_ptr<http::ChunkStream>> Watch(const http::Caller& caller,
                                                   std::string_view filter) override;
  void Publish(const http::Caller& caller, http::PublishRequest request,
               std::function<void(Status)> done) override;

  // After a directory change: rules rebuilt, streams of identities no longer current ended.
  void Reauthorize();
  size_t watches() const;

  // One `message` event (exposed for tests).
  static std::string RenderMessage(std::string_view topic, const mqtt::Message& m, int64_t time_ms,
                                   size_t max_payload);

 private:
  struct Watcher {
    mqtt::Principal principal;
    std::string filter;  // mounted
    std::shared_ptr<http::ChunkStream> stream;
    double tokens = 0;
    int64_t refilled_ns = 0;
    uint64_t dropped = 0;           // messages over the rate since the stream began
    uint64_t dropped_reported = 0;  // ... of which a `dropped` event told
  };
  // Takes a token from w's bucket at `now_ns`.
  bool Admit(Watcher& w, int64_t now_ns) const;

  mqtt::Router* router_;
  MqttAccess* access_;
  const Clock* clock_;
  const ConsoleTopicsOptions options_;
  std::atomic<size_t> count_{0};  // watchers_.size(), read without the lock
  mutable std::mutex mu_;
  std::vector<Watcher> watchers_;  // GUARDED_BY(mu_)
};

}  // namespace verbund::server
