// In-memory storage::Engine for HTTP tests: a series catalog with typed series and sorted
// samples. Thread-safe (one mutex), since the HTTP layer calls it from worker threads.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "storage/engine.h"

namespace verbund::http::testing {

class MemoryEngine final : public storage::Engine {
 public:
  Status Write(const storage::WriteBatch& batch) override {
    std::lock_guard lock(mu_);
    // All or nothing: check types first.
    for (const auto& e : batch.entries()) {
      Series* s = e.id ? FindLocked(e.id) : FindKeyLocked(batch.KeyOf(e));
      if (e.id && !s) return NotFound("series id");
      if (s && s->info.type != storage::TypeOf(e.value)) {
        return InvalidArgument("series exists with another value type");
      }
    }
    for (const auto& e : batch.entries()) {
      Series* s = e.id ? FindLocked(e.id) : FindKeyLocked(batch.KeyOf(e));
      if (!s) s = CreateLocked(batch.KeyOf(e), storage::TypeOf(e.value));
      s->samples[e.ts] = e.value;
      ++points_;
    }
    ++writes_;
    return Status::OK();
  }

  Result<storage::SeriesId> GetOrCreateSeries(const storage::SeriesKey& key,
                                              storage::ValueType type) override {
    std::lock_guard lock(mu_);
    Series* s = FindKeyLocked(key);
    if (!s) s = CreateLocked(key, type);
    if (s->info.type != type) return InvalidArgument("series exists with another value type");
    return s->info.id;
  }

  std::vector<Result<storage::SeriesId>> GetOrCreateSeriesMany(
      std::span<const storage::SeriesKey* const> keys,
      std::span<const storage::ValueType> types) override {
    {
      std::lock_guard lock(mu_);
      ++many_calls_;
    }
    return Engine::GetOrCreateSeriesMany(keys, types);
  }
  size_t many_calls() {
    std::lock_guard lock(mu_);
    return many_calls_;
  }

  std::vector<std::string> Tenants() override {
    std::lock_guard lock(mu_);
    std::set<std::string> t;
    for (const auto& s : series_) t.insert(s.info.key.tenant);
    return {t.begin(), t.end()};
  }

  std::vector<storage::SeriesInfo> FindSeries(std::string_view tenant,
                                              std::string_view measurement) override {
    std::lock_guard lock(mu_);
    std::vector<storage::SeriesInfo> out;
    for (const auto& s : series_) {
      if (s.info.key.tenant != tenant) continue;
      if (!measurement.empty() && s.info.key.measurement != measurement) continue;
      out.push_back(s.info);
    }
    return out;
  }

  Result<storage::SampleRun> Read(storage::SeriesId id, TimestampNs from, TimestampNs to,
                                  storage::ScanOrder order, size_t limit) override {
    std::lock_guard lock(mu_);
    Series* s = FindLocked(id);
    if (!s) return NotFound("series");
    std::vector<std::pair<TimestampNs, storage::Value>> picked;
    for (auto it = s->samples.lower_bound(from); it != s->samples.end() && it->first < to; ++it) {
      picked.emplace_back(it->first, it->second);
    }
    if (order == storage::ScanOrder::kDescending) std::reverse(picked.begin(), picked.end());
    if (limit != 0 && picked.size() > limit) picked.resize(limit);
    storage::SampleRun run;
    switch (s->info.type) {
      case storage::ValueType::kFloat: run.values = std::vector<double>(); break;
      case storage::ValueType::kInt: run.values = std::vector<int64_t>(); break;
      case storage::ValueType::kBool: run.values = std::vector<uint8_t>(); break;
      case storage::ValueType::kString: run.values = std::vector<std::string>(); break;
    }
    for (auto& [t, v] : picked) {
      run.ts.push_back(t);
      std::visit(
          [&](auto& col) {
            using Col = std::decay_t<decltype(col)>;
            if constexpr (std::is_same_v<Col, std::vector<uint8_t>>) {
              col.push_back(std::get<bool>(v) ? 1 : 0);
            } else {
              col.push_back(std::get<typename Col::value_type>(v));
            }
          },
          run.values);
    }
    return run;
  }

  Result<std::optional<storage::Sample>> Latest(storage::SeriesId id) override {
    std::lock_guard lock(mu_);
    Series* s = FindLocked(id);
    if (!s || s->samples.empty()) return std::optional<storage::Sample>();
    auto it = std::prev(s->samples.end());
    return std::optional<storage::Sample>(storage::Sample{it->first, it->second});
  }

  Result<std::vector<storage::AggState>> Aggregate(storage::SeriesId, TimestampNs, TimestampNs,
                                                   int64_t, int64_t) override {
    return Unimplemented("Aggregate");
  }
  Status DeleteRange(std::string_view, std::span<const storage::SeriesId>, TimestampNs,
                     TimestampNs) override {
    return Unimplemented("DeleteRange");
  }
  Status SetRetention(std::string_view, std::string_view, int64_t) override { return Status::OK(); }
  Status Flush() override { return Status::OK(); }
  Status Compact() override { return Status::OK(); }
  storage::EngineStats Stats() override {
    std::lock_guard lock(mu_);
    storage::EngineStats st;
    st.series = series_.size();
    st.points_written = points_;
    return st;
  }

  size_t writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  struct Series {
    storage::SeriesInfo info;
    std::map<TimestampNs, storage::Value> samples;
  };
  Series* FindLocked(storage::SeriesId id) {
    if (id == 0 || id > series_.size()) return nullptr;
    return &series_[id - 1];
  }
  Series* FindKeyLocked(storage::SeriesKey key) {
    key.Normalize();
    for (auto& s : series_) {
      if (s.info.key == key) return &s;
    }
    return nullptr;
  }
  Series* CreateLocked(storage::SeriesKey key, storage::ValueType type) {
    key.Normalize();
    Series s;
    s.info.id = series_.size() + 1;
    s.info.key = std::move(key);
    s.info.type = type;
    series_.push_back(std::move(s));
    return &series_.back();
  }

  std::mutex mu_;
  std::vector<Series> series_;
  uint64_t points_ = 0;
  size_t writes_ = 0;
  size_t many_calls_ = 0;
};

}  // namespace verbund::http::testing
