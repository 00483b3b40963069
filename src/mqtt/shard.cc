#include <algorithm>

#include <boost/asio/post.hpp>

#include "mqtt/broker_internal.h"
#include "mqtt/connection.h"
#include "mqtt/topic.h"

namespace verbund::mqtt {

void ApplySubscriptions(TopicTree& tree, const std::shared_ptr<SessionSlot>& slot,
                        const std::map<std::string, SubRecord>& subs, bool add) {
  for (const auto& [full, rec] : subs) {
    std::string_view filter = full;
    std::string group;
    if (auto shared = ParseSharedFilter(full)) {
      group = shared->group;
      filter = std::string_view(full).substr(full.size() - shared->filter.size());
    }
    if (add) {
      tree.Add(filter, group, SubscriberEntry{slot, rec.options, rec.subscription_id});
    } else {
      tree.Remove(filter, group, slot.get());
    }
  }
}

Shard::Shard(Broker& broker, size_t index, boost::asio::io_context& ctx)
    : broker_(broker), index_(index), ctx_(ctx), sweep_timer_(ctx) {}

// Runs after the I/O threads have stopped. A session waiting offline is owned by its slot and
// its expiry timer's pending handler owns the slot: ending the sessions here cancels the timers,
// so the io_context can free the handlers and with them the slots.
Shard::~Shard() {
  for (const auto& slot : slots_) slot->session.reset();
}

void Shard::AddConnection(std::shared_ptr<Connection> c) {
  connections_.insert(std::move(c));
  ArmSweep();
}

// One timer per shard instead of one per connection. It runs while the shard has connections;
// the period bounds how late a timeout is noticed (keep-alive limits are whole seconds).
void Shard::ArmSweep() {
  if (sweeping_) return;
  sweeping_ = true;
  const int64_t period_ms = std::clamp<int64_t>(broker_.config().connect_timeout_ms / 4, 50, 500);
  sweep_timer_.expires_after(std::chrono::milliseconds(period_ms));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    sweeping_ = false;
    if (!ec) Sweep();
  });
}

void Shard::Sweep() {
  const int64_t now = broker_.clock().MonotonicNs();
  std::vector<std::shared_ptr<Connection>> due;  // closing removes from connections_
  for (const auto& c : connections_) {
    if (c->TimedOut(now)) due.push_back(c);
  }
  for (const auto& c : due) c->CheckTimeouts(now);
  if (!connections_.empty()) ArmSweep();
}

size_t Shard::Publish(const MessagePtr& msg) {
  if (msg->retain) broker_.ApplyRetained(msg, {index_, ++retained_seq_});
  return Route(msg);
}

size_t Shard::Route(const MessagePtr& msg) {
  scratch_.clear();
  tree_.Match(msg->topic, &scratch_);
  const size_t matched = scratch_.size();
  if (matched == 0) return 0;
  if (matched > 1) {
    // One delivery per session even when several of its subscriptions match (3.3.4): the
    // highest QoS, and every subscription identifier.
    std::sort(scratch_.begin(), scratch_.end(),
              [](const SubscriberEntry* a, const SubscriberEntry* b) {
                return a->slot.get() < b->slot.get();
              });
  }
  for (size_t i = 0; i < matched;) {
    const SubscriberEntry* e = scratch_[i];
    Delivery d;
    d.slot = e->slot;
    d.msg = msg;
    d.options = e->options;
    if (e->subscription_id) d.sub_ids.push_back(e->subscription_id);
    size_t j = i + 1;
    for (; j < matched && scratch_[j]->slot == e->slot; ++j) {
      const SubscriberEntry* o = scratch_[j];
      d.options.max_qos = std::max(d.options.max_qos, o->options.max_qos);
      d.options.retain_as_published |= o->options.retain_as_published;
      d.options.no_local &= o->options.no_local;
      if (o->subscription_id) d.sub_ids.push_back(o->subscription_id);
    }
    i = j;
    size_t owner = d.slot->owner;
    if (owner == index_) {
      DeliverLocal(std::move(d));
    } else {
      Send(owner, std::move(d));
    }
  }
  return matched;
}

void Shard::Send(size_t target, Delivery&& d) {
  if (outbox_.empty()) outbox_.resize(broker_.shard_count());
  outbox_[target].push_back(std::move(d));
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    // Runs after the current handler: every delivery of this read cycle goes in one batch.
    boost::asio::post(ctx_, [this] { Flush(); });
  }
}

void Shard::Flush() {
  flush_scheduled_ = false;
  for (size_t t = 0; t < outbox_.size(); ++t) {
    if (outbox_[t].empty()) continue;
    Shard& target = broker_.shard(t);
    boost::asio::post(target.context(), [&target, batch = std::move(outbox_[t])]() mutable {
      for (Delivery& d : batch) target.DeliverLocal(std::move(d));
    });
    outbox_[t].clear();
  }
}

