// SELECT compilation: the field list of a statement, for one measurement, becomes leaves (raw
// fields and tags, aggregate calls) and output columns (expressions over leaves, optionally
// transformed by derivative() and friends), named as InfluxDB names them. Internal to
// src/query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "query/ast.h"
#include "query/catalog_view.h"
#include "query/eval.h"
#include "query/rows.h"

namespace verbund::query {

enum class Func {
  kCount,
  kSum,
  kMean,
  kMedian,
  kMin,
  kMax,
  kFirst,
  kLast,
  kSpread,
  kStddev,
  kPercentile,
  kIntegral,       // trapezoidal area, streamed across buckets (aggregate.h, Integral())
  kDistinct,       // one row per distinct value; alone in its statement
  kCountDistinct,  // count(distinct(field))
};

std::optional<Func> LookupFunc(std::string_view n);
bool IsSelector(Func f);  // selects a point (its time can be reported)

// A data-producing leaf of a column expression: a raw field/tag, or an aggregate call.
struct Leaf {
  bool is_call = false;
  bool is_tag = false;
  std::string name;  // field or tag
  Func func = Func::kCount;
  double percentile = 0;
  int64_t unit = 0;  // integral()'s unit; 0 = 1s
};

// derivative() and friends: computed over a column's values after rows are built.
enum class Transform {
  kNone,
  kDerivative,
  kNonNegativeDerivative,
  kDifference,
  kNonNegativeDifference,
  kMovingAverage,
  kCumulativeSum,
};

std::optional<Transform> LookupTransform(std::string_view n);

struct Column {
  std::string name;
  ExprPtr expr;  // over leaves (VarRef/Call nodes map to leaf indices via leaf_of)
  Transform transform = Transform::kNone;
  int64_t unit = 0;  // derivative unit; 0 = default (1s raw, the GROUP BY interval otherwise)
  int64_t window = 0;  // moving_average's number of points
};

struct CompiledSelect {
  std::vector<Leaf> leaves;
  std::vector<Column> columns;
  std::unordered_map<const Expr*, size_t> leaf_of;
  bool aggregate = false;
  bool distinct = false;  // the statement is one distinct() call (InfluxDB allows nothing else)
  bool has_transform = false;
  // Intervals beyond the range (before it ascending, after it descending) a transform reads to
  // seed its first bucket: 1 for derivative/difference/moving_average, 0 for cumulative_sum,
  // as InfluxDB 1.x reads them.
  int64_t extra_buckets = 0;
  std::vector<std::string> field_names;  // distinct fields read (leaves + condition)
};

// Fields and tag keys a wildcard expands to: with several measurements in FROM, InfluxDB uses
// the union over all of them for every measurement.
struct WildcardUniverse {
  std::map<std::string, storage::ValueType> fields;
  std::set<std::string> tag_keys;
};

// Expands wildcards and regexes, names columns like InfluxDB, and maps leaves.
Result<CompiledSelect> CompileSelect(const SelectStatement& s, const Measurement& m,
                                     const std::set<std::string>& group_tags, const Evaluator& ev,
                                     const CompiledRegexes& regexes,
                                     const WildcardUniverse* universe = nullptr);

// Evaluates a column expression for one output row given the leaf values.
Cell EvalColumn(const Expr& e, const CompiledSelect& c, const std::vector<Cell>& leaves);

}  // namespace verbund::query
