// In-memory storage::Engine for query tests: series catalog plus sorted samples, with Read and
// Aggregate following the contract in storage/engine.h. Not thread-safe (tests are single-threaded).
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/line_protocol.h"
#include "storage/engine.h"

namespace verbund::query::testing {

class FakeEngine final : public storage::Engine {
 public:
  // Adds one sample; creates the series on first use. Tags need not be sorted.
  void Add(const std::string& tenant, const std::string& measurement,
           std::vector<storage::Tag> tags, const std::string& field, TimestampNs ts,
           storage::Value value) {
    std::sort(tags.begin(), tags.end());
    storage::SeriesKey key{tenant, measurement, std::move(tags), field};
    size_t idx = 0;
    for (; idx < series_.size(); ++idx) {
      if (series_[idx].info.key == key) break;
    }
    if (idx == series_.size()) {
      Series s;
      s.info.id = series_.size() + 1;
      s.info.key = key;
      s.info.type = storage::TypeOf(value);
      series_.push_back(std::move(s));
    }
    series_[idx].samples[ts] = std::move(value);
  }

  // Loads InfluxDB line protocol (the same text a test can write to a real influxd).
  void AddLines(const std::string& tenant, std::string_view body,
                ingest::Precision precision = ingest::Precision::kNanosecond) {
    ingest::ParseOptions o;
    o.precision = precision;
    o.now = 0;
    ingest::ParsedBatch b = ingest::ParseLineProtocol(body, o);
    for (const auto& p : b.points()) {
      std::vector<storage::Tag> tags;
      for (const auto& t : p.tags) tags.emplace_back(std::string(t.key), std::string(t.value));
      for (const auto& f : p.fields) {
        storage::Value v;
        switch (f.type) {
          case ingest::FieldType::kFloat: v = f.f; break;
          case ingest::FieldType::kInteger: v = f.i; break;
          case ingest::FieldType::kUnsigned: v = static_cast<int64_t>(f.u); break;
          case ingest::FieldType::kBoolean: v = f.b; break;
          case ingest::FieldType::kString: v = std::string(f.s); break;
        }
        Add(tenant, std::string(p.measurement), tags, std::string(f.key), p.ts, std::move(v));
      }
    }
  }

  size_t aggregate_calls() const { return aggregate_calls_; }
  size_t read_calls() const { return read_calls_; }

  Status Write(const storage::WriteBatch& batch) override {
    for (const auto& e : batch.entries()) {
      const storage::SeriesKey& key = batch.KeyOf(e);
      Add(key.tenant, key.measurement, key.tags, key.field, e.ts, e.value);
    }
    return Status::OK();
  }

  std::vector<std::string> Tenants() override {
    std::vector<std::string> out;
    for (const auto& s : series_) {
      if (std::find(out.begin(), out.end(), s.info.key.tenant) == out.end()) {
        out.push_back(s.info.key.tenant);
      }
    }
    return out;
  }

  std::vector<storage::SeriesInfo> FindSeries(std::string_view tenant,
                                              std::string_view measurement) override {
    std::vector<storage::SeriesInfo> out;
    for (const auto& s : series_) {
      if (s.info.key.tenant != tenant) continue;
      if (!measurement.empty() && s.info.key.measurement != measurement) continue;
      if (s.samples.empty()) continue;
      out.push_back(s.info);
    }
    return out;
  }

  Result<storage::SampleRun> Read(storage::SeriesId id, TimestampNs from, TimestampNs to,
                                  storage::ScanOrder order, size_t limit) override {
    ++read_calls_;
    const Series* s = Find(id);
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
    for (auto& entry : picked) {
      run.ts.push_back(entry.first);
      const storage::Value& v = entry.second;
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
    const Series* s = Find(id);
    if (!s || s->samples.empty()) return std::optional<storage::Sample>();
    auto it = std::prev(s->samples.end());
    return std::optional<storage::Sample>(storage::Sample{it->first, it->second});
  }

  Result<std::vector<storage::AggState>> Aggregate(storage::SeriesId id, TimestampNs from,
                                                   TimestampNs to, int64_t interval,
                                                   int64_t offset) override {
    ++aggregate_calls_;
    const Series* s = Find(id);
    if (!s) return NotFound("series");
    if (s->info.type == storage::ValueType::kString) return InvalidArgument("not numeric");
    std::map<TimestampNs, storage::AggState> buckets;
    for (auto it = s->samples.lower_bound(from); it != s->samples.end() && it->first < to; ++it) {
      TimestampNs start = from;
      if (interval > 0) {
        int64_t off = offset % interval;
        int64_t shifted = it->first - off;
        int64_t m = shifted % interval;
        if (m < 0) m += interval;
        start = it->first - m;
      }
      double v = 0;
      if (auto* d = std::get_if<double>(&it->second)) v = *d;
      else if (auto* i = std::get_if<int64_t>(&it->second)) v = static_cast<double>(*i);
      else if (auto* b = std::get_if<bool>(&it->second)) v = *b ? 1 : 0;
      storage::AggState& a = buckets[start];
      a.bucket_start = start;
      if (a.count == 0) {
        a.min = a.max = a.first = v;
        a.first_ts = it->first;
      }
      ++a.count;
      a.sum += v;
      a.min = std::min(a.min, v);
      a.max = std::max(a.max, v);
      a.last = v;
      a.last_ts = it->first;
      double delta = v - a.mean;
      a.mean += delta / static_cast<double>(a.count);
      a.m2 += delta * (v - a.mean);
    }
    std::vector<storage::AggState> out;
    for (auto& [t, a] : buckets) out.push_back(a);
    return out;
  }

  Status DeleteRange(std::string_view tenant, std::span<const storage::SeriesId> ids,
                     TimestampNs from, TimestampNs to) override {
    for (auto& s : series_) {
      if (s.info.key.tenant != tenant) continue;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), s.info.id) == ids.end()) continue;
      for (auto it = s.samples.lower_bound(from); it != s.samples.end() && it->first < to;) {
        it = s.samples.erase(it);
      }
    }
    return Status::OK();
  }

  Status SetRetention(std::string_view, std::string_view, int64_t) override {
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Compact() override { return Status::OK(); }
  storage::EngineStats Stats() override { return {}; }

 private:
  struct Series {
    storage::SeriesInfo info;
    std::map<TimestampNs, storage::Value> samples;
  };
  const Series* Find(storage::SeriesId id) const {
    if (id == 0 || id > series_.size()) return nullptr;
    return &series_[id - 1];
  }

  std::vector<Series> series_;
  size_t aggregate_calls_ = 0;
  size_t read_calls_ = 0;
};

}  // namespace verbund::query::testing
