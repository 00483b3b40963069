#include "query/catalog_view.h"

#include <algorithm>

namespace verbund::query {

using storage::SeriesInfo;
using storage::ValueType;

namespace {

std::vector<storage::Tag> SortedTags(std::vector<storage::Tag> tags) {
  std::sort(tags.begin(), tags.end());
  return tags;
}

}  // namespace

Measurement BuildMeasurement(std::string name, std::vector<SeriesInfo> series) {
  Measurement m;
  m.name = std::move(name);
  m.series = std::move(series);
  std::map<std::vector<storage::Tag>, size_t> index;
  for (SeriesInfo& s : m.series) s.key.tags = SortedTags(std::move(s.key.tags));
  std::sort(m.series.begin(), m.series.end(), [](const SeriesInfo& a, const SeriesInfo& b) {
    if (a.key.tags != b.key.tags) return a.key.tags < b.key.tags;
    return a.key.field < b.key.field;
  });
  for (const SeriesInfo& s : m.series) {
    auto [it, inserted] = index.emplace(s.key.tags, m.tagsets.size());
    if (inserted) m.tagsets.push_back(TagSet{s.key.tags, {}});
    m.tagsets[it->second].fields.emplace(s.key.field, &s);
    for (const auto& t : s.key.tags) m.tag_keys.insert(t.first);
    m.fields.emplace(s.key.field, s.type);
  }
  return m;
}

std::map<std::string, std::vector<SeriesInfo>> SeriesByMeasurement(
    storage::Engine* engine, std::string_view db, const std::vector<Source>* sources) {
  std::map<std::string, std::vector<SeriesInfo>> out;
  bool need_all = sources == nullptr || sources->empty();
  if (sources) {
    for (const Source& s : *sources) need_all = need_all || s.is_regex;
  }
  if (need_all) {
    for (SeriesInfo& s : engine->FindSeries(db, "")) {
      out[s.key.measurement].push_back(std::move(s));
    }
    return out;
  }
  for (const Source& src : *sources) {
    if (out.count(src.name)) continue;
    std::vector<SeriesInfo> series = engine->FindSeries(db, src.name);
    if (!series.empty()) out[src.name] = std::move(series);
  }
  return out;
}

std::map<std::string, MeasurementPtr> MeasurementCache::Resolve(
    storage::Engine* engine, std::string_view db, const std::vector<Source>* sources) {
  bool need_all = sources == nullptr || sources->empty();
  if (sources) {
    for (const Source& s : *sources) need_all = need_all || s.is_regex;
  }
  const std::optional<uint64_t> version = engine->CatalogVersion();
  std::map<std::string, MeasurementPtr> out;
  if (need_all) {
    if (version) {
      std::lock_guard lock(mu_);
      SyncLocked(*version);
      auto it = all_.find(db);
      if (it != all_.end()) return it->second;
    }
    for (auto& [name, series] : SeriesByMeasurement(engine, db, sources)) {
      out.emplace(name,
                  std::make_shared<const Measurement>(BuildMeasurement(name, std::move(series))));
    }
    if (version) {
      std::lock_guard lock(mu_);
      SyncLocked(*version);
      if (version_ == *version) {
        all_.emplace(std::string(db), out);
        for (const auto& [name, m] : out) one_[Key(db, name)] = m;
      }
    }
    return out;
  }
  for (const Source& src : *sources) {
    if (out.count(src.name)) continue;
    MeasurementPtr m = Get(engine, version, db, src.name);
    if (m != nullptr) out.emplace(src.name, std::move(m));
  }
  return out;
}

std::string MeasurementCache::Key(std::string_view db, std::string_view name) {
  std::string k;
  k.reserve(db.size() + name.size() + 1);
  k.append(db);
  k.push_back('\0');
  k.append(name);
  return k;
}

void MeasurementCache::SyncLocked(uint64_t version) {
  if (version_ == version) return;
  // A reader that fetched an older version must not roll the cache back.
  if (version < version_) return;
  version_ = version;
  one_.clear();
  all_.clear();
}

MeasurementPtr MeasurementCache::Get(storage::Engine* engine, std::optional<uint64_t> version,
                                     std::string_view db, const std::string& name) {
  const std::string key = Key(db, name);
  if (version) {
    std::lock_guard lock(mu_);
    SyncLocked(*version);
    if (version_ == *version) {
      auto it = one_.find(key);
      if (it != one_.end()) return it->second;
    }
  }
  // Built from series read after `version` was taken: never older than that version.
  std::vector<SeriesInfo> series = engine->FindSeries(db, name);
  MeasurementPtr m;
  if (!series.empty()) {
    m = std::make_shared<const Measurement>(BuildMeasurement(name, std::move(series)));
  }
  if (version) {
    std::lock_guard lock(mu_);
    SyncLocked(*version);
    if (version_ == *version) one_[key] = m;  // a missing measurement is cached as nullptr
  }
  return m;
}

}  // namespace verbund::query
