// Usage: what tenants and principals use now, held against their quotas (security::Quotas;
// 0 = unlimited) - connections, messages/s and bytes/s per principal and per tenant, series
// and stored bytes per tenant.
//
// A principal's Meters pair its own meter with its tenant's: a connection or a message is
// admitted only when both have room. Rates are token buckets (RateLimiter) holding one second's
// worth; a refused charge takes nothing and says when it would succeed. Series and stored bytes
// are tenant quotas (data belongs to the tenant, not to the principal that wrote it): series
// are checked exactly against the store's count as they are created (CheckSeries), stored bytes
// against the figures the hub sets every few seconds (SetStored), so a stored-bytes quota is
// enforced within that period.
//
// Quota changes in the directory take effect for a principal with the next MetersFor call (the
// MQTT side calls it again on every directory change); a changed rate starts with a full bucket.
// Connection counts survive quota changes.
//
// Thread-safety: every method may be called from any thread concurrently. Meters are immutable
// handles; their methods are lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "security/rate_limiter.h"
#include "security/snapshot.h"
#include "security/types.h"

namespace verbund::security {

// Why a charge was refused: "messages/s quota of principal acme/robot-7 (100)", and when the
// same charge would succeed (rates; 0 for connection counts).
struct QuotaRefusal {
  std::string what;
  int64_t retry_after_ms = 0;
};

class Meters {
 public:
  struct Meter;  // one tenant's or principal's counters and buckets (usage.cc)

  // A connection slot, released when the returned lease is destroyed; null (and *refusal set)
  // when the principal or its tenant already has its maximum number of connections.
  std::shared_ptr<void> AcquireConnection(QuotaRefusal* refusal) const;
  // `messages` and `bytes` at monotonic time `now_ns`, from the principal's and the tenant's
  // buckets; all or nothing.
  bool Charge(uint64_t messages, uint64_t bytes, int64_t now_ns, QuotaRefusal* refusal) const;
  // Whether any rate or connection quota applies (false: Charge always succeeds).
  bool limited() const { return limited_; }

 private:
  friend class Usage;
  struct Rates;
  struct Side {
    std::shared_ptr<Meter> meter;
    std::shared_ptr<Rates> rates;
  };
  Side principal_, tenant_;
  bool limited_ = false;
};

class Usage {
 public:
  Usage() = default;
  Usage(const Usage&) = delete;
  Usage& operator=(const Usage&) = delete;

  // The meters of `principal` of `tenant` with their quotas in `snap` (unknown principals and
  // tenants: unlimited). Cheap (a lock and two lookups); holders may keep the handle.
  std::shared_ptr<const Meters> MetersFor(const Snapshot& snap, std::string_view tenant,
                                          std::string_view principal);

  // Before `n` new series are created in a database of `tenant`, which has `series` now (the
  // store's own count): ResourceExhausted when they would take it past its series quota.
  static Status CheckSeries(const Snapshot& snap, std::string_view tenant, uint64_t series,
                            uint64_t n);

  struct TenantStored {
    uint64_t series = 0;
    uint64_t stored_bytes = 0;
  };
  // The store's own count of every tenant's series and stored bytes (summed over its
  // databases), held against the quotas in `snap`; the hub calls it every few seconds.
  void SetStored(std::unordered_map<std::string, TenantStored> by_tenant, const Snapshot& snap);
  // Before data is written for `tenant`: ResourceExhausted while its stored bytes, as last set,
  // are at or above its quota. Lock-free while no tenant is.
  Status CheckStored(std::string_view tenant) const;
  TenantStored Stored(std::string_view tenant) const;

 private:
  struct Entry {
    std::shared_ptr<Meters::Meter> meter;
    std::shared_ptr<Meters::Rates> rates;
    Quotas quotas;
  };
  Meters::Side SideLocked(const std::string& key, const Quotas& quotas, std::string_view name);
  void PruneLocked(const Snapshot& snap);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> meters_;  // "tenant" or "tenant/principal"
  std::unordered_map<std::string, TenantStored> stored_;
  std::unordered_map<std::string, uint64_t> over_stored_;  // tenant -> its stored-bytes quota
  std::atomic<bool> any_over_stored_{false};
  uint64_t pruned_version_ = 0;  // the snapshot version meters_ was last pruned against
};

}  // namespace verbund::security
