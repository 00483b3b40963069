// One client's network connection: reads and frames packets, enforces the CONNECT timeout,
// keep-alive and limits, and handles each packet (handlers are flat chains of guard clauses).
// Lives on one I/O thread; shared_ptr so asynchronous callbacks can keep it alive.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mqtt/broker_internal.h"
#include "net/listener.h"
#include "net/transport.h"

namespace verbund::mqtt {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Shard& shard, std::unique_ptr<net::Transport> transport, net::ConnectionLease lease);
  ~Connection();

  void Start();

  // Encodes and queues a PUBLISH for this client; false if it could not be sent (too large for
  // the client, or QoS 0 and the client is too slow).
  bool SendPublish(const Outbound& out, bool dup, uint16_t packet_id);
  void SendPacket(const Packet& p);
  // Sends DISCONNECT with `reason` (5.0 only) and closes after it is written.
  void Disconnect(ReasonCode reason, std::string_view why);
  // Closes at once; the will is published unless the client sent DISCONNECT.
  void Close(std::string_view why);
  // Takeover: the session leaves this connection (which is then disconnected with 0x8E); the
  // caller decides about the will.
  std::optional<Will> ReleaseSession() {
    session_ = nullptr;
    return TakeWill();
  }

  // Shutdown: the server is going away, so no will is published.
  std::optional<Will> ReleaseWillOnly() { return TakeWill(); }

  ProtocolVersion version() const { return version_; }
  uint16_t client_receive_maximum() const { return client_receive_max_; }
  bool closed() const { return state_ == State::kClosed; }
  std::string peer() const { return transport_->peer(); }
  std::string_view transport_kind() const { return transport_->kind(); }
  // The session while connected (null before CONNACK and after close).
  Session* session() const { return state_ == State::kConnected ? session_ : nullptr; }

  // Called by the shard's sweeper (a few times a second): closes a connection that sent no
  // CONNECT in time or whose keep-alive ran out. No per-connection timer: an idle connection
  // holds nothing that waits.
  void CheckTimeouts(int64_t now_ns);
  bool TimedOut(int64_t now_ns) const;

  // Takeover: handles packets that have already arrived on this connection (a DISCONNECT sent
  // just before the client reconnected elsewhere must end the old session first).
  void DrainPendingInput();

  // Resumes packet processing once the session is adopted after a takeover.
  void OnSessionReady(Session* session, bool session_present);

 private:
  enum class State : uint8_t {
    kHandshake,
    kAwaitConnect,
    kAwaitSession,
    kConnected,
    kClosing,
    kClosed
  };

  // Received bytes not yet handled: an incomplete packet, and for transports without readiness
  // reads the read buffer. Null between packets on plain TCP.
  struct Input {
    std::vector<char> buf;
    size_t len = 0;  // bytes of buf in use
  };
  // Encoded packets waiting (pending) and being written (active). Null when nothing is.
  struct Output {
    std::string pending;
    std::string active;
  };
  // Between CONNECT and CONNACK only.
  struct PendingConnect {
    Properties connack;
    Principal principal;
    uint32_t expiry = 0;
    std::string client_id;
    bool clean_start = false;
    bool admit_after_takeover = false;  // refused by the connection quota while a session existed
  };
  // With SecurityEvents only, from the reported connect on: what the disconnect event reports.
  struct Accounting {
    std::string principal;
    std::string tenant;
    std::string client_id;  // as the client sent it
    uint64_t messages_in = 0;
    uint64_t messages_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
  };
  bool ShouldReportDenial(std::string_view topic);
  // A 3.1.1 QoS 1/2 PUBLISH over a rate quota: it cannot be refused, so it (and all input
  // after it) waits until the quota admits it.
  struct HeldPublish {
    explicit HeldPublish(boost::asio::io_context& ctx) : timer(ctx) {}
    PublishPacket packet;
    boost::asio::steady_timer timer;
  };
  // Topic aliases (5.0): client -> broker (index = alias), broker -> client. Made on first use:
  // most clients never use one.
  struct Aliases {
    std::vector<std::string> inbound;
    std::unordered_map<std::string, uint16_t> outbound;
  };

  Output& output() {
    if (!out_) out_ = std::make_unique<Output>();
    return *out_;
  }
  std::optional<Will> TakeWill() {
    if (!will_) return std::nullopt;
    std::optional<Will> w(std::move(*will_));
    will_.reset();
    return w;
  }

  void Read();
  // Readiness reported: reads what arrived into the thread's scratch buffer and handles it.
  void ReadReady();
  void KeepIncomplete(const std::vector<char>& scratch, size_t used, size_t n);
  static std::vector<char>& Scratch();
  Input& input() {
    if (!in_) in_ = std::make_unique<Input>();
    return *in_;
  }
  size_t buffered() const { return in_ ? in_->len : 0; }
  // Accounts a completed read; false (connection closed) on error.
  bool Received(const boost::system::error_code& ec, size_t n);
  // Handles every complete packet at the front of `data`; returns the bytes used.
  size_t Consume(std::string_view data);
  void ProcessBuffered();
  void Continue();
  void Write();
  // "127.0.0.1:53211 'client-id'", for logs.
  std::string LogId() const;
  void Protocol(ReasonCode reason, std::string_view why);
  void Finish();

  void HandlePacket(Packet&& p);
  void HandleConnect(ConnectPacket&& c);
  // Reports an accepted CONNECT (SecurityEvents) and waits for it to be durable; true if
  // RegisterSession will be called once it is.
  bool RecordConnect(const ConnectPacket& c, const ConnectInfo& info);
  void RegisterSession();
  void RefuseConnect(const ConnectPacket& c, ReasonCode reason);
  void HandlePublish(PublishPacket&& p);
  // Quotas, authorization, routing and acknowledgement of a validated PUBLISH.
  void RoutePublish(PublishPacket&& p);
  void OverQuota(PublishPacket&& p, int64_t retry_after_ms);
  // After CONNECT was accepted: the connection quota, false (and the client refused) when over.
  bool AdmitConnection(bool retried);
  void HandleAck(const AckPacket& a);
  void HandleSubscribe(SubscribePacket&& s);
  void HandleUnsubscribe(UnsubscribePacket&& u);
  void HandleDisconnect(const DisconnectPacket& d);
  void SendConnackAndFail(ReasonCode reason);
  void Acknowledge(PacketType type, uint16_t id, ReasonCode reason);

  Broker& broker() const;

  // Members are ordered to pack: an idle connection is mostly this object.
  Shard& shard_;
  std::unique_ptr<net::Transport> transport_;
  net::ConnectionLease lease_;
  Session* session_ = nullptr;
  std::shared_ptr<SessionSlot> slot_;
  std::unique_ptr<Input> in_;
  std::unique_ptr<Output> out_;
  std::unique_ptr<Will> will_;  // heap: most clients have none, and a Will is large
  std::unique_ptr<PendingConnect> connect_;
  std::unique_ptr<Aliases> aliases_;
  std::unique_ptr<Accounting> accounting_;
  std::shared_ptr<TenantMetrics> tenant_metrics_;  // from CONNACK on
  std::unique_ptr<HeldPublish> held_;
  std::shared_ptr<void> quota_lease_;  // the authorizer's connection slot (quotas), if any
  // Connected: when the last bytes arrived (keep-alive); before CONNECT: when accepted.
  int64_t last_packet_ns_ = 0;
  uint32_t keep_alive_ms_ = 0;
  // QoS 1/2 publishes received but not yet acknowledged (our receive maximum).
  uint32_t incoming_unacked_ = 0;
  // Limits the client announced (5.0).
  uint32_t client_max_packet_ = 268435455;
  uint16_t client_receive_max_ = 65535;
  uint16_t client_alias_max_ = 0;
  State state_ = State::kHandshake;
  ProtocolVersion version_ = ProtocolVersion::kV311;
  bool reading_ = false;
  bool waiting_readable_ = false;  // the pending read is a readiness wait (no buffer in use)
  bool writing_ = false;
  bool close_after_write_ = false;
  // Later input waits: a SUBSCRIBE or UNSUBSCRIBE is reaching every shard (until it is
  // acked), or a 3.1.1 PUBLISH over a rate quota waits for its turn (held_).
  bool input_held_ = false;
  // Reported once per connection: it exceeded a rate quota.
  bool quota_reported_ = false;
  // PUBLISHes refused as not authorized: each is counted (BrokerMetrics::publish_denied and the
  // disconnect's audit entry), but only the first on each of kReportedDenials distinct topics
  // is logged and audited, so a client publishing where it may not cannot flood the log.
  static constexpr size_t kReportedDenials = 16;
  uint64_t publishes_denied_ = 0;
  std::vector<std::string> denied_topics_;
};

}  // namespace verbund::mqtt
