// Catalog views of a tenant's measurements (tag sets, tag keys, fields), built from
// Engine::FindSeries and cached while the engine's CatalogVersion() is unchanged. Internal to
// src/query.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "query/ast.h"
#include "query/regex.h"
#include "storage/engine.h"

namespace verbund::query {

struct TagSet {
  std::vector<storage::Tag> tags;                            // sorted by key
  std::map<std::string, const storage::SeriesInfo*> fields;  // field -> series
};

struct Measurement {
  std::string name;
  std::vector<storage::SeriesInfo> series;
  std::vector<TagSet> tagsets;  // sorted by tags
  std::set<std::string> tag_keys;
  std::map<std::string, storage::ValueType> fields;  // first type seen wins
};

// Groups `series` (of one measurement) by tag set.
Measurement BuildMeasurement(std::string name, std::vector<storage::SeriesInfo> series);

// Series of the measurements `sources` can name, grouped by measurement. Plain names are looked
// up one by one; a regex source (or no source at all) needs the tenant's whole catalog.
std::map<std::string, std::vector<storage::SeriesInfo>> SeriesByMeasurement(
    storage::Engine* engine, std::string_view db, const std::vector<Source>* sources = nullptr);

using MeasurementPtr = std::shared_ptr<const Measurement>;

// Catalog views (Measurement) built from Engine::FindSeries, kept while the engine's
// CatalogVersion() is unchanged, so a query does not copy and regroup the tenant's series keys.
// Engines without a version get a fresh view per query.
class MeasurementCache {
 public:
  // The measurements `sources` name (all of the tenant's for a regex source or none), by name.
  std::map<std::string, MeasurementPtr> Resolve(storage::Engine* engine, std::string_view db,
                                                const std::vector<Source>* sources);

 private:
  static std::string Key(std::string_view db, std::string_view name);

  // Drops every view once the catalog changed. Requires mu_.
  void SyncLocked(uint64_t version);

  MeasurementPtr Get(storage::Engine* engine, std::optional<uint64_t> version, std::string_view db,
                     const std::string& name);

  std::mutex mu_;
  uint64_t version_ = 0;                                 // guarded by mu_
  std::unordered_map<std::string, MeasurementPtr> one_;  // db\0name; guarded by mu_
  std::map<std::string, std::map<std::string, MeasurementPtr>, std::less<>> all_;  // guarded by mu_
};

// Measurement names selected by FROM.
template <typename Catalog>
std::vector<std::string> ResolveSources(const std::vector<Source>& sources, const Catalog& all,
                                        Status* status) {
  std::set<std::string> names;
  for (const Source& s : sources) {
    if (s.is_regex) {
      auto re = Regex::Compile(s.name);
      if (!re.ok()) {
        *status = re.status();
        return {};
      }
      for (const auto& [name, series] : all) {
        if (re->Match(name)) names.insert(name);
      }
    } else if (all.count(s.name)) {
      names.insert(s.name);
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace verbund::query
