#include "client.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdio>

namespace verbund::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using mqtt::ProtocolVersion;

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kWriteBatch = 64 * 1024;
constexpr uint32_t kMaxIncoming = 16 * 1024 * 1024;
constexpr uint64_t kMaxPerPump = 4096;

void PutTimestamp(std::string* payload, uint64_t ns) {
  for (int i = 0; i < 8; ++i) (*payload)[i] = static_cast<char>(ns >> (8 * i));
}

uint64_t GetTimestamp(std::string_view payload) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(payload[i]);
  return v;
}

}  // namespace

Client::Client(asio::io_context& io, Role role, ClientConfig config, SharedCounters* shared)
    : io_(io),
      socket_(io),
      rate_timer_(io),
      role_(role),
      config_(std::move(config)),
      shared_(shared),
      rbuf_(kReadChunk) {
  if (role_ == Role::kPublisher) {
    payload_.assign(std::max<size_t>(config_.payload_size, 8), 'x');
    if (config_.qos > 0) id_in_use_.assign(65536, false);
  }
}

void Client::Fail(const std::string& why) {
  if (dead_.load(std::memory_order_relaxed)) return;
  dead_.store(true, std::memory_order_relaxed);
  if (!closing_) {  // after our DISCONNECT, the server closing the socket is expected
    shared_->errors.fetch_add(1, std::memory_order_relaxed);
    if (!ready_) shared_->failed.fetch_add(1, std::memory_order_relaxed);
    if (shared_->errors.load(std::memory_order_relaxed) <= 20) {
      std::fprintf(stderr, "%s: %s\n", config_.client_id.c_str(), why.c_str());
    }
  }
  boost::system::error_code ignored;
  rate_timer_.cancel();
  socket_.close(ignored);
}

void Client::Start() {
  boost::system::error_code ec;
  socket_.open(tcp::v4(), ec);
  if (ec) return Fail("socket: " + ec.message());
  if (config_.source) {
#ifdef IP_BIND_ADDRESS_NO_PORT
    // Defer the ephemeral port choice to connect() so ports are only unique per 4-tuple.
    socket_.set_option(
        asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>(true), ec);
#endif
    socket_.bind(tcp::endpoint(*config_.source, 0), ec);
    if (ec) return Fail("bind " + config_.source->to_string() + ": " + ec.message());
  }
  socket_.async_connect(config_.server, [this](const boost::system::error_code& e) {
    if (e) return Fail("connect: " + e.message());
    OnConnected();
  });
}

void Client::OnConnected() {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  mqtt::ConnectPacket c;
  c.version = config_.version;
  c.client_id = config_.client_id;
  c.username = config_.username;
  c.password = config_.password;
  c.keep_alive = config_.keep_alive;
  c.clean_start = true;
  if (config_.version == ProtocolVersion::kV5) c.properties.receive_maximum = 65535;
  Append(c);
  Flush();
  Read();
}

void Client::Read() {
  if (rend_ == rbuf_.size()) {
    if (rbegin_ > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
      rend_ -= rbegin_;
      rbegin_ = 0;
    } else {
      rbuf_.resize(rbuf_.size() * 2);
    }
  }
  socket_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                          [this](const boost::system::error_code& e, size_t n) {
                            if (e) return Fail("read: " + e.message());
                            OnRead(n);
                          });
}

void Client::OnRead(size_t n) {
  rend_ += n;
  while (rbegin_ < rend_) {
    std::string_view avail(rbuf_.data() + rbegin_, rend_ - rbegin_);
    auto h = mqtt::ParseFixedHeader(avail, kMaxIncoming);
    if (!h) break;
    if (auto* err = std::get_if<mqtt::CodecError>(&*h)) return Fail("bad header: " + err->message);
    const auto& fh = std::get<mqtt::FixedHeader>(*h);
    if (fh.total_length() > avail.size()) {
      if (fh.total_length() > rbuf_.size()) rbuf_.resize(fh.total_length() + kReadChunk);
      break;
    }
    if (!HandlePacket(fh, avail.substr(fh.header_length, fh.remaining_length))) return;
    rbegin_ += fh.total_length();
  }
  if (rbegin_ == rend_) {
    rbegin_ = rend_ = 0;
  } else if (rbegin_ > rbuf_.size() / 2) {
    std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
    rend_ -= rbegin_;
    rbegin_ = 0;
  }
  Flush();
  if (!dead()) Read();
}

