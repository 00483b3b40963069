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

// integral() over the points of one group as InfluxDB 1.x's streaming reducer computes it:
// `points` in scan order (by time, ascending or descending per `ascending`; of equal times the
// later one wins the next trapezoid), trapezoids between consecutive points, each divided by `unit`
// (ns). With GROUP BY time (interval > 0) a trapezoid crossing a window edge is split there at the
// linearly interpolated value, and the area from the edge to the next point goes to that point's
// window. Returns one sample per window emitted: at the window start ascending, the window end
// (start + interval) descending, time 0 without GROUP BY time. A last window whose only point lies
// on its start (ascending) emits nothing. Integer points (by the first point's type) reproduce
// influxd 1.6.7's integer reducer, which after a split continues from the edge value lowered by
// the step to the next point.
std::vector<Sample> Integral(const std::vector<Sample>& points, int64_t interval, int64_t offset,
                             bool ascending, int64_t unit);

// distinct() over one bucket: one sample per distinct value, the first one met in scan order
// (the earliest ascending, the latest descending), ordered by that sample's time and, on equal
// times, by value, as InfluxDB 1.x orders them.
std::vector<Sample> Distinct(std::vector<Sample> s, bool ascending);

// Merges b into a (count, sum, mean and M2 by Chan's formula, min, max, first, last).
void MergeAgg(storage::AggState* a, const storage::AggState& b);

// The value of `f` from a merged state; `point_time` receives first()/last()'s point time.
Cell Finalize(Func f, const storage::AggState& a, bool is_int, int64_t* point_time);

// Functions the engine's aggregate states can answer (not median/percentile).
bool FastPathFunc(Func f);

// Functions fill() applies to bucket by bucket (not integral(), distinct()).
bool BucketFilled(Func f);

// Start of the GROUP BY time(interval, offset) bucket holding t.
int64_t BucketStart(int64_t t, int64_t interval, int64_t offset);

// fill(): results[leaf][bucket] of buckets without points (has[leaf][bucket] false) filled per
// the statement's fill mode; times[bucket] are the bucket starts (for linear).
void ApplyFill(const SelectStatement& s, const CompiledSelect& c,
               std::vector<std::vector<Cell>>* results, const std::vector<std::vector<bool>>& has,
               const std::vector<int64_t>& times);

}  // namespace verbund::query
