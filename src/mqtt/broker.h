// The MQTT broker: sessions, subscriptions, retained messages, delivery across I/O threads.
//
// Threading (doc/architecture.md, "Broker"): every I/O thread is a shard owning its connections
// and their sessions, plus a replica of the subscription tree. A publish is matched against the
// publisher's own replica without any lock; deliveries for sessions of other shards are batched
// per shard and posted once per read cycle. Subscription changes are applied to every replica
// before SUBACK is sent. Client-id registration (connect/takeover) and retained messages use
// fine-grained locks off the per-message path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "mqtt/auth.h"
#include "mqtt/retained_store.h"
#include "mqtt/router.h"
#include "net/io_pool.h"
#include "net/listener.h"
#include "net/transport.h"

namespace verbund::mqtt {

class BrokerStore;
class SecurityEvents;
class Shard;
struct SessionSlot;
struct SessionSnapshot;

// Counters exported at /metrics. Relaxed atomics: monotonic totals, read without ordering.
struct BrokerMetrics {
  std::atomic<uint64_t> connections_total{0};
  std::atomic<int64_t> connections_active{0};
  std::atomic<uint64_t> messages_in[3] = {};   // by QoS
  std::atomic<uint64_t> messages_out[3] = {};  // by QoS
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> dropped_queue_full{0};  // oldest queued message dropped
  std::atomic<uint64_t> dropped_slow_client{0}; // QoS 0 dropped: client's output buffer full
  std::atomic<uint64_t> dropped_too_large{0};   // larger than the client's maximum packet size
  std::atomic<uint64_t> dropped_expired{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> quota_refusals{0};  // PUBLISHes over a rate quota (refused, dropped, held)
  std::atomic<uint64_t> publish_denied{0};  // PUBLISHes refused as not authorized
};

// One tenant's share of the counters on one shard (the web console's tenant figures): clients
// connected now (past CONNACK), PUBLISH packets received from and sent to them since start.
// Written by that shard's thread alone (Add: no read-modify-write, no cache line shared with
// another shard), read from anywhere.
struct alignas(64) TenantMetrics {
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> messages_in{0};
  std::atomic<uint64_t> messages_out{0};
  template <typename T>
  static void Add(std::atomic<T>& counter, T n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};
struct TenantTotals {
  int64_t connections = 0;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
};

// A connected client, as `verbundctl session list` and the admin API show it.
struct ClientInfo {
  std::string client_id;  // as the client sent it
  std::string tenant;     // "" on a single-tenant hub
  std::string principal;  // "" when anonymous
  std::string peer;       // "ip:port"
  std::string transport;  // tcp, tls, ws, wss
  std::string protocol;   // "3.1.1" or "5.0"
  size_t subscriptions = 0;
  size_t inflight = 0;
  size_t queued = 0;
};

// Decides, for a connected client's principal, whether it may stay (the principal to keep,
// e.g. with refreshed rules) or must go (nullopt).
using ReauthorizeFn = std::function<std::optional<Principal>(const Principal&)>;

struct BrokerOptions {
  MqttConfig mqtt;
  const Clock* clock = nullptr;          // not owned; nullptr = system clock
  Authenticator* authenticator = nullptr; // not owned; required
  Authorizer* authorizer = nullptr;       // not owned; required
  BrokerStore* store = nullptr;           // not owned; nullptr = nothing persisted
  SecurityEvents* events = nullptr;       // not owned; nullptr = no security events reported
};

class Broker final : public Router {
 public:
  Broker(BrokerOptions options, net::IoPool* pool);
  ~Broker() override;

  // Restores retained messages and persistent sessions from the store. Call before Start.
  Status Restore();
  // Takes a freshly accepted client. Called on the transport's I/O thread.
  void Accept(std::unique_ptr<net::Transport> transport, net::ConnectionLease lease);
  // Disconnects every client (DISCONNECT 0x8B for 5.0), persists retained messages and
  // persistent sessions, and returns when done. Call before stopping the pool.
  void Shutdown();

