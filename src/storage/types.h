// The storage engine's vocabulary: series keys and ids, value types, points.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.h"

namespace verbund::storage {

// Compact id the catalog assigns to a series key; stable for the life of the data directory.
using SeriesId = uint64_t;

// On-disk type tags: fixed numbers, never renumber (they appear in WAL records and chunks).
enum class ValueType : uint8_t { kFloat = 1, kInt = 2, kBool = 3, kString = 4 };

using Value = std::variant<double, int64_t, bool, std::string>;

inline ValueType TypeOf(const Value& v) {
  return static_cast<ValueType>(v.index() + 1);
}

using Tag = std::pair<std::string, std::string>;

// Identifies one series: a single field of one measurement with one tag set, in one tenant.
// Tags are kept sorted by key (Normalize() does it) so equal sets compare equal.
struct SeriesKey {
  std::string tenant;       // the tenant's database name
  std::string measurement;  // measurement or MQTT topic
  std::vector<Tag> tags;    // sorted by key, keys unique
  std::string field;

  void Normalize();
  bool operator==(const SeriesKey&) const = default;
};

// One timestamped value.
struct Sample {
  TimestampNs ts = 0;
  Value value;
};

}  // namespace verbund::storage
