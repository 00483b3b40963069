// A blocking MQTT client for the in-process broker tests: speaks through the codec over a real
// TCP socket, with receive timeouts.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/broker.h"
#include "mqtt/codec/codec.h"
#include "net/io_pool.h"
#include "net/listener.h"

namespace verbund::mqtt::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A blocking MQTT client for tests.
class Client {
 public:
  Client(uint16_t port, ProtocolVersion version) : version_(version) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{0, 100'000};  // reads wake every 100 ms so Receive can time out
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void Send(const Packet& p) {
    std::string out;
    EncodePacket(p, version_, &out);
    asio::write(socket_, asio::buffer(out));
  }

  ConnackPacket Connect(const std::string& client_id, bool clean_start = true,
                        uint16_t keep_alive = 0, uint32_t session_expiry = 0,
                        std::optional<std::string> username = std::nullopt,
                        std::optional<Will> will = std::nullopt,
                        std::optional<std::string> password = std::nullopt) {
    ConnectPacket c;
    c.version = version_;
    c.client_id = client_id;
    c.username = std::move(username);
    c.password = std::move(password);
    c.will = std::move(will);
    c.clean_start = clean_start;
    c.keep_alive = keep_alive;
    if (version_ == ProtocolVersion::kV5 && session_expiry) {
      c.properties.session_expiry_interval = session_expiry;
    }
    Send(c);
    auto p = Receive();
    EXPECT_TRUE(p && std::holds_alternative<ConnackPacket>(*p));
    return p && std::holds_alternative<ConnackPacket>(*p) ? std::get<ConnackPacket>(*p)
                                                          : ConnackPacket{};
  }

  // SUBSCRIBE one filter and wait for its SUBACK (nothing else may arrive first).
  SubackPacket SubscribeAck(const std::string& filter, uint8_t qos) {
    SubscribePacket s;
    s.packet_id = next_id_++;
    Subscription sub;
    sub.filter = filter;
    sub.options.max_qos = qos;
    s.subscriptions.push_back(sub);
    Send(s);
    auto p = Receive();
    EXPECT_TRUE(p && std::holds_alternative<SubackPacket>(*p));
    return p && std::holds_alternative<SubackPacket>(*p) ? std::get<SubackPacket>(*p)
                                                         : SubackPacket{};
  }

  void Subscribe(const std::string& filter, uint8_t qos) { (void)SubscribeAck(filter, qos); }

  void Publish(const std::string& topic, const std::string& payload, uint8_t qos, uint16_t id = 0,
               bool dup = false) {
    PublishPacket p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    p.packet_id = qos ? (id ? id : next_id_++) : 0;
    p.dup = dup;
    Send(p);
  }

  void Ack(PacketType type, uint16_t id) {
    AckPacket a;
    a.type = type;
    a.packet_id = id;
    Send(a);
  }

  // The next packet, or nullopt after `timeout` (or when the broker closed the connection).
  std::optional<Packet> Receive(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto header = ParseFixedHeader(buf_, 1 << 28)) {
        const auto& fh = std::get<FixedHeader>(*header);
        if (buf_.size() >= fh.total_length()) {
          auto decoded = DecodePacket(
              fh, std::string_view(buf_).substr(fh.header_length, fh.remaining_length), version_);
          buf_.erase(0, fh.total_length());
          EXPECT_TRUE(std::holds_alternative<Packet>(decoded));
          if (!std::holds_alternative<Packet>(decoded)) return std::nullopt;
          return std::get<Packet>(std::move(decoded));
        }
      }
      if (closed_ || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      char tmp[4096];
      // recv, not asio's read_some: asio waits out SO_RCVTIMEO's EAGAIN with poll().
      ssize_t n = ::recv(socket_.native_handle(), tmp, sizeof tmp, 0);
      if (n > 0) buf_.append(tmp, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        closed_ = true;
      }
    }
  }

  PublishPacket ReceivePublish() {
    auto p = Receive();
    EXPECT_TRUE(p && std::holds_alternative<PublishPacket>(*p));
    return p && std::holds_alternative<PublishPacket>(*p) ? std::get<PublishPacket>(*p)
                                                          : PublishPacket{};
  }

  AckPacket ReceiveAck(PacketType type) {
    auto p = Receive();
    EXPECT_TRUE(p && std::holds_alternative<AckPacket>(*p));
    if (!p || !std::holds_alternative<AckPacket>(*p)) return {};
    EXPECT_EQ(std::get<AckPacket>(*p).type, type);
    return std::get<AckPacket>(*p);
  }

  // True once the broker has closed the connection (within `timeout`).
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) {
      last_ = Receive(100ms);
      if (last_) seen_.push_back(*last_);
    }
    return closed_;
  }
  const std::vector<Packet>& seen() const { return seen_; }

  void Close() { socket_.close(); }

 private:
  asio::io_context ctx_;
  tcp::socket socket_{ctx_};
  ProtocolVersion version_;
  std::string buf_;
  bool closed_ = false;
  uint16_t next_id_ = 1;
  std::optional<Packet> last_;
  std::vector<Packet> seen_;
};

// A real Broker on a two-thread IoPool behind a TCP listener on a free loopback port.
class BrokerHarness {
 public:
  // False (with a test failure) when the listener cannot be made.
  bool Start(BrokerOptions options) {
    pool_ = std::make_unique<net::IoPool>(2);
    broker_ = std::make_unique<Broker>(std::move(options), pool_.get());
    auto listener = net::Listener::Create(
        "mqtt.listen", "127.0.0.1:0", net::TransportKind::kTcp, pool_.get(), nullptr, &limit_,
        [this](std::unique_ptr<net::Transport> t, net::ConnectionLease lease) {
          broker_->Accept(std::move(t), std::move(lease));
        });
    EXPECT_TRUE(listener.ok());
    if (!listener.ok()) return false;
    listener_ = std::move(listener).value();
    pool_->Start();
    listener_->Start();
    return true;
  }
  void Stop() {
    listener_->Stop();
    broker_->Shutdown();
    pool_->Stop();
  }
  uint16_t port() const { return listener_->port(); }
  Broker& broker() { return *broker_; }
  net::IoPool& pool() { return *pool_; }

 private:
  net::ConnectionLimit limit_{1000};
  std::unique_ptr<net::IoPool> pool_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<net::Listener> listener_;
};

}  // namespace verbund::mqtt::testing
