// Aggregation of one bucket: reducing samples (every function), merging the engine's
// per-chunk aggregate states (the fast path), bucket arithmetic of GROUP BY time, and fill().
// Pure functions, tested alone. Internal to src/query.
#pragma once

#include <cstdint>
#include <vector>

#include "query/ast.h"
#include "query/rows.h"
#include "query/select_compiler.h"
#include "storage/engine.h"

namespace verbund::query {

struct Sample {
  int64_t t;
  Cell v;
};

// Reduces the samples of one bucket; `point_time` receives the selected point's time.
Cell Reduce(Func f, double pct, std::vector<Sample>& s, int64_t* point_time);

// Merges b into a (count, sum, mean and M2 by Chan's formula, min, max, first, last).
void MergeAgg(storage::AggState* a, const storage::AggState& b);

// The value of `f` from a merged state; `point_time` receives first()/last()'s point time.
Cell Finalize(Func f, const storage::AggState& a, bool is_int, int64_t* point_time);

// Functions the engine's aggregate states can answer (not median/percentile).
bool FastPathFunc(Func f);

// Start of the GROUP BY time(interval, offset) bucket holding t.
int64_t BucketStart(int64_t t, int64_t interval, int64_t offset);

// fill(): results[leaf][bucket] of buckets without points (has[leaf][bucket] false) filled per
// the statement's fill mode; times[bucket] are the bucket starts (for linear).
void ApplyFill(const SelectStatement& s, const CompiledSelect& c,
               std::vector<std::vector<Cell>>* results, const std::vector<std::vector<bool>>& has,
               const std::vector<int64_t>& times);

}  // namespace verbund::query
