// Broker internals shared by broker.cc, shard.cc, session.cc and connection.cc. Not a public
// header: nothing outside src/mqtt includes it.
#pragma once

#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "mqtt/broker.h"
#include "mqtt/codec/codec.h"
#include "mqtt/topic_tree.h"

namespace verbund::mqtt {

class Connection;
class Session;

// One subscription as the session remembers it (full filter, "$share/g/f" included).
struct SubRecord {
  SubscriptionOptions options;
  uint32_t subscription_id = 0;
};

// A message waiting for or in delivery to one session.
struct Outbound {
  MessagePtr msg;
  uint8_t qos = 0;
  bool retain = false;
  std::vector<uint32_t> sub_ids;
};

struct InflightEntry {
  Outbound out;
  uint16_t packet_id = 0;
  bool awaiting_pubcomp = false;  // QoS 2 after PUBREC: PUBREL sent
};

// What moves between shards when a client id reconnects elsewhere, and what is persisted.
struct SessionSnapshot {
  std::string client_id;
  ProtocolVersion version = ProtocolVersion::kV311;
  uint32_t expiry_s = 0;
  std::map<std::string, SubRecord> subscriptions;
  std::vector<InflightEntry> inflight;  // in send order
  std::deque<Outbound> queue;
  std::unordered_set<uint16_t> incoming_qos2;
  uint16_t next_packet_id = 1;
  std::optional<Will> will;             // a will whose delay is still running
  int64_t will_due_ns = 0;              // wall clock
};

// Identity of one session incarnation. Its shard (owner) never changes; the session object is
// touched only on that shard's thread.
struct SessionSlot {
  uint64_t id = 0;
  std::string client_id;
  uint32_t owner = 0;
  // Owner-thread only:
  std::unique_ptr<Session> session;
  struct PendingDetach {
    std::shared_ptr<SessionSlot> to;
    bool clean_start;
  };
  // Connect and takeover state: made while a connection waits for adoption or the session
  // moves, so a settled slot does not carry it.
  struct Handover {
    std::weak_ptr<Connection> connecting;         // the connection waiting for adoption
    std::optional<PendingDetach> pending_detach;  // a takeover that arrived before adoption
    std::shared_ptr<SessionSlot> forward;         // set once the session moved to a newer slot
  };
  std::unique_ptr<Handover> handover;
  Handover& handover_state() {
    if (!handover) handover = std::make_unique<Handover>();
    return *handover;
  }
  const std::shared_ptr<SessionSlot>* forward() const {
    return handover && handover->forward ? &handover->forward : nullptr;
  }
  ~SessionSlot();
};

struct Delivery {
  std::shared_ptr<SessionSlot> slot;
  MessagePtr msg;
  SubscriptionOptions options;
  std::vector<uint32_t> sub_ids;
  bool from_retained = false;
};

// The MQTT session state of one client (3.1.2.4 / 4.1): subscriptions, messages in flight and
// queued, QoS 2 packet ids received. Lives on its slot's shard; outlives connections when
// persistent.
class Session {
 public:
  Session(Shard& shard, std::shared_ptr<SessionSlot> slot);
  ~Session();

  void Restore(SessionSnapshot&& snap);
  SessionSnapshot Snapshot() const;

  // Delivers (or queues) a matched message.
  void Deliver(const Delivery& d);
  // Sends queued messages while the client's receive window allows.
  void Drain();
  // After reconnect: resend unacknowledged PUBLISH (DUP) and PUBREL in order, then drain.
  void Resume();

  // Acknowledgements from the client.
  void OnPuback(uint16_t id);
  void OnPubrec(uint16_t id, ReasonCode reason);
  void OnPubcomp(uint16_t id);

  void Attach(Connection* conn);
  // The connection is gone. `will` is published now or after its delay. Ends the session when
  // it does not persist.
  void Detach(std::optional<Will> will);
  // Ends the session now: unregisters, removes its subscriptions from every shard.
  void End();

  bool persistent() const { return expiry_s_ > 0; }
  const std::shared_ptr<SessionSlot>& slot() const { return slot_; }
  const std::string& client_id() const { return slot_->client_id; }
  Connection* connection() const { return conn_; }
  using Subscriptions = std::map<std::string, SubRecord>;
  // Empty (and not allocated) until the client subscribes.
  const Subscriptions& subscriptions() const;
  Subscriptions& mutable_subscriptions() {
    if (!subscriptions_) subscriptions_ = std::make_unique<Subscriptions>();
    return *subscriptions_;
  }
  // QoS 2 messages received whose PUBREL has not come yet (4.3.3).
  bool HasIncomingQos2(uint16_t id) const { return flight_ && flight_->incoming_qos2.contains(id); }
  void AddIncomingQos2(uint16_t id) { flight().incoming_qos2.insert(id); }
  bool ReleaseIncomingQos2(uint16_t id);
  void set_expiry(uint32_t s) { expiry_s_ = s; }
  uint32_t expiry() const { return expiry_s_; }
  void set_principal(Principal p);
  const Principal& principal() const;
  // The client id as the client sent it (the slot's key without the tenant).
  std::string_view visible_client_id() const;
  // Whether `m` may reach this session's principal (its mount and the authorizer).
  bool Receivable(const Message& m) const;
  // Drops queued messages the principal may not receive (after it changed, on reconnect).
  void DropUnreceivable();
  size_t inflight_count() const { return InflightCount(); }
  size_t queued_count() const { return QueuedCount(); }
  ProtocolVersion version = ProtocolVersion::kV311;
  // Cancels a pending delayed will (the client came back in time).
  void CancelWill();

