// The series catalog in memory: creating series (admitted by EngineOptions::admit_series, made
// durable through the Catalog), resolving keys to series, and the tenant and measurement index
// that Tenants() and FindSeries() read.

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/catalog.h"
#include "storage/engine.h"
#include "storage/engine_impl.h"

namespace verbund::storage::internal {

uint32_t EngineImpl::TenantNoLocked(const std::string& tenant) {
  for (uint32_t i = 0; i < tenant_names_.size(); ++i) {
    if (tenant_names_[i] == tenant) return i;
  }
  tenant_names_.push_back(tenant);
  return static_cast<uint32_t>(tenant_names_.size() - 1);
}

Series* EngineImpl::InsertSeriesLocked(SeriesInfo info) {
  auto s = std::make_unique<Series>();
  s->info = std::move(info);
  s->open.values = EmptyColumn(s->info.type);
  s->ooo.values = EmptyColumn(s->info.type);
  TenantNoLocked(s->info.key.tenant);
  s->usage = &usage_[s->info.key.tenant];
  ++s->usage->series;
  Series* p = s.get();
  by_key_[p->info.key] = p;
  auto& list = by_measurement_[p->info.key.tenant][p->info.key.measurement];
  list.insert(
      std::upper_bound(list.begin(), list.end(), p,
                       [](const Series* a, const Series* b) { return a->info.id < b->info.id; }),
      p);
  series_[p->info.id] = std::move(s);
  catalog_version_.fetch_add(1, std::memory_order_acq_rel);
  return p;
}

std::vector<Result<Series*>> EngineImpl::ResolveMissing(std::span<const SeriesKey* const> ks,
                                                        std::span<const ValueType> types) {
  std::lock_guard create(create_mu_);
  std::vector<Result<Series*>> out(ks.size(), static_cast<Series*>(nullptr));
  std::vector<SeriesInfo> fresh;
  std::vector<size_t> fresh_of;  // index in `fresh` for each key, or SIZE_MAX
  fresh_of.assign(ks.size(), SIZE_MAX);
  std::unordered_map<SeriesKey, size_t, SeriesKeyHash> fresh_index;
  for (size_t i = 0; i < ks.size(); ++i) {
    SeriesKey key = *ks[i];
    if (!IsNormalized(key)) key.Normalize();
    {
      std::lock_guard lock(mu_);
      if (auto it = by_key_.find(key); it != by_key_.end()) {
        out[i] = it->second;
        continue;
      }
    }
    if (auto it = fresh_index.find(key); it != fresh_index.end()) {
      fresh_of[i] = it->second;
      continue;
    }
    Result<std::optional<SeriesInfo>> found = catalog_->Find(key);
    if (!found.ok()) return std::vector<Result<Series*>>(ks.size(), found.status());
    if (*found) {
      std::lock_guard lock(mu_);
      out[i] = InsertSeriesLocked(std::move(**found));
      continue;
    }
    fresh_index[key] = fresh.size();
    fresh_of[i] = fresh.size();
    fresh.push_back(SeriesInfo{0, std::move(key), types[i]});
  }
  if (fresh.empty()) return out;

  // Admission, once per database in order of appearance; a refused database's new series are
  // not created and their keys get the refusal.
  std::vector<Status> refused(fresh.size());
  if (options_.admit_series) {
    std::vector<std::string_view> dbs;
    std::vector<size_t> counts;
    std::vector<size_t> db_of(fresh.size());
    std::unordered_map<std::string_view, size_t> db_index;
    for (size_t f = 0; f < fresh.size(); ++f) {
      auto [it, added] = db_index.try_emplace(fresh[f].key.tenant, dbs.size());
      if (added) {
        dbs.push_back(fresh[f].key.tenant);
        counts.push_back(0);
      }
      db_of[f] = it->second;
      ++counts[it->second];
    }
    std::vector<Status> verdict(dbs.size());
    for (size_t d = 0; d < dbs.size(); ++d) verdict[d] = options_.admit_series(dbs[d], counts[d]);
    for (size_t f = 0; f < fresh.size(); ++f) refused[f] = verdict[db_of[f]];
  }
  std::vector<SeriesInfo> admitted;
  std::vector<size_t> admitted_at(fresh.size(), SIZE_MAX);  // index in `admitted`
  for (size_t f = 0; f < fresh.size(); ++f) {
    if (!refused[f].ok()) continue;
    admitted_at[f] = admitted.size();
    admitted.push_back(std::move(fresh[f]));
  }
  std::vector<Series*> created;
  if (!admitted.empty()) {
    if (Status st = catalog_->Add(&admitted); !st.ok()) {
      return std::vector<Result<Series*>>(ks.size(), st);
    }
    std::lock_guard lock(mu_);
    for (auto& info : admitted) created.push_back(InsertSeriesLocked(std::move(info)));
  }
  for (size_t i = 0; i < ks.size(); ++i) {
    const size_t f = fresh_of[i];
    if (f == SIZE_MAX) continue;
    if (refused[f].ok()) {
      out[i] = created[admitted_at[f]];
    } else {
      out[i] = refused[f];
    }
  }
  return out;
}

Result<SeriesId> EngineImpl::GetOrCreateSeries(const SeriesKey& key, ValueType type) {
  const SeriesKey* k = &key;
  return std::move(GetOrCreateSeriesMany({&k, 1}, {&type, 1})[0]);
}

std::vector<Result<SeriesId>> EngineImpl::GetOrCreateSeriesMany(
    std::span<const SeriesKey* const> keys, std::span<const ValueType> types) {
  std::vector<Result<SeriesId>> out;
  out.reserve(keys.size());
  std::vector<Result<Series*>> s = ResolveMissing(keys, types);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!s[i].ok()) {
      out.emplace_back(s[i].status());
    } else if ((*s[i])->info.type != types[i]) {
      out.emplace_back(InvalidArgument("series exists with another value type"));
    } else {
      out.emplace_back((*s[i])->info.id);
    }
  }
  return out;
}

std::vector<std::string> EngineImpl::Tenants() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [tenant, ms] : by_measurement_) out.push_back(tenant);
  return out;
}

std::vector<SeriesInfo> EngineImpl::FindSeries(std::string_view tenant,
                                               std::string_view measurement) {
  std::lock_guard lock(mu_);
  std::vector<SeriesInfo> out;
  auto t = by_measurement_.find(tenant);
  if (t == by_measurement_.end()) return out;
  if (!measurement.empty()) {
    auto m = t->second.find(measurement);
    if (m == t->second.end()) return out;
    out.reserve(m->second.size());
    for (const Series* s : m->second) out.push_back(s->info);
    return out;
  }
  for (const auto& [name, list] : t->second) {
    for (const Series* s : list) out.push_back(s->info);
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesInfo& a, const SeriesInfo& b) { return a.id < b.id; });
  return out;
}

}  // namespace verbund::storage::internal
