#include "mqtt/sys_topics.h"

#include <memory>

namespace verbund::mqtt {

SysPublisher::SysPublisher(Broker& broker, boost::asio::io_context& ctx, std::string version,
                           std::chrono::seconds interval)
    : broker_(broker), timer_(ctx), version_(std::move(version)), interval_(interval) {}

void SysPublisher::Start() {
  started_ns_ = broker_.clock().MonotonicNs();
  Put("$SYS/broker/version", "verbund " + version_);
  Tick();
}

void SysPublisher::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void SysPublisher::Put(const std::string& topic, std::string value) {
  auto m = std::make_shared<Message>();
  m->topic = topic;
  m->payload = std::move(value);
  m->retain = true;
  broker_.Publish(std::move(m));
}

void SysPublisher::Tick() {
  if (stopped_) return;
  const BrokerMetrics& mt = broker_.metrics();
  auto load = [](const auto& a) { return std::to_string(a.load(std::memory_order_relaxed)); };
  auto sum = [](const std::atomic<uint64_t>(&a)[3]) {
    uint64_t s = 0;
    for (const auto& x : a) s += x.load(std::memory_order_relaxed);
    return std::to_string(s);
  };
  const int64_t uptime_s = (broker_.clock().MonotonicNs() - started_ns_) / 1'000'000'000;
  Put("$SYS/broker/uptime", std::to_string(uptime_s) + " seconds");
  Put("$SYS/broker/clients/connected", load(mt.connections_active));
  Put("$SYS/broker/clients/total", load(mt.connections_total));
  Put("$SYS/broker/messages/received", sum(mt.messages_in));
  Put("$SYS/broker/messages/sent", sum(mt.messages_out));
  Put("$SYS/broker/bytes/received", load(mt.bytes_in));
  Put("$SYS/broker/bytes/sent", load(mt.bytes_out));
  const uint64_t dropped = mt.dropped_queue_full.load(std::memory_order_relaxed) +
                           mt.dropped_slow_client.load(std::memory_order_relaxed) +
                           mt.dropped_too_large.load(std::memory_order_relaxed) +
                           mt.dropped_expired.load(std::memory_order_relaxed);
  Put("$SYS/broker/messages/dropped", std::to_string(dropped));
  Put("$SYS/broker/retained messages/count", std::to_string(broker_.retained().size()));
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Tick();
  });
}

}  // namespace verbund::mqtt
