#include "security/usage.h"

#include <fmt/format.h>

namespace verbund::security {

// Survives quota changes: the live connections of one tenant or principal.
struct Meters::Meter {
  std::string name;  // "tenant acme" or "principal acme/robot-7", for refusals
  std::atomic<uint64_t> connections{0};
};

// One set of quota values of a meter; replaced (with fresh buckets) when the quotas change.
struct Meters::Rates {
  Rates(const Quotas& q) : messages(q.messages_per_s), bytes(q.bytes_per_s), quotas(q) {}
  RateLimiter messages;
  RateLimiter bytes;
  const Quotas quotas;
  bool limited() const {
    return quotas.max_connections != 0 || quotas.messages_per_s != 0 || quotas.bytes_per_s != 0;
  }
};

namespace {

bool Take(const std::string& name, RateLimiter& bucket, uint64_t amount, const char* unit,
          int64_t now_ns, QuotaRefusal* refusal) {
  int64_t retry_ms = 0;
  if (bucket.TryAcquire(amount, now_ns, &retry_ms)) return true;
  if (refusal != nullptr) {
    refusal->what = fmt::format("{} quota of {} ({})", unit, name, bucket.rate());
    refusal->retry_after_ms = retry_ms;
  }
  return false;
}

}  // namespace

std::shared_ptr<void> Meters::AcquireConnection(QuotaRefusal* refusal) const {
  Meter* sides[2] = {principal_.meter.get(), tenant_.meter.get()};
  const uint64_t limits[2] = {principal_.rates->quotas.max_connections,
                              tenant_.rates->quotas.max_connections};
  for (int i = 0; i < 2; ++i) {
    uint64_t now = sides[i]->connections.fetch_add(1, std::memory_order_relaxed);
    if (limits[i] != 0 && now >= limits[i]) {
      for (int j = 0; j <= i; ++j) sides[j]->connections.fetch_sub(1, std::memory_order_relaxed);
      if (refusal != nullptr) {
        refusal->what = fmt::format("connection quota of {} ({})", sides[i]->name, limits[i]);
        refusal->retry_after_ms = 0;
      }
      return nullptr;
    }
  }
  // The lease keeps both meters alive and gives the slots back.
  auto release = [p = principal_.meter, t = tenant_.meter](void*) {
    p->connections.fetch_sub(1, std::memory_order_relaxed);
    t->connections.fetch_sub(1, std::memory_order_relaxed);
  };
  return std::shared_ptr<void>(static_cast<void*>(principal_.meter.get()), std::move(release));
}

bool Meters::Charge(uint64_t messages, uint64_t bytes, int64_t now_ns,
                    QuotaRefusal* refusal) const {
  if (!limited_) return true;
  Rates& p = *principal_.rates;
  Rates& t = *tenant_.rates;
  if (!Take(principal_.meter->name, p.messages, messages, "messages/s", now_ns, refusal)) {
    return false;
  }
  if (!Take(principal_.meter->name, p.bytes, bytes, "bytes/s", now_ns, refusal)) {
    p.messages.Refund(messages);
    return false;
  }
  if (!Take(tenant_.meter->name, t.messages, messages, "messages/s", now_ns, refusal)) {
    p.messages.Refund(messages);
    p.bytes.Refund(bytes);
    return false;
  }
  if (!Take(tenant_.meter->name, t.bytes, bytes, "bytes/s", now_ns, refusal)) {
    p.messages.Refund(messages);
    p.bytes.Refund(bytes);
    t.messages.Refund(messages);
    return false;
  }
  return true;
}

Meters::Side Usage::SideLocked(const std::string& key, const Quotas& quotas,
                               std::string_view name) {
  Entry& e = meters_[key];
  if (!e.meter) {
    e.meter = std::make_shared<Meters::Meter>();
    e.meter->name = std::string(name);
  }
  if (!e.rates || !(e.quotas == quotas)) {
    e.rates = std::make_shared<Meters::Rates>(quotas);
    e.quotas = quotas;
  }
  return {e.meter, e.rates};
}

void Usage::PruneLocked(const Snapshot& snap) {
  // Entries of principals and tenants the directory no longer has, once nobody holds them.
  // Only when the directory changed and the map has grown, so the hot path rarely scans.
  if (snap.version() == pruned_version_ || meters_.size() < 1024) return;
  pruned_version_ = snap.version();
  for (auto it = meters_.begin(); it != meters_.end();) {
    const std::string& key = it->first;
    size_t slash = key.find('/');
    bool known = slash == std::string::npos
                     ? snap.HasTenant(key)
                     : snap.PrincipalQuotas(std::string_view(key).substr(0, slash),
                                            std::string_view(key).substr(slash + 1))
                           .has_value();
    if (!known && it->second.meter.use_count() == 1) {
      it = meters_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<const Meters> Usage::MetersFor(const Snapshot& snap, std::string_view tenant,
                                               std::string_view principal) {
  const Quotas tq = snap.TenantQuotas(tenant).value_or(Quotas{});
  const Quotas pq = snap.PrincipalQuotas(tenant, principal).value_or(Quotas{});
  std::string tkey(tenant);
  std::string pkey = tkey + '/' + std::string(principal);
  auto m = std::make_shared<Meters>();
  {
    std::lock_guard lock(mu_);
    PruneLocked(snap);
    m->tenant_ = SideLocked(tkey, tq, "tenant " + tkey);
    m->principal_ = SideLocked(pkey, pq, "principal " + pkey);
  }
  m->limited_ = m->tenant_.rates->limited() || m->principal_.rates->limited();
  return m;
}

Status Usage::CheckSeries(const Snapshot& snap, std::string_view tenant, uint64_t series,
                          uint64_t n) {
  const uint64_t max = snap.TenantQuotas(tenant).value_or(Quotas{}).max_series;
  if (max == 0 || series + n <= max) return Status::OK();
  return ResourceExhausted(fmt::format("series quota of tenant {} ({}) reached: {} series, {} new",
                                       tenant, max, series, n));
}

void Usage::SetStored(std::unordered_map<std::string, TenantStored> by_tenant,
                      const Snapshot& snap) {
  std::unordered_map<std::string, uint64_t> over;
  for (const auto& [tenant, stored] : by_tenant) {
    const uint64_t max = snap.TenantQuotas(tenant).value_or(Quotas{}).max_stored_bytes;
    if (max != 0 && stored.stored_bytes >= max) over.emplace(tenant, max);
  }
  std::lock_guard lock(mu_);
  stored_ = std::move(by_tenant);
  over_stored_ = std::move(over);
  any_over_stored_.store(!over_stored_.empty(), std::memory_order_release);
}

Status Usage::CheckStored(std::string_view tenant) const {
  if (!any_over_stored_.load(std::memory_order_acquire)) return Status::OK();
  std::lock_guard lock(mu_);
  auto it = over_stored_.find(std::string(tenant));
  if (it == over_stored_.end()) return Status::OK();
  auto s = stored_.find(it->first);
  return ResourceExhausted(fmt::format("stored-bytes quota of tenant {} ({} bytes) reached: {}",
                                       tenant, it->second,
                                       s == stored_.end() ? 0 : s->second.stored_bytes));
}

Usage::TenantStored Usage::Stored(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  auto it = stored_.find(std::string(tenant));
  return it == stored_.end() ? TenantStored{} : it->second;
}

}  // namespace verbund::security
