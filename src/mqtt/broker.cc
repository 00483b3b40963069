#include "mqtt/broker.h"

#include <future>

#include <boost/asio/post.hpp>

#include "core/logging.h"
#include "mqtt/broker_internal.h"
#include "mqtt/broker_store.h"
#include "mqtt/connection.h"

namespace verbund::mqtt {

Broker::Broker(BrokerOptions options, net::IoPool* pool)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : SystemClock::Default()),
      pool_(pool) {
  for (size_t i = 0; i < pool_->size(); ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, i, pool_->context(i)));
  }
}

Broker::~Broker() = default;

Status Broker::Restore() {
  if (options_.store == nullptr) return Status::OK();
  int64_t now_mono = clock_->MonotonicNs();
  ASSIGN_OR_RETURN(auto retained, options_.store->LoadRetained(now_mono));
  for (const MessagePtr& m : retained) retained_.Apply(m);
  ASSIGN_OR_RETURN(auto sessions, options_.store->LoadSessions(now_mono));
  size_t restored = 0;
  for (auto& stored : sessions) {
    SessionSnapshot& snap = stored.snapshot;
    // Time spent down counts against the session's expiry.
    int64_t down_s = std::max<int64_t>(0, (clock_->NowNs() - stored.saved_at_ns) / 1'000'000'000);
    if (snap.expiry_s != 0xffffffff) {
      if (down_s >= snap.expiry_s) {
        (void)options_.store->DeleteSession(snap.client_id);
        continue;
      }
      snap.expiry_s -= static_cast<uint32_t>(down_s);
    }
    auto slot = std::make_shared<SessionSlot>();
    slot->id = NextSlotId();
    slot->client_id = snap.client_id;
    slot->owner = std::hash<std::string>{}(snap.client_id) % shards_.size();
    Shard& shard = *shards_[slot->owner];
    auto session = std::make_unique<Session>(shard, slot);
    session->Restore(std::move(snap));
    // The pool is not running yet: trees can be filled from this thread.
    for (auto& s : shards_) ApplySubscriptions(s->tree(), slot, session->subscriptions(), true);
    slot->session = std::move(session);
    shard.AddSlot(slot);
    Register(slot);
    slot->session->Detach(std::nullopt);  // offline: starts its expiry timer
    ++restored;
  }
  Logger("mqtt")->info("restored {} retained messages and {} sessions", retained.size(), restored);
  return Status::OK();
}

void Broker::Accept(std::unique_ptr<net::Transport> transport, net::ConnectionLease lease) {
  int index = net::IoPool::CurrentIndex();
  Shard& shard = *shards_[index < 0 ? 0 : index];
  auto conn = std::make_shared<Connection>(shard, std::move(transport), std::move(lease));
  conn->Start();
}

bool Broker::ApplyRetained(const MessagePtr& msg, RetainedStamp stamp) {
  if (!retained_.Apply(msg, stamp)) return false;
  // $SYS topics describe the running process: not persisted.
  if (options_.store != nullptr && !msg->topic.starts_with("$SYS/")) {
    Status st = msg->payload.empty() ? options_.store->DeleteRetained(msg->topic)
                                     : options_.store->PutRetained(*msg, clock_->MonotonicNs());
    if (!st.ok()) Logger("mqtt")->error("retained message not persisted: {}", st.ToString());
  }
  return true;
}

void Broker::Publish(MessagePtr message, std::function<void(Status)> done) {
  int index = net::IoPool::CurrentIndex();
  Shard& shard = index >= 0 ? *shards_[index] : *shards_[0];
  boost::asio::post(shard.context(), [this, &shard, message = std::move(message),
                                      done = std::move(done)]() mutable {
    shard.Publish(message);
    for (Tap* watcher : watchers_) watcher->OnPublish(message, nullptr);
    if (taps_.empty() || message->qos == 0 || !done) {
      for (Tap* tap : taps_) tap->OnPublish(message, nullptr);
      if (done) done(Status::OK());
      return;
    }
    struct Pending {
      std::atomic<size_t> left;
      Status first_error;
      std::mutex mu;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = taps_.size();
    auto shared_done = std::make_shared<std::function<void(Status)>>(std::move(done));
    for (Tap* tap : taps_) {
      tap->OnPublish(message, [pending, shared_done](Status st) {
        if (!st.ok()) {
          std::lock_guard lock(pending->mu);
          if (pending->first_error.ok()) pending->first_error = st;
        }
        if (pending->left.fetch_sub(1) == 1) (*shared_done)(pending->first_error);
      });
    }
  });
}

std::shared_ptr<SessionSlot> Broker::Register(const std::shared_ptr<SessionSlot>& slot) {
  std::lock_guard lock(registry_mu_);
  // The key views the registered slot's own client id, so it moves with the slot.
  std::shared_ptr<SessionSlot> previous;
  if (auto node = registry_.extract(slot->client_id)) previous = std::move(node.mapped());
  registry_.emplace(slot->client_id, slot);
  return previous;
}

bool Broker::IsRegistered(std::string_view client_key) {
  std::lock_guard lock(registry_mu_);
  return registry_.contains(client_key);
}

void Broker::Unregister(const SessionSlot* slot) {
  std::lock_guard lock(registry_mu_);
  auto it = registry_.find(slot->client_id);
  if (it != registry_.end() && it->second.get() == slot) registry_.erase(it);
}

std::shared_ptr<TenantMetrics> Broker::TenantMetricsFor(std::string_view tenant, size_t shard) {
  std::lock_guard lock(tenant_metrics_mu_);
  std::vector<std::shared_ptr<TenantMetrics>>& per_shard = tenant_metrics_[std::string(tenant)];
  if (per_shard.empty()) {
    per_shard.resize(shards_.size());
    for (auto& m : per_shard) m = std::make_shared<TenantMetrics>();
  }
  return per_shard.at(shard);
}

std::unordered_map<std::string, TenantTotals> Broker::TenantTotalsNow() {
  std::unordered_map<std::string, TenantTotals> out;
  std::lock_guard lock(tenant_metrics_mu_);
  for (const auto& [tenant, per_shard] : tenant_metrics_) {
    TenantTotals& t = out[tenant];
    for (const auto& m : per_shard) {
      t.connections += m->connections.load(std::memory_order_relaxed);
      t.messages_in += m->messages_in.load(std::memory_order_relaxed);
      t.messages_out += m->messages_out.load(std::memory_order_relaxed);
    }
  }
  return out;
}

void Broker::ListClients(std::function<void(std::vector<ClientInfo>)> done) {
  auto per_shard = std::make_shared<std::vector<std::vector<ClientInfo>>>(shards_.size());
  ForEachShard(
      [per_shard](Shard& shard) {
        auto& out = (*per_shard)[shard.index()];
        for (const auto& conn : shard.connections()) {
          const Session* s = conn->session();
          if (s == nullptr) continue;
          const Principal& p = s->principal();
          ClientInfo info;
          info.client_id = std::string(s->visible_client_id());
          info.tenant = p.tenant;
          info.principal = p.name;
          info.peer = conn->peer();
          info.transport = std::string(conn->transport_kind());
          info.protocol = conn->version() == ProtocolVersion::kV5 ? "5.0" : "3.1.1";
          info.subscriptions = s->subscriptions().size();
          info.inflight = s->inflight_count();
          info.queued = s->queued_count();
          out.push_back(std::move(info));
        }
      },
      [per_shard, done = std::move(done)] {
        std::vector<ClientInfo> all;
        for (auto& v : *per_shard) std::move(v.begin(), v.end(), std::back_inserter(all));
        done(std::move(all));
      });
}

void Broker::Reauthorize(ReauthorizeFn fn, ReasonCode reason, std::function<void(size_t)> done) {
  auto disconnected = std::make_shared<std::atomic<size_t>>(0);
  auto shared_fn = std::make_shared<ReauthorizeFn>(std::move(fn));
  ForEachShard(
      [shared_fn, reason, disconnected](Shard& shard) {
        auto conns = shard.connections();  // copy: disconnecting removes from the set
        for (const auto& conn : conns) {
          Session* s = conn->session();
          if (s == nullptr) continue;
          std::optional<Principal> keep = (*shared_fn)(s->principal());
          if (!keep) {
            (void)conn->ReleaseWillOnly();  // its rights are gone, its will's with them
            conn->Disconnect(reason, "access revoked");
            disconnected->fetch_add(1);
            continue;
          }
          s->set_principal(std::move(*keep));
          s->DropUnreceivable();
        }
      },
      [disconnected, done = std::move(done)] {
        if (done) done(disconnected->load());
      });
}

void Broker::ForEachShard(std::function<void(Shard&)> fn, std::function<void()> done) {
  int origin = net::IoPool::CurrentIndex();
  Shard& home = *shards_[origin < 0 ? 0 : origin];
  auto remaining = std::make_shared<std::atomic<size_t>>(shards_.size());
  auto shared_fn = std::make_shared<std::function<void(Shard&)>>(std::move(fn));
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& s : shards_) {
    Shard* shard = s.get();
    boost::asio::post(shard->context(), [shard, &home, remaining, shared_fn, shared_done] {
      (*shared_fn)(*shard);
      if (remaining->fetch_sub(1) == 1 && *shared_done) {
        boost::asio::post(home.context(), [shared_done] { (*shared_done)(); });
      }
    });
  }
}

void Broker::Shutdown() {
  // Round 1: disconnect every client (no wills: the server, not the client, is going away).
  std::vector<std::future<void>> waits;
  for (auto& s : shards_) {
    auto done = std::make_shared<std::promise<void>>();
    waits.push_back(done->get_future());
    Shard* shard = s.get();
    boost::asio::post(shard->context(), [shard, done] {
      auto conns = shard->connections();  // copy: closing removes from the set
      for (const auto& c : conns) {
        (void)c->ReleaseWillOnly();
        c->Disconnect(ReasonCode::kServerShuttingDown, "server shutting down");
      }
      done->set_value();
    });
  }
  for (auto& w : waits) w.wait();
  waits.clear();
  // Round 2: persist every persistent session (they are all offline now).
  std::atomic<size_t> saved{0};
  for (auto& s : shards_) {
    auto done = std::make_shared<std::promise<void>>();
    waits.push_back(done->get_future());
    Shard* shard = s.get();
    boost::asio::post(shard->context(), [this, shard, done, &saved] {
      if (options_.store != nullptr) {
        for (const auto& slot : shard->slots()) {
          if (!slot->session || !slot->session->persistent()) continue;
          Status st = options_.store->PutSession(slot->session->Snapshot(), clock_->NowNs(),
                                                 clock_->MonotonicNs());
          if (!st.ok()) Logger("mqtt")->error("session '{}' not saved: {}", slot->client_id, st.ToString());
          else saved.fetch_add(1);
        }
      }
      done->set_value();
    });
  }
  for (auto& w : waits) w.wait();
  if (options_.store != nullptr) {
    Status st = options_.store->Sync();
    if (!st.ok()) Logger("mqtt")->error("broker state sync failed: {}", st.ToString());
  }
  Logger("mqtt")->info("broker stopped; {} persistent sessions saved", saved.load());
}

}  // namespace verbund::mqtt