// Subscribers' hot path: reads topic, packet id and the timestamp without allocating.
bool Client::HandlePublish(const mqtt::FixedHeader& h, std::string_view body) {
  const uint8_t qos = (h.flags() >> 1) & 3;
  if (body.size() < 2) return Fail("short PUBLISH"), false;
  size_t pos = 2 + ((static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]));
  uint16_t id = 0;
  if (qos > 0) {
    if (body.size() < pos + 2) return Fail("short PUBLISH"), false;
    id = static_cast<uint16_t>((static_cast<uint8_t>(body[pos]) << 8) |
                               static_cast<uint8_t>(body[pos + 1]));
    pos += 2;
  }
  if (config_.version == ProtocolVersion::kV5) {
    uint32_t len = 0;
    int shift = 0;
    for (;;) {
      if (pos >= body.size() || shift > 21) return Fail("bad PUBLISH properties"), false;
      const uint8_t b = static_cast<uint8_t>(body[pos++]);
      len |= uint32_t{b & 0x7fu} << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    pos += len;
  }
  if (pos > body.size()) return Fail("short PUBLISH"), false;
  std::string_view payload = body.substr(pos);
  if (payload.size() >= 8 && payload[0] != '{') {
    const uint64_t sent = GetTimestamp(payload);
    const uint64_t now = NowNs();
    if (now >= sent) latency_.Record(now - sent);
  }
  received_.fetch_add(1, std::memory_order_relaxed);
  if (qos == 1) {
    mqtt::AckPacket a;
    a.type = mqtt::PacketType::kPuback;
    a.packet_id = id;
    Append(a);
  } else if (qos == 2) {
    mqtt::AckPacket a;
    a.type = mqtt::PacketType::kPubrec;
    a.packet_id = id;
    Append(a);
  }
  return true;
}

bool Client::HandlePacket(const mqtt::FixedHeader& h, std::string_view body) {
  if (h.type() == mqtt::PacketType::kPublish) return HandlePublish(h, body);
  auto r = mqtt::DecodePacket(h, body, config_.version);
  if (auto* err = std::get_if<mqtt::CodecError>(&r)) {
    Fail("decode: " + err->message);
    return false;
  }
  mqtt::Packet& p = std::get<mqtt::Packet>(r);
  switch (h.type()) {
    case mqtt::PacketType::kConnack: {
      const auto& c = std::get<mqtt::ConnackPacket>(p);
      if (c.reason != mqtt::ReasonCode::kSuccess) {
        Fail(std::string("CONNACK: ") + std::string(mqtt::ReasonCodeName(c.reason)));
        return false;
      }
      window_ = config_.window;
      if (c.properties.receive_maximum) window_ = std::min<uint32_t>(window_, *c.properties.receive_maximum);
      if (role_ == Role::kSubscriber) {
        mqtt::SubscribePacket s;
        s.packet_id = 1;
        s.subscriptions.push_back({config_.topic, {config_.qos}});
        Append(s);
      } else {
        ready_ = true;
        shared_->ready.fetch_add(1, std::memory_order_relaxed);
      }
      return true;
    }
    case mqtt::PacketType::kSuback: {
      const auto& s = std::get<mqtt::SubackPacket>(p);
      if (s.reasons.empty() || static_cast<uint8_t>(s.reasons[0]) >= 0x80) {
        Fail("SUBACK refused");
        return false;
      }
      ready_ = true;
      shared_->ready.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    case mqtt::PacketType::kPuback:
    case mqtt::PacketType::kPubcomp: {
      const auto& a = std::get<mqtt::AckPacket>(p);
      if (id_in_use_.empty() || !id_in_use_[a.packet_id]) return true;  // unknown: ignore
      id_in_use_[a.packet_id] = false;
      inflight_.fetch_sub(1, std::memory_order_relaxed);
      completed_.fetch_add(1, std::memory_order_relaxed);
      Pump();
      return true;
    }
    case mqtt::PacketType::kPubrec: {
      mqtt::AckPacket rel;
      rel.type = mqtt::PacketType::kPubrel;
      rel.packet_id = std::get<mqtt::AckPacket>(p).packet_id;
      Append(rel);
      return true;
    }
    case mqtt::PacketType::kPubrel: {
      mqtt::AckPacket comp;
      comp.type = mqtt::PacketType::kPubcomp;
      comp.packet_id = std::get<mqtt::AckPacket>(p).packet_id;
      Append(comp);
      return true;
    }
    case mqtt::PacketType::kDisconnect: {
      const auto& d = std::get<mqtt::DisconnectPacket>(p);
      Fail(std::string("server DISCONNECT: ") + std::string(mqtt::ReasonCodeName(d.reason)));
      return false;
    }
    default:
      return true;  // PINGRESP, UNSUBACK, AUTH: nothing to do
  }
}

void Client::Append(const mqtt::Packet& p) { mqtt::EncodePacket(p, config_.version, &pending_); }

void Client::Flush() {
  if (write_active_ || pending_.empty() || dead()) return;
  writing_.swap(pending_);
  pending_.clear();
  write_active_ = true;
  last_send_ = std::chrono::steady_clock::now();
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const boost::system::error_code& e, size_t) {
                      write_active_ = false;
                      writing_.clear();
                      if (e) return Fail("write: " + e.message());
                      if (publishing_ && config_.qos == 0 && config_.rate == 0) Pump();
                      if (closing_ && pending_.empty()) {
                        boost::system::error_code ignored;
                        socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        return;
                      }
                      Flush();
                    });
}

