#include "server/console_topics.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "keys/base64.h"
#include "mqtt/codec/codec.h"
#include "mqtt/topic.h"

namespace verbund::server {
namespace {

using nlohmann::json;

std::string Event(std::string_view name, const json& data) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace

ConsoleTopics::ConsoleTopics(mqtt::Router* router, MqttAccess* access, const Clock* clock,
                             ConsoleTopicsOptions options)
    : router_(router),
      access_(access),
      clock_(clock ? clock : SystemClock::Default()),
      options_(options) {}

ConsoleTopics::~ConsoleTopics() {
  std::lock_guard lock(mu_);
  for (Watcher& w : watchers_) w.stream->Finish();
}

size_t ConsoleTopics::watches() const {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

std::string ConsoleTopics::RenderMessage(std::string_view topic, const mqtt::Message& m,
                                         int64_t time_ms, size_t max_payload) {
  std::string_view payload = m.payload;
  const bool truncated = payload.size() > max_payload;
  if (truncated) payload = payload.substr(0, max_payload);
  // Text as it is; anything else (or text cut inside a character) as base64.
  const bool text = mqtt::IsValidUtf8(payload);
  json j{{"topic", topic},
         {"payload", text ? std::string(payload) : keys::EncodeBase64(payload)},
         {"encoding", text ? "utf8" : "base64"},
         {"qos", m.qos},
         {"retain", m.retain},
         {"time_ms", time_ms},
         {"bytes", m.payload.size()}};
  if (truncated) j["truncated"] = true;
  return Event("message", j);
}

bool ConsoleTopics::Admit(Watcher& w, int64_t now_ns) const {
  const double burst = std::max(1.0, 2 * options_.messages_per_s);
  w.tokens = std::min(burst, w.tokens + static_cast<double>(now_ns - w.refilled_ns) / 1e9 *
                                            options_.messages_per_s);
  w.refilled_ns = now_ns;
  if (w.tokens < 1) return false;
  w.tokens -= 1;
  return true;
}

void ConsoleTopics::OnPublish(const mqtt::MessagePtr& message, std::function<void(Status)>) {
  // (No `done` to call: HoldsAcknowledgements is false, so the broker never passes one.)
  if (count_.load(std::memory_order_relaxed) == 0) return;
  const int64_t now_ns = clock_->MonotonicNs();
  std::lock_guard lock(mu_);
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    Watcher& w = *it;
    std::optional<std::string_view> visible;
    if (mqtt::TopicMatches(w.filter, message->topic)) {
      visible = mqtt::UnmountTopic(message->topic, w.principal.mount);
    }
    if (!visible || !access_->CanReceive(w.principal, *visible)) {
      ++it;
      continue;
    }
    if (!Admit(w, now_ns)) {
      ++w.dropped;
      ++it;
      continue;
    }
    std::string events;
    if (w.dropped != w.dropped_reported) {
      events = Event("dropped", json{{"dropped", w.dropped}});
      w.dropped_reported = w.dropped;
    }
    events +=
        RenderMessage(*visible, *message, clock_->NowNs() / 1'000'000, options_.max_payload_shown);
    if (w.stream->TryPush(std::move(events)) == http::ChunkStream::TryResult::kQueued) {
      ++it;
      continue;
    }
    // Gone, or too far behind: its EventSource reconnects.
    w.stream->Finish();
    it = watchers_.erase(it);
    count_.store(watchers_.size(), std::memory_order_relaxed);
  }
}

Result<std::shared_ptr<http::ChunkStream>> ConsoleTopics::Watch(const http::Caller& caller,
                                                                std::string_view filter) {
  if (filter.empty() || filter.size() > options_.max_topic_length ||
      !mqtt::IsValidTopicFilter(filter)) {
    return InvalidArgument("not a topic filter: '" + std::string(filter) + "'");
  }
  if (mqtt::ParseSharedFilter(filter)) {
    return InvalidArgument("a watch sees every message: no $share filters");
  }
  std::optional<mqtt::Principal> principal = access_->PrincipalFor(caller.identity, "console");
  if (!principal) return Unauthenticated("the caller's identity is no longer valid");
  if (!access_->CanSubscribe(*principal, filter)) {
    return PermissionDenied("not authorized to subscribe to '" + std::string(filter) + "'");
  }
  auto stream = std::make_shared<http::ChunkStream>(options_.max_unread_bytes);
  std::lock_guard lock(mu_);
  // Streams whose reader left while nothing was published for them.
  std::erase_if(watchers_, [](const Watcher& w) { return w.stream->closed(); });
  const size_t of_tenant = std::ranges::count_if(
      watchers_, [&](const Watcher& w) { return w.principal.tenant == principal->tenant; });
  if (watchers_.size() >= options_.max_watches || of_tenant >= options_.max_watches_per_tenant) {
    count_.store(watchers_.size(), std::memory_order_relaxed);
    return ResourceExhausted("too many live topic streams: close one or retry later");
  }
  stream->TryPush("retry: 2000\n: watching " + std::string(filter) + "\n\n");
  Watcher w;
  w.filter = mqtt::MountTopic(filter, principal->mount);
  w.principal = std::move(*principal);
  w.stream = stream;
  w.tokens = std::max(1.0, 2 * options_.messages_per_s);
  w.refilled_ns = clock_->MonotonicNs();
  watchers_.push_back(std::move(w));
  count_.store(watchers_.size(), std::memory_order_relaxed);
  return stream;
}

void ConsoleTopics::Publish(const http::Caller& caller, http::PublishRequest request,
                            std::function<void(Status)> done) {
  const std::string& topic = request.topic;
  if (topic.empty() || topic.size() > options_.max_topic_length || !mqtt::IsValidTopicName(topic)) {
    return done(InvalidArgument("not a topic name (no wildcards): '" + topic + "'"));
  }
  std::optional<mqtt::Principal> principal = access_->PrincipalFor(caller.identity, "console");
  if (!principal) return done(Unauthenticated("the caller's identity is no longer valid"));
  if (!access_->CanPublish(*principal, topic)) {
    return done(PermissionDenied("not authorized to publish to '" + topic + "'"));
  }
  int64_t retry_after_ms = 0;
  if (!access_->AdmitPublish(*principal, topic.size() + request.payload.size(), &retry_after_ms)) {
    return done(ResourceExhausted("over the publish quota: retry in " +
                                  std::to_string(retry_after_ms) + " ms"));
  }
  auto m = std::make_shared<mqtt::Message>();
  m->topic = mqtt::MountTopic(topic, principal->mount);
  m->payload = std::move(request.payload);
  m->qos = request.qos;
  m->retain = request.retain;
  m->origin_client = "console";
  router_->Publish(std::move(m), std::move(done));
}

void ConsoleTopics::Reauthorize() {
  std::lock_guard lock(mu_);
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    std::optional<mqtt::Principal> p = access_->Reauthorize(it->principal);
    if (p) {
      it->principal = std::move(*p);
      ++it;
      continue;
    }
    it->stream->Finish();
    it = watchers_.erase(it);
  }
  count_.store(watchers_.size(), std::memory_order_relaxed);
}

}  // namespace verbund::server
