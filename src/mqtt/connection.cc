#include "mqtt/connection.h"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "core/logging.h"
#include "mqtt/security_events.h"
#include "mqtt/topic.h"

namespace verbund::mqtt {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxBufferedOutput = 8 << 20;  // QoS 0 beyond this is dropped (slow client)

std::shared_ptr<spdlog::logger> Log() {
  static auto log = Logger("mqtt");
  return log;
}

std::string RandomClientId() {
  unsigned char b[12];
  RAND_bytes(b, sizeof b);
  static const char* hex = "0123456789abcdef";
  std::string id = "verbund-";
  for (unsigned char c : b) {
    id.push_back(hex[c >> 4]);
    id.push_back(hex[c & 15]);
  }
  return id;
}

}  // namespace

Connection::Connection(Shard& shard, std::unique_ptr<net::Transport> transport,
                       net::ConnectionLease lease)
    : shard_(shard), transport_(std::move(transport)), lease_(std::move(lease)) {
  broker().metrics().connections_total.fetch_add(1, std::memory_order_relaxed);
  broker().metrics().connections_active.fetch_add(1, std::memory_order_relaxed);
}

Broker& Connection::broker() const { return shard_.broker(); }

// Touches nothing outside the connection: the last reference may be an aborted completion that
// the io_context destroys after the broker is gone.
Connection::~Connection() = default;

void Connection::Start() {
  shard_.AddConnection(shared_from_this());
  last_packet_ns_ = broker().clock().MonotonicNs();  // until CONNECT: when accepted
  transport_->AsyncHandshake([self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->state_ == State::kClosed) return;
    if (ec) {
      Log()->debug("{} {} handshake failed: {}", self->LogId(), self->transport_->kind(),
                   ec.message());
      return self->Close("handshake failed");
    }
    self->state_ = State::kAwaitConnect;
    self->Read();
  });
}

std::string Connection::LogId() const {
  if (!slot_) return transport_->peer();
  return transport_->peer() + " '" + slot_->client_id + "'";
}

bool Connection::TimedOut(int64_t now_ns) const {
  if (state_ == State::kHandshake || state_ == State::kAwaitConnect) {
    return now_ns - last_packet_ns_ >=
           static_cast<int64_t>(broker().config().connect_timeout_ms) * 1'000'000;
  }
  if (state_ != State::kConnected || keep_alive_ms_ == 0) return false;
  return (now_ns - last_packet_ns_) / 1'000'000 >= int64_t{keep_alive_ms_} * 3 / 2;
}

void Connection::CheckTimeouts(int64_t now_ns) {
  if (!TimedOut(now_ns)) return;
  if (state_ == State::kHandshake || state_ == State::kAwaitConnect) {
    Log()->info("{} closed: no CONNECT within {} ms", LogId(),
                broker().config().connect_timeout_ms);
    return Close("connect timeout");
  }
  Log()->info("{} keep-alive expired ({} ms idle)", LogId(),
              (now_ns - last_packet_ns_) / 1'000'000);
  Disconnect(ReasonCode::kKeepAliveTimeout, "keep alive timeout");
}

void Connection::Read() {
  if (reading_ || state_ == State::kClosed || state_ == State::kClosing) return;
  reading_ = true;
  if (buffered() == 0 && transport_->SupportsReadiness()) {
    // Between packets a connection holds no read buffer: it waits for readability, then reads
    // into its thread's scratch buffer and keeps only an incomplete packet's bytes.
    in_.reset();
    waiting_readable_ = true;
    transport_->AsyncWaitReadable(
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          self->reading_ = false;
          self->waiting_readable_ = false;
          if (self->state_ == State::kClosed) return;
          if (ec) return self->Close(ec.message());
          self->ReadReady();
        });
    return;
  }
  Input& in = input();
  if (in.buf.size() - in.len < kReadChunk) in.buf.resize(in.len + kReadChunk);
  transport_->AsyncReadSome(
      in.buf.data() + in.len, in.buf.size() - in.len,
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->reading_ = false;
        if (!self->Received(ec, n)) return;
        self->in_->len += n;
        self->ProcessBuffered();
      });
}

std::vector<char>& Connection::Scratch() {
  static thread_local std::vector<char> scratch(4 * kReadChunk);
  return scratch;
}

void Connection::ReadReady() {
  std::vector<char>& scratch = Scratch();
  boost::system::error_code ec;
  size_t n = transport_->ReadAvailable(scratch.data(), scratch.size(), ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) return Read();
  if (!Received(ec, n)) return;
  if (buffered() > 0) {  // an incomplete packet kept by DrainPendingInput comes first
    Input& in = *in_;
    in.buf.resize(in.len);
    in.buf.insert(in.buf.end(), scratch.data(), scratch.data() + n);
    in.len += n;
    return ProcessBuffered();
  }
  size_t used = Consume(std::string_view(scratch.data(), n));
  if (state_ == State::kClosed) return;
  KeepIncomplete(scratch, used, n);
  Continue();
}

void Connection::KeepIncomplete(const std::vector<char>& scratch, size_t used, size_t n) {
  if (used == n) return;
  Input& in = input();
  in.buf.assign(scratch.data() + used, scratch.data() + n);
  in.len = n - used;
}