void Shard::DeliverLocal(Delivery&& d) {
  SessionSlot* slot = d.slot.get();
  if (slot->session) {
    slot->session->Deliver(d);
    return;
  }
  if (const auto* forward = slot->forward()) {
    // The session moved to a newer slot (takeover on another shard): follow it.
    d.slot = *forward;
    size_t owner = d.slot->owner;
    if (owner == index_) return DeliverLocal(std::move(d));
    return Send(owner, std::move(d));
  }
  if (slots_.contains(d.slot)) pending_[slot].push_back(std::move(d));  // awaiting adoption
}

void Shard::Detach(const std::shared_ptr<SessionSlot>& old_slot,
                   const std::shared_ptr<SessionSlot>& new_slot, bool clean_start) {
  if (old_slot->session && old_slot->session->connection()) {
    // Bytes the old connection already received come first (e.g. its DISCONNECT).
    old_slot->session->connection()->DrainPendingInput();
  }
  Session* s = old_slot->session.get();
  auto adopt = [&](std::optional<SessionSnapshot> snap, std::shared_ptr<SessionSlot> previous) {
    Shard& target = broker_.shard(new_slot->owner);
    boost::asio::post(target.context(), [&target, new_slot, snap = std::move(snap),
                                         previous = std::move(previous)]() mutable {
      target.Adopt(new_slot, std::move(snap), previous);
    });
  };
  if (s == nullptr) {
    if (!old_slot->forward() && slots_.contains(old_slot)) {
      old_slot->handover_state().pending_detach = SessionSlot::PendingDetach{new_slot, clean_start};
      return;
    }
    return adopt(std::nullopt, nullptr);  // the old session ended meanwhile
  }
  std::optional<Will> will;
  if (Connection* c = s->connection()) {
    will = c->ReleaseSession();
    c->Disconnect(ReasonCode::kSessionTakenOver, "session taken over");
  }
  if (will) {
    bool delayed = will->properties.will_delay_interval.value_or(0) > 0;
    if (clean_start || !delayed) broker_.Publish(WillMessage(std::move(*will), *old_slot, broker_.clock()));
  }
  std::optional<SessionSnapshot> snap;
  if (clean_start) {
    s->CancelWill();
    auto subs = std::make_shared<std::map<std::string, SubRecord>>(s->subscriptions());
    if (!subs->empty()) {
      broker_.ForEachShard(
          [old_slot, subs](Shard& shard) {
            ApplySubscriptions(shard.tree(), old_slot, *subs, false);
          },
          nullptr);
    }
  } else {
    snap = s->Snapshot();
    snap->will.reset();  // the client came back before the will delay ran out
  }
  old_slot->handover_state().forward = new_slot;
  RemoveSlot(old_slot);
  old_slot->session.reset();
  adopt(std::move(snap), clean_start ? nullptr : old_slot);
}

void Shard::Adopt(const std::shared_ptr<SessionSlot>& slot, std::optional<SessionSnapshot> snap,
                  const std::shared_ptr<SessionSlot>& previous) {
  auto owned = std::make_unique<Session>(*this, slot);
  Session* s = owned.get();
  bool present = snap.has_value();
  if (snap) s->Restore(std::move(*snap));
  slot->session = std::move(owned);
  if (previous || !s->subscriptions().empty()) {
    auto subs = std::make_shared<std::map<std::string, SubRecord>>(s->subscriptions());
    broker_.ForEachShard(
        [slot, previous, subs](Shard& shard) {
          if (previous) ApplySubscriptions(shard.tree(), previous, *subs, false);
          ApplySubscriptions(shard.tree(), slot, *subs, true);
        },
        nullptr);
  }
  std::shared_ptr<Connection> conn;
  std::optional<SessionSlot::PendingDetach> detach;
  if (slot->handover) {  // adopted: only a forward (never set on a new slot) could remain
    conn = slot->handover->connecting.lock();
    detach = std::move(slot->handover->pending_detach);
    slot->handover.reset();
  }
  if (conn && !conn->closed()) {
    conn->OnSessionReady(s, present);
  } else {
    s->Detach(std::nullopt);  // the client left before its session was ready
    if (!slot->session) return;
  }
  auto pending = pending_.find(slot.get());
  if (pending != pending_.end()) {
    std::vector<Delivery> batch = std::move(pending->second);
    pending_.erase(pending);
    for (Delivery& d : batch) {
      if (slot->session) slot->session->Deliver(d);
    }
  }
  if (detach && slot->session) Detach(slot, detach->to, detach->clean_start);
}

}  // namespace verbund::mqtt