void Client::AppendPublish() {
  uint16_t id = 0;
  if (config_.qos > 0) {
    do {
      ++next_id_;
    } while (next_id_ == 0 || id_in_use_[next_id_]);
    id = next_id_;
    id_in_use_[id] = true;
    inflight_.fetch_add(1, std::memory_order_relaxed);
  }
  if (config_.json_readings) {
    payload_ = "{\"value\":" + std::to_string(20.0 + (sent_local_ % 1000) / 100.0) +
               ",\"seq\":" + std::to_string(sent_local_) + "}";
  } else {
    PutTimestamp(&payload_, NowNs());
  }
  mqtt::PublishView v;
  v.topic = config_.topic;
  v.payload = payload_;
  v.qos = config_.qos;
  v.packet_id = id;
  mqtt::EncodePublish(v, config_.version, &pending_);
  ++sent_local_;
  sent_.fetch_add(1, std::memory_order_relaxed);
}

void Client::Pump() {
  if (!publishing_ || dead()) return;
  uint64_t allowed = kMaxPerPump;
  if (config_.rate > 0) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - publish_start_).count();
    const auto target = static_cast<uint64_t>(elapsed * config_.rate) + 1;
    allowed = std::min(allowed, target > sent_local_ ? target - sent_local_ : 0);
  }
  if (config_.qos > 0) {
    const uint64_t in = inflight_.load(std::memory_order_relaxed);
    allowed = std::min<uint64_t>(allowed, in < window_ ? window_ - in : 0);
  } else if (config_.rate == 0) {
    // Keep about one batch queued behind the socket.
    if (pending_.size() >= kWriteBatch) return;
    const size_t per = payload_.size() + config_.topic.size() + 8;
    allowed = std::min<uint64_t>(allowed, (kWriteBatch - pending_.size()) / per + 1);
  }
  for (uint64_t i = 0; i < allowed; ++i) AppendPublish();
  Flush();
}

void Client::ScheduleRateTimer() {
  const double interval_s = std::max(0.001, 1.0 / config_.rate);
  rate_timer_.expires_after(std::chrono::nanoseconds(static_cast<int64_t>(interval_s * 1e9)));
  rate_timer_.async_wait([this](const boost::system::error_code& e) {
    if (e || !publishing_ || dead()) return;
    Pump();
    ScheduleRateTimer();
  });
}

void Client::StartPublishing() {
  if (role_ != Role::kPublisher || dead()) return;
  publishing_ = true;
  publish_start_ = std::chrono::steady_clock::now();
  if (window_ == 0) window_ = config_.window;
  if (config_.rate > 0) ScheduleRateTimer();
  Pump();
}

void Client::StopPublishing() {
  publishing_ = false;
  rate_timer_.cancel();
}

void Client::Disconnect() {
  if (dead()) return;
  publishing_ = false;
  closing_ = true;
  rate_timer_.cancel();
  Append(mqtt::DisconnectPacket{});
  Flush();
}

void Client::KeepAliveTick() {
  if (dead() || !ready_ || config_.keep_alive == 0) return;
  if (std::chrono::steady_clock::now() - last_send_ >
      std::chrono::seconds(config_.keep_alive / 2)) {
    Append(mqtt::PingreqPacket{});
    Flush();
  }
}

}  // namespace verbund::bench