void Connection::DrainPendingInput() {
  if (!waiting_readable_ || state_ != State::kConnected || input_held_) return;
  std::vector<char>& scratch = Scratch();
  boost::system::error_code ec;
  size_t n = transport_->ReadAvailable(scratch.data(), scratch.size(), ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) return;
  if (!Received(ec, n)) return;
  size_t used = Consume(std::string_view(scratch.data(), n));
  if (state_ == State::kClosed) return;
  // Keep an incomplete packet; the pending readiness wait picks up the rest.
  KeepIncomplete(scratch, used, n);
}

bool Connection::Received(const boost::system::error_code& ec, size_t n) {
  if (state_ == State::kClosed) return false;
  if (ec) {
    Close(ec == boost::asio::error::eof ? "peer closed" : ec.message());
    return false;
  }
  broker().metrics().bytes_in.fetch_add(n, std::memory_order_relaxed);
  if (accounting_) accounting_->bytes_in += n;
  // Bytes before CONNECT do not extend the CONNECT timeout (a slow-loris client).
  if (state_ == State::kConnected) last_packet_ns_ = broker().clock().MonotonicNs();
  return true;
}

void Connection::ProcessBuffered() {
  if (buffered() > 0) {
    Input& in = *in_;
    size_t used = Consume(std::string_view(in.buf.data(), in.len));
    if (state_ == State::kClosed) return;
    if (used > 0) {
      std::memmove(in.buf.data(), in.buf.data() + used, in.len - used);
      in.len -= used;
    }
  }
  Continue();
}

void Connection::Continue() {
  if (buffered() == 0 && in_ && in_->buf.size() > 4 * kReadChunk) in_.reset();
  if (state_ != State::kAwaitSession && !input_held_) Read();
}

size_t Connection::Consume(std::string_view data) {
  size_t pos = 0;
  const uint32_t max_packet = broker().config().max_packet_size;
  while (state_ != State::kClosed && state_ != State::kClosing && state_ != State::kAwaitSession &&
         !input_held_) {
    std::string_view avail = data.substr(pos);
    auto header = ParseFixedHeader(avail, max_packet);
    if (!header) break;  // need more bytes
    if (auto* err = std::get_if<CodecError>(&*header)) {
      Protocol(err->reason, err->message);
      return pos;
    }
    const FixedHeader& fh = std::get<FixedHeader>(*header);
    if (avail.size() < fh.total_length()) break;  // size already checked against the limit
    if (state_ == State::kAwaitConnect && fh.type() != PacketType::kConnect) {
      Protocol(ReasonCode::kProtocolError, "first packet is not CONNECT");
      return pos;
    }
    const std::string_view body = avail.substr(fh.header_length, fh.remaining_length);
    auto decoded = DecodePacket(fh, body, version_);
    pos += fh.total_length();
    if (auto* err = std::get_if<CodecError>(&decoded)) {
      // A CONNECT that announces 5.0 but is invalid is refused with a 5.0 CONNACK.
      if (state_ == State::kAwaitConnect) version_ = ConnectVersion(body).value_or(version_);
      Protocol(err->reason, err->message);
      return pos;
    }
    HandlePacket(std::move(std::get<Packet>(decoded)));
  }
  return pos;
}

namespace {

// A decoding failure as a CONNACK reason code (5.0 section 3.2.2.2 lists which are allowed).
ReasonCode ConnackFailure(ReasonCode reason) {
  switch (reason) {
    case ReasonCode::kMalformedPacket:
    case ReasonCode::kProtocolError:
    case ReasonCode::kTopicNameInvalid:
    case ReasonCode::kPacketTooLarge:
    case ReasonCode::kPayloadFormatInvalid:
      return reason;
    default:
      return ReasonCode::kUnspecifiedError;
  }
}

}  // namespace

void Connection::Protocol(ReasonCode reason, std::string_view why) {
  broker().metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
  Log()->info("{} protocol violation ({}): {}", LogId(), ReasonCodeName(reason), why);
  if (state_ == State::kAwaitConnect) {
    // 3.1.1 section 3.2.2.3: CONNACK 0x01 (unacceptable protocol level), then close; another
    // invalid 3.1.1 CONNECT is closed without CONNACK (MQTT-3.1.4-1). An invalid 5.0 CONNECT
    // gets a CONNACK with the failure (3.1.4, 4.13.1), never a DISCONNECT (MQTT-3.14.0-1).
    if (reason == ReasonCode::kUnsupportedProtocolVersion) return SendConnackAndFail(reason);
    if (version_ == ProtocolVersion::kV5) return SendConnackAndFail(ConnackFailure(reason));
  }
  Disconnect(reason, why);
}

void Connection::Disconnect(ReasonCode reason, std::string_view why) {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  if (version_ == ProtocolVersion::kV5 && state_ == State::kConnected) {
    DisconnectPacket d;
    d.reason = reason;
    SendPacket(d);
    close_after_write_ = true;
    // A server-initiated DISCONNECT is not a normal end for the client: the will is published.
    Finish();
    state_ = State::kClosing;
    if (!writing_) Close(why);
    return;
  }
  Close(why);
}

void Connection::Close(std::string_view why) {
  if (state_ == State::kClosed) return;
  if (state_ != State::kClosing) Finish();
  state_ = State::kClosed;
  broker().metrics().connections_active.fetch_sub(1, std::memory_order_relaxed);
  if (tenant_metrics_) TenantMetrics::Add<int64_t>(tenant_metrics_->connections, -1);
  if (accounting_ && broker().events()) {
    const Accounting& a = *accounting_;
    broker().events()->Disconnected({a.client_id, a.principal, transport_->peer(), why,
                                     a.messages_in, a.messages_out, a.bytes_in, a.bytes_out,
                                     a.tenant, publishes_denied_});
  }
  if (Log()->should_log(spdlog::level::debug)) Log()->debug("{} closed: {}", LogId(), why);
  transport_->Close();
  shard_.RemoveConnection(shared_from_this());
}

