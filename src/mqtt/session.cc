#include <boost/asio/post.hpp>

#include "core/logging.h"
#include "mqtt/broker_internal.h"
#include "mqtt/broker_store.h"
#include "mqtt/connection.h"
#include "mqtt/topic.h"

namespace verbund::mqtt {

SessionSlot::~SessionSlot() = default;

Session::Session(Shard& shard, std::shared_ptr<SessionSlot> slot)
    : shard_(shard), slot_(std::move(slot)) {}

Broker& Session::broker() const { return shard_.broker(); }

void Session::set_principal(Principal p) {
  awaiting_principal_ = false;
  if (p.anonymous && p.name.empty() && p.tenant.empty() && p.mount.empty() && !p.policy) {
    principal_.reset();
  } else {
    principal_ = std::make_unique<Principal>(std::move(p));
  }
}

const Session::Subscriptions& Session::subscriptions() const {
  static const Subscriptions kNone;
  return subscriptions_ ? *subscriptions_ : kNone;
}

Session::Offline& Session::offline() {
  if (!offline_) offline_ = std::make_unique<Offline>(shard_.context());
  return *offline_;
}

const Principal& Session::principal() const {
  static const Principal kAnonymous;
  return principal_ ? *principal_ : kAnonymous;
}

Session::~Session() = default;

void Session::Restore(SessionSnapshot&& snap) {
  // Until its client is back, the session does not know who it belongs to (a snapshot holds no
  // principal): it queues what its filters match, and the reconnecting principal's rights
  // decide what of it is sent (DropUnreceivable).
  awaiting_principal_ = true;
  version = snap.version;
  expiry_s_ = snap.expiry_s;
  if (!snap.subscriptions.empty()) mutable_subscriptions() = std::move(snap.subscriptions);
  for (InflightEntry& e : snap.inflight) {
    Flight& f = flight();
    f.inflight.push_back(std::move(e));
    f.by_id[f.inflight.back().packet_id] = std::prev(f.inflight.end());
  }
  if (!snap.queue.empty()) {
    flight().queue.assign(std::make_move_iterator(snap.queue.begin()),
                          std::make_move_iterator(snap.queue.end()));
  }
  if (!snap.incoming_qos2.empty()) flight().incoming_qos2 = std::move(snap.incoming_qos2);
  next_packet_id_ = snap.next_packet_id == 0 ? 1 : snap.next_packet_id;
  if (snap.will) {
    offline().will = std::make_unique<Will>(std::move(*snap.will));
    offline().will_due_ns = snap.will_due_ns;
  }
}

SessionSnapshot Session::Snapshot() const {
  SessionSnapshot snap;
  snap.client_id = slot_->client_id;
  snap.version = version;
  snap.expiry_s = expiry_s_;
  snap.subscriptions = subscriptions();
  if (flight_) {
    snap.inflight.assign(flight_->inflight.begin(), flight_->inflight.end());
    snap.incoming_qos2 = flight_->incoming_qos2;
    snap.queue.assign(flight_->queue.begin(), flight_->queue.end());
  }
  snap.next_packet_id = next_packet_id_;
  if (offline_ && offline_->will) {
    snap.will = *offline_->will;
    snap.will_due_ns = offline_->will_due_ns;
  }
  return snap;
}

std::string_view Session::visible_client_id() const {
  std::string_view id = slot_->client_id;
  const std::string& tenant = principal().tenant;
  if (!tenant.empty() && id.size() > tenant.size() && id.starts_with(tenant) &&
      id[tenant.size()] == '/') {
    id.remove_prefix(tenant.size() + 1);
  }
  return id;
}

bool Session::Receivable(const Message& m) const {
  if (awaiting_principal_) return true;
  const Principal& p = principal();
  auto topic = UnmountTopic(m.topic, p.mount);
  return topic && broker().authorizer().CanReceive(p, *topic);
}

void Session::DropUnreceivable() {
  if (!flight_) return;
  std::erase_if(flight_->queue, [this](const Outbound& out) { return !Receivable(*out.msg); });
}

uint16_t Session::NextPacketId() {
  for (int tries = 0; tries < 65536; ++tries) {
    uint16_t id = next_packet_id_++;
    if (next_packet_id_ == 0) next_packet_id_ = 1;
    if (id != 0 && !(flight_ && flight_->by_id.contains(id))) return id;
  }
  return 0;  // unreachable: the inflight window is far below 65535
}

void Session::Deliver(const Delivery& d) {
  const Message& m = *d.msg;
  if (!Receivable(m)) return;
  if (d.options.no_local && !d.from_retained && m.origin_client == slot_->client_id) return;
  if (m.expiry_ns != 0 && m.expiry_ns <= broker().clock().MonotonicNs()) {
    broker().metrics().dropped_expired.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Outbound out;
  out.msg = d.msg;
  out.qos = std::min(m.qos, d.options.max_qos);
  out.retain = d.from_retained || (d.options.retain_as_published && m.retain);
  out.sub_ids = d.sub_ids;
  if (out.qos == 0) {
    // QoS 0 is not kept for offline clients.
    if (conn_ != nullptr) conn_->SendPublish(out, false, 0);
    return;
  }
  if (conn_ != nullptr && QueuedCount() == 0 && InflightCount() < conn_->client_receive_maximum()) {
    SendNow(out);
    return;
  }
  Enqueue(std::move(out));
}

bool Session::SendNow(const Outbound& out) {
  uint16_t id = NextPacketId();
  if (!conn_->SendPublish(out, false, id)) return false;  // too large for the client: discarded
  Flight& f = flight();
  f.inflight.push_back(InflightEntry{out, id, false});
  f.by_id[id] = std::prev(f.inflight.end());
  return true;
}

void Session::Enqueue(Outbound&& out) {
  std::list<Outbound>& queue = flight().queue;
  if (queue.size() >= broker().config().max_queued_messages) {
    queue.pop_front();
    broker().metrics().dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
  }
  queue.push_back(std::move(out));
}

void Session::Drain() {
  while (conn_ != nullptr && QueuedCount() > 0 &&
         InflightCount() < conn_->client_receive_maximum()) {
    Outbound out = std::move(flight_->queue.front());
    flight_->queue.pop_front();
    if (out.msg->expiry_ns != 0 && out.msg->expiry_ns <= broker().clock().MonotonicNs()) {
      broker().metrics().dropped_expired.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    SendNow(out);
  }
  DropFlightIfEmpty();
}

void Session::Resume() {
  if (conn_ == nullptr) return;
  if (flight_) {
    for (InflightEntry& e : flight_->inflight) {
      if (e.awaiting_pubcomp) {
        AckPacket rel;
        rel.type = PacketType::kPubrel;
        rel.packet_id = e.packet_id;
        conn_->SendPacket(rel);
      } else {
        conn_->SendPublish(e.out, true, e.packet_id);
      }
    }
  }
  Drain();
}

bool Session::Acknowledged(uint16_t id, bool require_pubcomp_state) {
  if (!flight_) return false;
  auto it = flight_->by_id.find(id);
  if (it == flight_->by_id.end() || it->second->awaiting_pubcomp != require_pubcomp_state) {
    return false;
  }
  flight_->inflight.erase(it->second);
  flight_->by_id.erase(it);
  DropFlightIfEmpty();
  return true;
}

void Session::DropFlightIfEmpty() {
  if (flight_ && flight_->inflight.empty() && flight_->incoming_qos2.empty() &&
      flight_->queue.empty()) {
    flight_.reset();
  }
}

bool Session::ReleaseIncomingQos2(uint16_t id) {
  if (!flight_ || flight_->incoming_qos2.erase(id) == 0) return false;
  DropFlightIfEmpty();
  return true;
}

void Session::OnPuback(uint16_t id) {
  if (Acknowledged(id, false)) Drain();
}

void Session::OnPubrec(uint16_t id, ReasonCode reason) {
  AckPacket rel;
  rel.type = PacketType::kPubrel;
  rel.packet_id = id;
  if (!flight_ || !flight_->by_id.contains(id)) {
    rel.reason = ReasonCode::kPacketIdentifierNotFound;
    if (conn_) conn_->SendPacket(rel);
    return;
  }
  auto it = flight_->by_id.find(id);
  if (static_cast<uint8_t>(reason) >= 0x80) {
    if (Acknowledged(id, it->second->awaiting_pubcomp)) Drain();
    return;
  }
  it->second->awaiting_pubcomp = true;
  if (conn_) conn_->SendPacket(rel);
}

void Session::OnPubcomp(uint16_t id) {
  if (!flight_) return;
  auto it = flight_->by_id.find(id);
  if (it == flight_->by_id.end()) return;
  Acknowledged(id, it->second->awaiting_pubcomp);
  Drain();
}

void Session::Attach(Connection* conn) {
  conn_ = conn;
  boost::system::error_code ignored;
  if (offline_) offline_->expiry_timer.cancel(ignored);
  if (offline_ && !offline_->will) offline_.reset();
}

void Session::CancelWill() {
  offline_.reset();  // cancels both timers
}

MessagePtr WillMessage(Will will, const SessionSlot& slot, const Clock& clock) {
  auto msg = std::make_shared<Message>();
  msg->topic = std::move(will.topic);
  msg->payload = std::move(will.payload);
  msg->qos = will.qos;
  msg->retain = will.retain;
  will.properties.will_delay_interval.reset();
  if (will.properties.message_expiry_interval) {
    msg->expiry_ns = clock.MonotonicNs() +
                     static_cast<int64_t>(*will.properties.message_expiry_interval) * 1'000'000'000;
    will.properties.message_expiry_interval.reset();
  }
  msg->properties = std::move(will.properties);
  msg->origin_client = slot.client_id;
  msg->origin_session = slot.id;
  return msg;
}

void Session::PublishWill(Will will) {
  MessagePtr msg = WillMessage(std::move(will), *slot_, broker().clock());
  Logger("mqtt")->info("'{}' will published to '{}'", slot_->client_id, msg->topic);
  broker().Publish(std::move(msg));
}

void Session::Detach(std::optional<Will> will) {
  conn_ = nullptr;
  if (will) {
    uint32_t delay = will->properties.will_delay_interval.value_or(0);
    if (delay == 0 || !persistent()) {
      PublishWill(std::move(*will));
    } else {
      Offline& off = offline();
      off.will = std::make_unique<Will>(std::move(*will));
      uint32_t wait = std::min(delay, expiry_s_);
      off.will_due_ns = broker().clock().NowNs() + static_cast<int64_t>(wait) * 1'000'000'000;
      off.will_timer.expires_after(std::chrono::seconds(wait));
      off.will_timer.async_wait([this, slot = slot_](const boost::system::error_code& ec) {
        if (ec || slot->session.get() != this || !offline_ || !offline_->will) return;
        PublishWill(std::move(*std::exchange(offline_->will, nullptr)));
      });
    }
  }
  if (!persistent()) return End();  // destroys *this
  StartExpiryTimer();
}

void Session::StartExpiryTimer() {
  if (expiry_s_ == 0xffffffff) return;
  Offline& off = offline();
  off.expiry_timer.expires_after(std::chrono::seconds(expiry_s_));
  off.expiry_timer.async_wait([this, slot = slot_](const boost::system::error_code& ec) {
    if (ec || slot->session.get() != this || conn_ != nullptr) return;
    Logger("mqtt")->info("session '{}' expired", slot_->client_id);
    if (offline_ && offline_->will) PublishWill(std::move(*std::exchange(offline_->will, nullptr)));
    End();
  });
}

void Session::End() {
  std::shared_ptr<SessionSlot> slot = slot_;
  broker().Unregister(slot.get());
  if (broker().store() != nullptr && persistent()) {
    Status st = broker().store()->DeleteSession(slot->client_id);
    if (!st.ok()) Logger("mqtt")->error("session '{}' not deleted: {}", slot->client_id, st.ToString());
  }
  if (subscriptions_ && !subscriptions_->empty()) {
    auto subs = std::make_shared<Subscriptions>(std::move(*subscriptions_));
    broker().ForEachShard(
        [slot, subs](Shard& shard) { ApplySubscriptions(shard.tree(), slot, *subs, false); },
        nullptr);
  }
  shard_.RemoveSlot(slot);
  slot->session.reset();  // destroys *this
}

}  // namespace verbund::mqtt
