// The executor's values: a result cell, an output series, and the helpers every part of the
// executor (select_runner, meta_statements, render) shares. Internal to src/query.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/engine.h"

namespace verbund::query {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() + 2;  // models.MinNanoTime
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() - 1;  // models.MaxNanoTime

struct TimeCell {
  int64_t ns;
};
using Cell = std::variant<std::monostate, double, int64_t, bool, std::string, TimeCell>;

inline bool IsNull(const Cell& c) { return std::holds_alternative<std::monostate>(c); }

// One output series (a "row" in InfluxDB's models package).
struct SeriesOut {
  std::string name;
  std::vector<storage::Tag> tags;  // sorted by key; empty = no "tags" member
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> values;
};

inline std::string_view TagValue(const std::vector<storage::Tag>& tags, std::string_view key) {
  for (const auto& t : tags) {
    if (t.first == key) return t.second;
  }
  return {};
}

inline bool IsTimeName(std::string_view n) {
  return n.size() == 4 && (n[0] | 0x20) == 't' && (n[1] | 0x20) == 'i' && (n[2] | 0x20) == 'm' &&
         (n[3] | 0x20) == 'e';
}

// What one statement produced: an error (then no series) or its series.
struct StatementResult {
  std::string error;
  std::vector<SeriesOut> series;
};

template <typename T>
void ApplyLimitOffset(std::vector<T>* v, int64_t limit, int64_t offset) {
  if (offset > 0) {
    if (static_cast<size_t>(offset) >= v->size()) {
      v->clear();
    } else {
      v->erase(v->begin(), v->begin() + offset);
    }
  }
  if (limit > 0 && static_cast<size_t>(limit) < v->size()) v->resize(static_cast<size_t>(limit));
}

}  // namespace verbund::query
