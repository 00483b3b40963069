// Head: the in-memory, not yet sealed samples of one series (columnar), and the helpers that
// merge runs of samples and fold them into aggregates. Used only by the engine.
//
// Thread-safety: none; the engine guards every Buffer with its head mutex.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "storage/chunk_codec.h"
#include "storage/engine.h"
#include "storage/types.h"

namespace verbund::storage {

inline constexpr TimestampNs kMinTs = std::numeric_limits<TimestampNs>::min();
inline constexpr TimestampNs kMaxTs = std::numeric_limits<TimestampNs>::max();

ValueColumn EmptyColumn(ValueType type);

// Samples appended in arrival order; `sorted` is false once one arrived behind its predecessor.
struct Buffer {
  std::vector<TimestampNs> ts;
  ValueColumn values;
  TimestampNs min_ts = kMaxTs;
  TimestampNs max_ts = kMinTs;
  bool sorted = true;
  uint64_t first_segment = 0;  // oldest WAL segment holding one of these samples
  uint64_t bytes = 0;          // memory charged to the head

  bool empty() const { return ts.empty(); }
  size_t size() const { return ts.size(); }
  void Append(TimestampNs t, const Value& v);
  // Removes samples with from <= ts < to; returns the bytes released.
  uint64_t EraseRange(TimestampNs from, TimestampNs to);
};

// Sorts by timestamp (stable) and keeps the last sample of equal timestamps, restricted to
// [from, to).
SampleRun SortedUnique(const std::vector<TimestampNs>& ts, const ValueColumn& values,
                       TimestampNs from, TimestampNs to);

// Merges runs, each sorted with unique timestamps, given in priority order (later wins on equal
// timestamps), into one sorted unique run restricted to [from, to).
SampleRun MergeRuns(std::vector<const SampleRun*> runs, ValueType type, TimestampNs from,
                    TimestampNs to);

size_t RunSize(const SampleRun& r);
// Copies [begin, end) of a run.
SampleRun SliceRun(const SampleRun& r, size_t begin, size_t end);

// Aggregation.
void AggAdd(AggState* a, TimestampNs ts, double x);
// Merges b into a; b's samples are later in time than a's.
void AggMerge(AggState* a, const AggState& b);

// Folds samples of a sorted run into ascending buckets, appending to / merging with *out.
class BucketFolder {
 public:
  BucketFolder(TimestampNs from, TimestampNs to, int64_t interval, int64_t offset,
               std::vector<AggState>* out)
      : from_(from), to_(to), interval_(interval), offset_(offset), out_(out) {}
  TimestampNs BucketOf(TimestampNs ts) const;
  void AddRun(const SampleRun& run);
  // Adds a whole-chunk summary known to fall inside one bucket.
  void AddState(const AggState& s);

 private:
  AggState* Current(TimestampNs bucket);
  TimestampNs from_, to_;
  int64_t interval_, offset_;
  std::vector<AggState>* out_;
};

// Welford m2 and NaN presence of a column (numeric types; 0 for strings).
void ColumnMoments(const ValueColumn& values, double* m2, bool* has_nan);

}  // namespace verbund::storage
