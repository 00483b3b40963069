// One benchmark MQTT connection (publisher, subscriber or idle) on a Boost.Asio io_context.
// Thread safety: every method except the stats getters must run on the client's io_context
// thread (use Post()). Stats counters are atomics readable from any thread.
#pragma once

// clang-format off
#include <utility>  // before Boost.Asio 1.74: its awaitable.hpp uses std::exchange
// clang-format on
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "histogram.h"
#include "mqtt/codec/codec.h"

namespace verbund::bench {

enum class Role { kPublisher, kSubscriber, kIdle };

struct ClientConfig {
  boost::asio::ip::tcp::endpoint server;
  std::optional<boost::asio::ip::address_v4> source;  // bind to this local address first
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV311;
  std::string client_id;
  std::optional<std::string> username;  // CONNECT user name and password, when set
  std::optional<std::string> password;
  std::string topic;       // publish to / subscribe to
  uint8_t qos = 0;
  size_t payload_size = 64;
  double rate = 0;         // messages/s; 0 = as fast as the socket and the window allow
  uint32_t window = 64;    // in-flight QoS 1/2 messages
  uint16_t keep_alive = 60;
  // Publish JSON readings ({"value":...,"seq":...}) instead of timestamped bytes, so a hub that
  // stores what it receives has points to store (no end-to-end latency then).
  bool json_readings = false;
};

// Progress shared by all clients; read by the main thread.
struct SharedCounters {
  std::atomic<uint64_t> ready{0};         // CONNACK (and SUBACK for subscribers) received
  std::atomic<uint64_t> failed{0};        // connection or protocol failures before ready
  std::atomic<uint64_t> errors{0};        // every failure, including after ready
};

class Client {
 public:
  Client(boost::asio::io_context& io, Role role, ClientConfig config, SharedCounters* shared);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Start();              // connect, CONNECT, (SUBSCRIBE)
  void StartPublishing();    // publishers only
  void StopPublishing();
  void Disconnect();         // sends DISCONNECT and closes
  void KeepAliveTick();      // PINGREQ when nothing was sent for keep_alive/2

  Role role() const { return role_; }
  boost::asio::io_context& io() { return io_; }
  bool dead() const { return dead_.load(std::memory_order_relaxed); }

  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  uint64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // Valid once the io threads have stopped.
  const LatencyHistogram& latency() const { return latency_; }

 private:
  void OnConnected();
  void Read();
  void OnRead(size_t n);
  bool HandlePacket(const mqtt::FixedHeader& h, std::string_view body);
  bool HandlePublish(const mqtt::FixedHeader& h, std::string_view body);
  void Pump();
  void AppendPublish();
  void Append(const mqtt::Packet& p);
  void Flush();
  void ScheduleRateTimer();
  void Fail(const std::string& why);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer rate_timer_;
  Role role_;
  ClientConfig config_;
  SharedCounters* shared_;

  std::vector<char> rbuf_;
  size_t rbegin_ = 0;
  size_t rend_ = 0;
  std::string pending_;   // encoded, not yet handed to the socket
  std::string writing_;   // being written
  bool write_active_ = false;
  bool ready_ = false;
  bool publishing_ = false;
  bool closing_ = false;
  std::atomic<bool> dead_{false};
  std::chrono::steady_clock::time_point last_send_;
  std::chrono::steady_clock::time_point publish_start_;

  std::string payload_;
  uint16_t next_id_ = 0;
  std::vector<bool> id_in_use_;
  uint32_t window_ = 0;
  uint64_t sent_local_ = 0;

  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> completed_{0};  // PUBACK / PUBCOMP received
  std::atomic<uint64_t> inflight_{0};
  std::atomic<uint64_t> received_{0};
  LatencyHistogram latency_;
};

// Monotonic nanoseconds shared by publishers (stamped into the payload) and subscribers.
inline uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace verbund::bench