 private:
  uint16_t NextPacketId();
  bool SendNow(const Outbound& out);
  void Enqueue(Outbound&& out);
  void StartExpiryTimer();
  void PublishWill(Will will);

  Broker& broker() const;

  // Messages for and from the client: in flight both ways, and queued. Made on first use and
  // dropped when empty: an idle session holds none of it.
  struct Flight {
    std::list<InflightEntry> inflight;  // in send order
    std::unordered_map<uint16_t, std::list<InflightEntry>::iterator> by_id;
    std::unordered_set<uint16_t> incoming_qos2;  // QoS 2 packet ids received, PUBREL pending
    std::list<Outbound> queue;  // waiting for the receive window or for the client to return
  };
  Flight& flight() {
    if (!flight_) flight_ = std::make_unique<Flight>();
    return *flight_;
  }
  size_t InflightCount() const { return flight_ ? flight_->inflight.size() : 0; }
  size_t QueuedCount() const { return flight_ ? flight_->queue.size() : 0; }
  // Removes an acknowledged message; false if `id` is not in flight.
  bool Acknowledged(uint16_t id, bool require_pubcomp_state);
  void DropFlightIfEmpty();

  // While the client is away: the expiry timer and a delayed will.
  struct Offline {
    explicit Offline(boost::asio::io_context& ctx) : expiry_timer(ctx), will_timer(ctx) {}
    boost::asio::steady_timer expiry_timer;
    boost::asio::steady_timer will_timer;
    std::unique_ptr<Will> will;  // waiting for its delay
    int64_t will_due_ns = 0;     // wall clock
  };
  Offline& offline();

  Shard& shard_;
  std::shared_ptr<SessionSlot> slot_;
  Connection* conn_ = nullptr;
  std::unique_ptr<Principal> principal_;  // null: anonymous
  std::unique_ptr<Subscriptions> subscriptions_;
  std::unique_ptr<Flight> flight_;
  std::unique_ptr<Offline> offline_;
  uint32_t expiry_s_ = 0;
  uint16_t next_packet_id_ = 1;
  bool awaiting_principal_ = false;  // restored from a snapshot; no client connected since
};

// One I/O thread's share of the broker.
class Shard {
 public:
  Shard(Broker& broker, size_t index, boost::asio::io_context& ctx);
  ~Shard();

  size_t index() const { return index_; }
  boost::asio::io_context& context() { return ctx_; }
  TopicTree& tree() { return tree_; }
  Broker& broker() { return broker_; }

  // Matches msg against this shard's replica and delivers to every subscriber (locally or via
  // the per-shard outboxes). Returns the number of subscriptions matched.
  size_t Route(const MessagePtr& msg);
  // A publish entering the broker on this shard: applies it to the retained store (if
  // flagged), stamped with this shard's next retained sequence number, then routes it. Both in
  // one step on this thread, so RetainedStore::Match can tell a new subscription which retained
  // messages it already got live.
  size_t Publish(const MessagePtr& msg);
  // The last retained sequence number this shard stamped (read on this shard's thread).
  uint64_t retained_seq() const { return retained_seq_; }
  // Delivers on this shard (the slot's owner), following moved slots and buffering for
  // sessions not yet adopted.
  void DeliverLocal(Delivery&& d);
  void Send(size_t target, Delivery&& d);

  // Session lifecycle on this shard.
  // Also starts the sweeper that enforces CONNECT timeouts and keep-alives.
  void AddConnection(std::shared_ptr<Connection> c);
  void RemoveConnection(const std::shared_ptr<Connection>& c) { connections_.erase(c); }
  void AddSlot(const std::shared_ptr<SessionSlot>& s) { slots_.insert(s); }
  void RemoveSlot(const std::shared_ptr<SessionSlot>& s) { slots_.erase(s); }
  const std::unordered_set<std::shared_ptr<SessionSlot>>& slots() const { return slots_; }
  const std::unordered_set<std::shared_ptr<Connection>>& connections() const { return connections_; }

  // Takeover protocol (see broker.h): runs on the old slot's shard.
  void Detach(const std::shared_ptr<SessionSlot>& old_slot,
              const std::shared_ptr<SessionSlot>& new_slot, bool clean_start);
  // Runs on the new slot's shard: builds the session from `snap` (or fresh).
  void Adopt(const std::shared_ptr<SessionSlot>& slot, std::optional<SessionSnapshot> snap,
             const std::shared_ptr<SessionSlot>& previous);

 private:
  void Flush();
  void ArmSweep();
  void Sweep();

  Broker& broker_;
  size_t index_;
  boost::asio::io_context& ctx_;
  TopicTree tree_;
  std::vector<std::vector<Delivery>> outbox_;
  bool flush_scheduled_ = false;
  uint64_t retained_seq_ = 0;
  std::vector<const SubscriberEntry*> scratch_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
  boost::asio::steady_timer sweep_timer_;
  bool sweeping_ = false;
  std::unordered_set<std::shared_ptr<SessionSlot>> slots_;
  std::unordered_map<const SessionSlot*, std::vector<Delivery>> pending_;
};

// The message a will becomes when it is published (will delay dropped, expiry made absolute).
MessagePtr WillMessage(Will will, const SessionSlot& slot, const Clock& clock);

// Applies a session's subscriptions to (add) or from (remove) a tree.
void ApplySubscriptions(TopicTree& tree, const std::shared_ptr<SessionSlot>& slot,
                        const std::map<std::string, SubRecord>& subs, bool add);

}  // namespace verbund::mqtt