// Detaches from the session, handing over the will (if the client did not DISCONNECT normally).
void Connection::Finish() {
  quota_lease_.reset();
  if (session_ != nullptr) {
    Session* s = session_;
    session_ = nullptr;
    s->Detach(TakeWill());
  }
}

void Connection::SendPacket(const Packet& p) {
  if (state_ == State::kClosed) return;
  EncodePacket(p, version_, &output().pending);
  Write();
}

bool Connection::SendPublish(const Outbound& out, bool dup, uint16_t packet_id) {
  if (state_ != State::kConnected) return false;
  if (out.qos == 0 && out_ && out_->pending.size() > kMaxBufferedOutput) {
    broker().metrics().dropped_slow_client.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const Message& m = *out.msg;
  PublishView v;
  v.topic = m.topic;
  // Only topics in the principal's namespace can match its filters; anything else would be a
  // bug, and must not leak.
  auto visible = UnmountTopic(m.topic, session_->principal().mount);
  if (!visible) return false;
  v.topic = *visible;
  v.payload = m.payload;
  v.qos = out.qos;
  v.retain = out.retain;
  v.dup = dup;
  v.packet_id = packet_id;
  if (version_ == ProtocolVersion::kV5) {
    v.properties = &m.properties;
    v.subscription_ids = &out.sub_ids;
    if (m.expiry_ns != 0) {
      int64_t left = m.expiry_ns - broker().clock().MonotonicNs();
      if (left <= 0) {
        broker().metrics().dropped_expired.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      v.message_expiry_interval = static_cast<uint32_t>((left + 999'999'999) / 1'000'000'000);
    }
    if (client_alias_max_ > 0) {
      if (!aliases_) aliases_ = std::make_unique<Aliases>();
      auto& outbound = aliases_->outbound;
      auto it = outbound.find(m.topic);
      if (it != outbound.end()) {
        v.topic_alias = it->second;
        v.topic = {};
      } else if (outbound.size() < client_alias_max_) {
        v.topic_alias = static_cast<uint16_t>(outbound.size() + 1);  // topic + new alias
      }
    }
  }
  if (EncodedPublishSize(v, version_) > client_max_packet_) {
    broker().metrics().dropped_too_large.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // A new alias is remembered only once the packet that teaches it to the client goes out.
  if (v.topic_alias && !v.topic.empty()) aliases_->outbound.emplace(m.topic, *v.topic_alias);
  EncodePublish(v, version_, &output().pending);
  broker().metrics().messages_out[out.qos].fetch_add(1, std::memory_order_relaxed);
  if (tenant_metrics_) TenantMetrics::Add<uint64_t>(tenant_metrics_->messages_out, 1);
  if (accounting_) ++accounting_->messages_out;
  Write();
  return true;
}

void Connection::Write() {
  if (writing_ || !out_ || out_->pending.empty() || state_ == State::kClosed) return;
  writing_ = true;
  Output& o = *out_;
  o.active.swap(o.pending);
  o.pending.clear();
  transport_->AsyncWrite(
      o.active.data(), o.active.size(),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->writing_ = false;
        self->broker().metrics().bytes_out.fetch_add(n, std::memory_order_relaxed);
        if (self->accounting_) self->accounting_->bytes_out += n;
        // Written and nothing waiting: give the buffers back, so a connection between bursts
        // holds no output memory. While busy, the two buffers take turns.
        if (self->out_->pending.empty()) {
          self->out_.reset();
        } else {
          self->out_->active.clear();
        }
        if (self->state_ == State::kClosed) return;
        if (ec) return self->Close(ec.message());
        if (self->out_) return self->Write();
        if (self->close_after_write_) self->Close("disconnected by server");
      });
}

void Connection::HandlePacket(Packet&& p) {
  if (state_ == State::kAwaitConnect) {
    return HandleConnect(std::move(std::get<ConnectPacket>(p)));
  }
  switch (TypeOf(p)) {
    case PacketType::kPublish:
      return HandlePublish(std::move(std::get<PublishPacket>(p)));
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return HandleAck(std::get<AckPacket>(p));
    case PacketType::kSubscribe:
      return HandleSubscribe(std::move(std::get<SubscribePacket>(p)));
    case PacketType::kUnsubscribe:
      return HandleUnsubscribe(std::move(std::get<UnsubscribePacket>(p)));
    case PacketType::kPingreq:
      return SendPacket(PingrespPacket{});
    case PacketType::kDisconnect:
      return HandleDisconnect(std::get<DisconnectPacket>(p));
    case PacketType::kConnect:
      return Protocol(ReasonCode::kProtocolError, "second CONNECT");
    case PacketType::kAuth:
      // Enhanced authentication is not configured: any AUTH is a protocol error (4.12).
      return Protocol(ReasonCode::kProtocolError, "AUTH without an authentication method");
    default:
      return Protocol(ReasonCode::kProtocolError, "packet type not sent by clients");
  }
}

void Connection::SendConnackAndFail(ReasonCode reason) {
  ConnackPacket ack;
  ack.reason = reason;
  EncodePacket(ack, version_, &output().pending);
  close_after_write_ = true;
  state_ = State::kClosing;
  Write();
}

void Connection::HandleConnect(ConnectPacket&& c) {
  version_ = c.version;
  const MqttConfig& cfg = broker().config();
  connect_ = std::make_unique<PendingConnect>();
  if (c.properties.authentication_method) {
    return RefuseConnect(c, ReasonCode::kBadAuthenticationMethod);
  }
  if (c.client_id.empty()) {
    // 3.1.1 MQTT-3.1.3-8: an empty id needs a clean session; MQTT 3.1 requires an id.
    if ((version_ == ProtocolVersion::kV311 && !c.clean_start) ||
        c.protocol_name == kProtocolNameV31) {
      return RefuseConnect(c, ReasonCode::kClientIdentifierNotValid);
    }
    c.client_id = RandomClientId();
    if (version_ == ProtocolVersion::kV5)
      connect_->connack.assigned_client_identifier = c.client_id;
  }
  if (c.client_id.size() > 256) return RefuseConnect(c, ReasonCode::kClientIdentifierNotValid);

  ConnectInfo info{
      c.client_id,       c.username, c.password, transport_->peer(), transport_->peer_names(),
      transport_->kind()};
  auto auth = broker().authenticator().Authenticate(info);
  if (auto* reason = std::get_if<ReasonCode>(&auth)) {
    broker().metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
    Log()->warn("{} authentication failed for client '{}' user '{}': {}", LogId(), c.client_id,
                c.username.value_or(""), ReasonCodeName(*reason));
    return RefuseConnect(c, *reason);
  }
  Principal principal = std::get<Principal>(std::move(auth));
  principal.client_id = c.client_id;
  if (c.will) {
    if (!broker().authorizer().CanPublish(principal, c.will->topic)) {
      return RefuseConnect(c, ReasonCode::kNotAuthorized);
    }
    c.will->topic = MountTopic(c.will->topic, principal.mount);
  }

  const Properties& props = c.properties;
  if (props.receive_maximum) client_receive_max_ = *props.receive_maximum;
  if (props.maximum_packet_size) client_max_packet_ = *props.maximum_packet_size;
  if (props.topic_alias_maximum) client_alias_max_ = *props.topic_alias_maximum;

  uint32_t expiry = 0;
  if (version_ == ProtocolVersion::kV5) {
    expiry = props.session_expiry_interval.value_or(0);
    if (expiry > cfg.max_session_expiry_s && expiry != 0xffffffff) {
      expiry = cfg.max_session_expiry_s;
      connect_->connack.session_expiry_interval = expiry;
    } else if (expiry == 0xffffffff && cfg.max_session_expiry_s != 0xffffffff) {
      expiry = cfg.max_session_expiry_s;
      connect_->connack.session_expiry_interval = expiry;
    }
  } else if (!c.clean_start) {
    expiry = cfg.max_session_expiry_s;  // 3.1.1 sessions never expire; we bound them (doc)
  }

  uint16_t keep_alive = c.keep_alive;
  if (keep_alive > cfg.max_keep_alive_s || (keep_alive == 0 && version_ == ProtocolVersion::kV5 &&
                                            cfg.max_keep_alive_s < 65535)) {
    keep_alive = cfg.max_keep_alive_s;
    if (version_ == ProtocolVersion::kV5) connect_->connack.server_keep_alive = keep_alive;
  }
  keep_alive_ms_ = uint32_t{keep_alive} * 1000;
  if (c.will) will_ = std::make_unique<Will>(std::move(*c.will));

  if (version_ == ProtocolVersion::kV5) {
    connect_->connack.receive_maximum = cfg.receive_maximum;
    connect_->connack.maximum_packet_size = cfg.max_packet_size;
    connect_->connack.topic_alias_maximum = cfg.topic_alias_maximum;
    connect_->connack.retain_available = 1;
    connect_->connack.wildcard_subscription_available = 1;
    connect_->connack.subscription_identifier_available = 1;
    connect_->connack.shared_subscription_available = 1;
  }

  connect_->principal = std::move(principal);
  connect_->expiry = expiry;
  connect_->client_id = c.client_id;
  connect_->clean_start = c.clean_start;
  if (!AdmitConnection(false)) return RefuseConnect(c, ReasonCode::kQuotaExceeded);
  if (RecordConnect(c, info)) return;  // continues once the audit log has the connect
  RegisterSession();
}

namespace {

// Sessions are keyed by tenant and client id: equal ids of two tenants are two sessions.
std::string SessionKey(const Principal& p, const std::string& client_id) {
  return p.tenant.empty() ? client_id : p.tenant + '/' + client_id;
}

}  // namespace

bool Connection::AdmitConnection(bool retried) {
  PendingConnect& c = *connect_;
  if (auto lease = broker().authorizer().AdmitConnection(c.principal)) {
    quota_lease_ = std::move(*lease);
    return true;
  }
  // A reconnecting client: its old connection still counts until the takeover ends it.
  if (!retried && broker().IsRegistered(SessionKey(c.principal, c.client_id))) {
    c.admit_after_takeover = true;
    return true;
  }
  Log()->warn("{} refused: connection quota of '{}' reached", LogId(), c.principal.name);
  return false;
}

void Connection::RegisterSession() {
  const PendingConnect& c = *connect_;
  auto slot = std::make_shared<SessionSlot>();
  slot->id = broker().NextSlotId();
  slot->client_id = SessionKey(c.principal, c.client_id);
  slot->owner = shard_.index();
  slot_ = slot;
  slot->handover_state().connecting = weak_from_this();
  shard_.AddSlot(slot);
  std::shared_ptr<SessionSlot> previous = broker().Register(slot);

  state_ = State::kAwaitSession;
  if (!previous) {
    shard_.Adopt(slot, std::nullopt, nullptr);
    return;
  }
  bool clean = c.clean_start;
  boost::asio::post(broker().shard(previous->owner).context(),
                    [&broker = broker(), previous, slot, clean] {
                      broker.shard(previous->owner).Detach(previous, slot, clean);
                    });
}

bool Connection::RecordConnect(const ConnectPacket& c, const ConnectInfo& info) {
  SecurityEvents* events = broker().events();
  if (events == nullptr) return false;
  accounting_ = std::make_unique<Accounting>();
  accounting_->principal = connect_->principal.name;
  accounting_->tenant = connect_->principal.tenant;
  accounting_->client_id = info.client_id;
  std::string_view protocol = version_ == ProtocolVersion::kV5      ? "5.0"
                              : c.protocol_name == kProtocolNameV31 ? "3.1"
                                                                    : "3.1.1";
  // No further packet is read until the entry is durable; then the session is set up and the
  // CONNACK sent as without events.
  state_ = State::kAwaitSession;
  std::weak_ptr<Connection> weak = weak_from_this();
  auto& ctx = shard_.context();
  events->Connected({info.client_id, connect_->principal.name, info.peer, info.transport, protocol,
                     connect_->principal.tenant},
                    [weak, &ctx](const Status& st) {
                      boost::asio::post(ctx, [weak, st] {
                        auto self = weak.lock();
                        if (!self || self->state_ != State::kAwaitSession || self->slot_) return;
                        if (!st.ok()) {
                          Log()->error("{} refused: the audit log cannot record the connect: {}",
                                       self->LogId(), st.ToString());
                          return self->SendConnackAndFail(ReasonCode::kServerUnavailable);
                        }
                        self->RegisterSession();
                      });
                    });
  return true;
}

void Connection::RefuseConnect(const ConnectPacket& c, ReasonCode reason) {
  if (SecurityEvents* events = broker().events()) {
    events->ConnectFailed({c.client_id, c.username ? std::string_view(*c.username) : "",
                           transport_->peer(), transport_->kind(), reason});
  }
  SendConnackAndFail(reason);
}

void Connection::OnSessionReady(Session* session, bool session_present) {
  if (state_ != State::kAwaitSession) return;
  const bool over_quota = connect_->admit_after_takeover && !AdmitConnection(true);
  session_ = session;
  session->version = version_;
  session->set_principal(std::move(connect_->principal));
  session->DropUnreceivable();
  session->set_expiry(connect_->expiry);
  if (over_quota) {
    // Attached only so that closing detaches it like any session whose client went away.
    session->Attach(this);
    will_.reset();
    connect_.reset();
    return SendConnackAndFail(ReasonCode::kQuotaExceeded);
  }
  ConnackPacket ack;
  ack.session_present = session_present;
  ack.properties = std::move(connect_->connack);
  connect_.reset();
  SendPacket(ack);
  state_ = State::kConnected;
  tenant_metrics_ = broker().TenantMetricsFor(session->principal().tenant, shard_.index());
  TenantMetrics::Add<int64_t>(tenant_metrics_->connections, 1);
  Log()->info("{} connected via {} (MQTT {}, keep-alive {} s, session {})", LogId(),
              transport_->kind(), version_ == ProtocolVersion::kV5 ? "5.0" : "3.1.1",
              keep_alive_ms_ / 1000, session_present ? "resumed" : "new");
  session->Attach(this);
  session->Resume();
  last_packet_ns_ = broker().clock().MonotonicNs();
  // Packets the client sent right behind CONNECT are still in the buffer.
  boost::asio::post(shard_.context(), [self = shared_from_this()] {
    if (self->state_ == State::kConnected) self->ProcessBuffered();
  });
}

void Connection::Acknowledge(PacketType type, uint16_t id, ReasonCode reason) {
  AckPacket ack;
  ack.type = type;
  ack.packet_id = id;
  ack.reason = reason;
  SendPacket(ack);
}

void Connection::HandlePublish(PublishPacket&& p) {
  const MqttConfig& cfg = broker().config();
  broker().metrics().messages_in[p.qos].fetch_add(1, std::memory_order_relaxed);
  if (tenant_metrics_) TenantMetrics::Add<uint64_t>(tenant_metrics_->messages_in, 1);
  if (accounting_) ++accounting_->messages_in;
  if (!p.properties.subscription_identifiers.empty()) {
    // MQTT-3.3.4-6: only the server puts Subscription Identifiers in a PUBLISH.
    return Protocol(ReasonCode::kProtocolError, "subscription identifier in a client PUBLISH");
  }
  // Topic alias (3.3.2.3.4).
  if (p.properties.topic_alias) {
    uint16_t alias = *p.properties.topic_alias;
    if (alias == 0 || alias > cfg.topic_alias_maximum) {
      return Protocol(ReasonCode::kTopicAliasInvalid, "topic alias out of range");
    }
    if (!aliases_) aliases_ = std::make_unique<Aliases>();
    std::vector<std::string>& inbound = aliases_->inbound;
    if (inbound.empty()) inbound.resize(cfg.topic_alias_maximum + 1);
    if (p.topic.empty()) {
      if (inbound[alias].empty()) {
        return Protocol(ReasonCode::kProtocolError, "unknown topic alias");
      }
      p.topic = inbound[alias];
    } else {
      inbound[alias] = p.topic;
    }
    p.properties.topic_alias.reset();
  } else if (p.topic.empty()) {
    return Protocol(ReasonCode::kTopicNameInvalid, "empty topic");
  }
  if (p.topic.size() > cfg.max_topic_length || TopicLevels(p.topic) > cfg.max_topic_levels) {
    return Protocol(ReasonCode::kTopicNameInvalid, "topic too long or too deep");
  }
  if (p.properties.user_properties.size() > cfg.max_properties) {
    return Protocol(ReasonCode::kImplementationSpecificError, "too many user properties");
  }
  // Receive Maximum (4.9): a QoS 1 message holds a slot until its PUBACK, a QoS 2 message until
  // the PUBCOMP that answers its PUBREL (or a PUBREC with an error code).
  if (p.qos > 0) {
    if (++incoming_unacked_ > cfg.receive_maximum) {
      return Protocol(ReasonCode::kReceiveMaximumExceeded, "receive maximum exceeded");
    }
  }
  // QoS 2 resent before PUBREL: acknowledge again, never route twice (4.3.3).
  if (p.qos == 2 && session_->HasIncomingQos2(p.packet_id)) {
    --incoming_unacked_;
    return Acknowledge(PacketType::kPubrec, p.packet_id, ReasonCode::kSuccess);
  }
  RoutePublish(std::move(p));
}

void Connection::OverQuota(PublishPacket&& p, int64_t retry_after_ms) {
  broker().metrics().quota_refusals.fetch_add(1, std::memory_order_relaxed);
  if (!quota_reported_) {
    quota_reported_ = true;
    const Principal& who = session_->principal();
    Log()->warn("{} over its rate quota (principal '{}')", LogId(), who.name);
    if (SecurityEvents* events = broker().events()) {
      events->PublishDenied({session_->visible_client_id(), who.name, transport_->peer(), p.topic,
                             who.tenant, ReasonCode::kQuotaExceeded});
    }
  }
  if (p.qos == 0) return;  // at most once: dropped (and counted)
  if (version_ == ProtocolVersion::kV5) {
    --incoming_unacked_;
    return Acknowledge(p.qos == 2 ? PacketType::kPubrec : PacketType::kPuback, p.packet_id,
                       ReasonCode::kQuotaExceeded);
  }
  // 3.1.1 has no negative acknowledgement: the PUBLISH, and every packet after it, waits.
  if (!held_) held_ = std::make_unique<HeldPublish>(shard_.context());
  held_->packet = std::move(p);
  input_held_ = true;
  held_->timer.expires_after(std::chrono::milliseconds(retry_after_ms));
  held_->timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->state_ != State::kConnected) return;
    self->input_held_ = false;
    PublishPacket held = std::move(self->held_->packet);
    self->RoutePublish(std::move(held));
    if (self->state_ == State::kConnected && !self->input_held_) self->ProcessBuffered();
  });
}