  void Publish(MessagePtr message, std::function<void(Status)> done = nullptr) override;
  // Sets or clears a retained message, writing it through to the store. True if it changed.
  // Called by Shard::Publish only, so that the stamp orders it against subscriptions.
  bool ApplyRetained(const MessagePtr& msg, RetainedStamp stamp);
  void AddTap(Tap* tap) override {
    (tap->HoldsAcknowledgements() ? taps_ : watchers_).push_back(tap);
  }

  BrokerMetrics& metrics() { return metrics_; }
  // The counters of `tenant` ("" on a single-tenant hub) on shard `shard`, created on first use
  // and kept (a connection holds its shard's from CONNACK on). Thread-safe.
  std::shared_ptr<TenantMetrics> TenantMetricsFor(std::string_view tenant, size_t shard);
  // Every tenant's counters now, summed over shards.
  std::unordered_map<std::string, TenantTotals> TenantTotalsNow();
  const MqttConfig& config() const { return options_.mqtt; }
  const Clock& clock() const { return *clock_; }
  Authenticator& authenticator() { return *options_.authenticator; }
  Authorizer& authorizer() { return *options_.authorizer; }
  RetainedStore& retained() { return retained_; }
  net::IoPool& pool() { return *pool_; }
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }
  // The taps acknowledgements wait for, and those that only watch (HoldsAcknowledgements).
  const std::vector<Tap*>& taps() const { return taps_; }
  const std::vector<Tap*>& watchers() const { return watchers_; }
  BrokerStore* store() { return options_.store; }
  SecurityEvents* events() { return options_.events; }

  // Client-id registry (connect, takeover, expiry). Thread-safe.
  // Registers `slot` for its client id, returning the slot it replaces (or null).
  std::shared_ptr<SessionSlot> Register(const std::shared_ptr<SessionSlot>& slot);
  // Whether a session is registered for `client_key` (SessionSlot::client_id).
  bool IsRegistered(std::string_view client_key);
  // Removes `slot` if it is still the registered one for its client id.
  void Unregister(const SessionSlot* slot);
  uint64_t NextSlotId() { return next_slot_id_.fetch_add(1); }

  // Administration; callable from any thread, `done` runs on an I/O thread.
  // Every connected client.
  void ListClients(std::function<void(std::vector<ClientInfo>)> done);
  // Asks `fn` about every connected client: a client whose principal it refuses is sent
  // DISCONNECT `reason` (5.0; 3.1.1 clients are closed) and its session keeps no will
  // publication rights beyond what it had; a refreshed principal replaces the old one at once
  // (later deliveries, and what is queued, are checked against it). `done` gets the number
  // of clients disconnected. Used when credentials or rules change, and to kick clients.
  void Reauthorize(ReauthorizeFn fn, ReasonCode reason, std::function<void(size_t)> done);

  // Runs fn on every shard's thread, then `done` on the calling shard's thread (the caller must
  // be on a pool thread).
  void ForEachShard(std::function<void(Shard&)> fn, std::function<void()> done);

 private:
  BrokerOptions options_;
  const Clock* clock_;
  net::IoPool* pool_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<Tap*> taps_;
  std::vector<Tap*> watchers_;
  RetainedStore retained_;
  BrokerMetrics metrics_;
  std::mutex tenant_metrics_mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<TenantMetrics>>>
      tenant_metrics_;  // GUARDED_BY(tenant_metrics_mu_); one per shard
  std::mutex registry_mu_;
  // Keyed by a view of the slot's own client id (one copy of the id per client). A hasher of
  // our own (noexcept) so the table does not store each key's hash beside it.
  struct ClientIdHash {
    size_t operator()(std::string_view id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };
  std::unordered_map<std::string_view, std::shared_ptr<SessionSlot>, ClientIdHash>
      registry_;  // GUARDED_BY(registry_mu_)
  std::atomic<uint64_t> next_slot_id_{1};
};

}  // namespace verbund::mqtt