bool Connection::ShouldReportDenial(std::string_view topic) {
  ++publishes_denied_;
  if (denied_topics_.size() >= kReportedDenials) return false;
  if (std::ranges::find(denied_topics_, topic) != denied_topics_.end()) return false;
  denied_topics_.emplace_back(topic);
  return true;
}

void Connection::RoutePublish(PublishPacket&& p) {
  const PacketType ack_type = p.qos == 2 ? PacketType::kPubrec : PacketType::kPuback;
  const Principal& principal = session_->principal();
  int64_t retry_after_ms = 0;
  if (!broker().authorizer().AdmitPublish(principal, p.topic.size() + p.payload.size(),
                                          &retry_after_ms)) {
    return OverQuota(std::move(p), retry_after_ms);
  }
  if (!broker().authorizer().CanPublish(principal, p.topic)) {
    broker().metrics().publish_denied.fetch_add(1, std::memory_order_relaxed);
    if (ShouldReportDenial(p.topic)) {
      Log()->warn("{} not authorized to publish to '{}'", LogId(), p.topic);
      if (SecurityEvents* events = broker().events()) {
        events->PublishDenied({session_->visible_client_id(), principal.name, transport_->peer(),
                               p.topic, principal.tenant, ReasonCode::kNotAuthorized});
      }
    }
    if (p.qos > 0) {
      --incoming_unacked_;
      Acknowledge(ack_type, p.packet_id, ReasonCode::kNotAuthorized);
    }
    return;
  }

  auto msg = std::make_shared<Message>();
  msg->topic = MountTopic(p.topic, session_->principal().mount);
  msg->payload = std::move(p.payload);
  msg->qos = p.qos;
  msg->retain = p.retain;
  if (p.properties.message_expiry_interval) {
    msg->expiry_ns = broker().clock().MonotonicNs() +
                     static_cast<int64_t>(*p.properties.message_expiry_interval) * 1'000'000'000;
    p.properties.message_expiry_interval.reset();
  }
  p.properties.subscription_identifiers.clear();
  msg->properties = std::move(p.properties);
  msg->origin_session = slot_->id;
  msg->origin_client = slot_->client_id;
  MessagePtr shared = std::move(msg);

  size_t matched = shard_.Publish(shared);
  for (Tap* watcher : broker().watchers()) watcher->OnPublish(shared, nullptr);
  const auto& taps = broker().taps();
  if (p.qos == 0) {
    for (Tap* tap : taps) tap->OnPublish(shared, nullptr);
    return;
  }
  uint16_t id = p.packet_id;
  if (p.qos == 2) session_->AddIncomingQos2(id);
  ReasonCode ok = matched == 0 && version_ == ProtocolVersion::kV5
                      ? ReasonCode::kNoMatchingSubscribers
                      : ReasonCode::kSuccess;
  if (taps.empty()) {
    if (p.qos == 1) --incoming_unacked_;
    return Acknowledge(ack_type, id, ok);
  }
  // The acknowledgement waits until every tap has made the message durable.
  struct Pending {
    std::atomic<size_t> left;
    std::mutex mu;
    Status failure;  // GUARDED_BY(mu): the first tap's error
  };
  auto pending = std::make_shared<Pending>();
  pending->left = taps.size();
  std::weak_ptr<Connection> weak = shared_from_this();
  auto& ctx = shard_.context();
  for (Tap* tap : taps) {
    tap->OnPublish(shared, [pending, weak, &ctx, ack_type, id, ok](Status st) {
      if (!st.ok()) {
        std::lock_guard lock(pending->mu);
        if (pending->failure.ok()) pending->failure = std::move(st);
      }
      if (pending->left.fetch_sub(1) != 1) return;
      boost::asio::post(ctx, [pending, weak, ack_type, id, ok] {
        auto self = weak.lock();
        if (!self || self->state_ != State::kConnected) return;
        const Status& failure = pending->failure;  // every tap is done: no lock needed
        if (!failure.ok() && self->version_ != ProtocolVersion::kV5) {
          // 3.1.1 cannot refuse it, and acknowledging would lose it: the client sends it
          // again on its next connection.
          return self->Close("a QoS " + std::to_string(ack_type == PacketType::kPubrec ? 2 : 1) +
                             " message was not stored: " + failure.ToString());
        }
        if (ack_type == PacketType::kPuback || !failure.ok()) --self->incoming_unacked_;
        // A PUBREC with an error ends the QoS 2 exchange (4.3.3): a later PUBREL gets 0x92.
        if (ack_type == PacketType::kPubrec && !failure.ok() && self->session_ != nullptr) {
          self->session_->ReleaseIncomingQos2(id);
        }
        ReasonCode reason = ok;
        if (!failure.ok()) {
          reason = failure.code() == StatusCode::kResourceExhausted ? ReasonCode::kQuotaExceeded
                                                                    : ReasonCode::kUnspecifiedError;
        }
        self->Acknowledge(ack_type, id, reason);
      });
    });
  }
}

void Connection::HandleAck(const AckPacket& a) {
  switch (a.type) {
    case PacketType::kPuback:
      return session_->OnPuback(a.packet_id);
    case PacketType::kPubrec:
      return session_->OnPubrec(a.packet_id, a.reason);
    case PacketType::kPubcomp:
      return session_->OnPubcomp(a.packet_id);
    case PacketType::kPubrel: {
      bool known = session_->ReleaseIncomingQos2(a.packet_id);
      // Its slot in our Receive Maximum is free with the PUBCOMP. An id left from an earlier
      // connection of the session never counted against this one's.
      if (known && incoming_unacked_ > 0) --incoming_unacked_;
      return Acknowledge(PacketType::kPubcomp, a.packet_id,
                         known ? ReasonCode::kSuccess : ReasonCode::kPacketIdentifierNotFound);
    }
    default:
      return;
  }
}

void Connection::HandleSubscribe(SubscribePacket&& s) {
  const MqttConfig& cfg = broker().config();
  uint32_t sub_id = s.properties.subscription_identifiers.empty()
                        ? 0
                        : s.properties.subscription_identifiers.front();
  struct Op {
    std::string full;
    std::string filter;
    std::string group;
    SubRecord record;
    bool existed = false;
  };
  struct Ops {
    std::vector<Op> list;
    // Per shard: its last retained sequence number when these subscriptions reached it.
    std::vector<uint64_t> retained_watermarks;
  };
  auto ops = std::make_shared<Ops>();
  SubackPacket ack;
  ack.packet_id = s.packet_id;
  const Principal& principal = session_->principal();
  for (Subscription& sub : s.subscriptions) {
    Op op;
    op.filter = sub.filter;
    ReasonCode granted = static_cast<ReasonCode>(std::min<uint8_t>(sub.options.max_qos, 2));
    if (sub.filter.rfind("$share/", 0) == 0) {
      auto shared = ParseSharedFilter(sub.filter);
      if (!shared || !IsValidTopicFilter(shared->filter)) {
        ack.reasons.push_back(ReasonCode::kTopicFilterInvalid);
        continue;
      }
      if (sub.options.no_local) {
        // 3.8.3.1: No Local on a shared subscription is a Protocol Error.
        return Protocol(ReasonCode::kProtocolError, "no local on a shared subscription");
      }
      op.group = shared->group;
      op.filter = shared->filter;
    }
    if (!IsValidTopicFilter(op.filter) || op.filter.size() > cfg.max_topic_length ||
        TopicLevels(op.filter) > cfg.max_topic_levels) {
      ack.reasons.push_back(ReasonCode::kTopicFilterInvalid);
      continue;
    }
    if (!broker().authorizer().CanSubscribe(principal, op.filter)) {
      ack.reasons.push_back(ReasonCode::kNotAuthorized);
      continue;
    }
    op.filter = MountTopic(op.filter, principal.mount);
    op.full = MountedFilter(sub.filter, principal.mount);
    auto& subs = session_->mutable_subscriptions();
    op.existed = subs.contains(op.full);
    if (!op.existed && subs.size() >= cfg.max_subscriptions_per_client) {
      ack.reasons.push_back(ReasonCode::kQuotaExceeded);
      continue;
    }
    op.record.options = sub.options;
    op.record.subscription_id = sub_id;
    subs[op.full] = op.record;
    ack.reasons.push_back(granted);
    ops->list.push_back(std::move(op));
  }
  if (SecurityEvents* events = broker().events()) {
    const std::string peer = transport_->peer();
    for (size_t i = 0; i < ack.reasons.size(); ++i) {
      events->Subscribed({session_->visible_client_id(), principal.name, peer,
                          s.subscriptions[i].filter, ack.reasons[i], principal.tenant});
    }
  }
  if (version_ == ProtocolVersion::kV311) {
    for (auto& r : ack.reasons) {
      if (static_cast<uint8_t>(r) >= 0x80) r = ReasonCode::kUnspecifiedError;
    }
  }
  if (ops->list.empty()) return SendPacket(ack);
  ops->retained_watermarks.assign(broker().shard_count(), 0);
  // Later packets wait for the SUBACK: a PUBLISH after a SUBSCRIBE must meet the subscription,
  // and answers go out in the order their requests came in.
  input_held_ = true;
  auto slot = slot_;
  std::weak_ptr<Connection> weak = shared_from_this();
  broker().ForEachShard(
      [ops, slot](Shard& shard) {
        for (const Op& op : ops->list) {
          shard.tree().Add(op.filter, op.group,
                           SubscriberEntry{slot, op.record.options, op.record.subscription_id});
        }
        // Each shard writes its own element; ForEachShard's completion orders it before `done`.
        ops->retained_watermarks[shard.index()] = shard.retained_seq();
      },
      [ops, weak, ack = std::move(ack), &broker = broker()]() mutable {
        auto self = weak.lock();
        if (!self) return;
        self->input_held_ = false;
        if (self->state_ != State::kConnected || self->session_ == nullptr) return;
        self->SendPacket(ack);
        // Retained messages (3.3.1.3, 3.8.3.1 Retain Handling); none for shared subscriptions.
        for (const Op& op : ops->list) {
          uint8_t rh = op.record.options.retain_handling;
          if (!op.group.empty() || rh == 2 || (rh == 1 && op.existed)) continue;
          for (const MessagePtr& m : broker.retained().Match(op.filter, ops->retained_watermarks)) {
            Delivery d;
            d.slot = self->slot_;
            d.msg = m;
            d.options = op.record.options;
            if (op.record.subscription_id) d.sub_ids.push_back(op.record.subscription_id);
            d.from_retained = true;
            self->session_->Deliver(d);
          }
        }
        self->ProcessBuffered();
      });
}

void Connection::HandleUnsubscribe(UnsubscribePacket&& u) {
  UnsubackPacket ack;
  ack.packet_id = u.packet_id;
  auto removals = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  const std::string& mount = session_->principal().mount;
  for (const std::string& requested : u.filters) {
    if (!IsValidTopicFilter(requested) && !ParseSharedFilter(requested)) {
      ack.reasons.push_back(ReasonCode::kTopicFilterInvalid);
      continue;
    }
    const std::string full = MountedFilter(requested, mount);
    bool existed = session_->mutable_subscriptions().erase(full) > 0;
    ack.reasons.push_back(existed ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
    if (!existed) continue;
    auto shared = ParseSharedFilter(full);
    if (shared) removals->emplace_back(shared->filter, shared->group);
    else removals->emplace_back(full, "");
  }
  if (version_ == ProtocolVersion::kV311) ack.reasons.clear();
  if (removals->empty()) return SendPacket(ack);
  const SessionSlot* slot = slot_.get();
  std::weak_ptr<Connection> weak = shared_from_this();
  input_held_ = true;  // as for SUBSCRIBE: later packets wait for the UNSUBACK
  broker().ForEachShard(
      [removals, slot](Shard& shard) {
        for (const auto& [filter, group] : *removals) shard.tree().Remove(filter, group, slot);
      },
      [weak, ack = std::move(ack)] {
        auto self = weak.lock();
        if (!self) return;
        self->input_held_ = false;
        if (self->state_ != State::kConnected) return;
        self->SendPacket(ack);
        self->ProcessBuffered();
      });
}

void Connection::HandleDisconnect(const DisconnectPacket& d) {
  if (version_ == ProtocolVersion::kV5) {
    if (d.properties.session_expiry_interval) {
      if (session_->expiry() == 0 && *d.properties.session_expiry_interval != 0) {
        return Protocol(ReasonCode::kProtocolError, "session expiry set after connecting with 0");
      }
      session_->set_expiry(
          std::min(*d.properties.session_expiry_interval, broker().config().max_session_expiry_s));
    }
  }
  // Normal DISCONNECT discards the will; reason 0x04 asks for it to be published (3.14.2.1).
  if (d.reason != ReasonCode::kDisconnectWithWill) will_.reset();
  Close("client disconnected");
}

}  // namespace verbund::mqtt
