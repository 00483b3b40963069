// A deterministic generator of the TSBS "IoT" use case (github.com/timescale/tsbs,
// pkg/data/usecases/iot): a fleet of trucks, each reporting a `readings` row (latitude,
// longitude, elevation, velocity, heading, grade, fuel_consumption) and a `diagnostics` row
// (fuel_state, current_load, status) every interval. Values are clamped random walks truncated
// to the decimals TSBS uses (latitude/longitude 5, fuel_consumption/fuel_state 1, others 0).
// Rows come in time order unless out-of-order delivery is asked for; a fraction can be dropped.
//
// Thread-safety: a generator is not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verbund::tsbs {

using TimestampNs = int64_t;

struct IotOptions {
  uint32_t trucks = 100;
  TimestampNs start = 1'451'606'400'000'000'000;  // 2016-01-01T00:00:00Z, the TSBS default
  TimestampNs end = 1'451'606'400'000'000'000 + 86'400'000'000'000;  // exclusive; one day
  int64_t interval_ns = 10'000'000'000;                              // 10 s
  uint64_t seed = 123;
  // Fraction of rows delivered late: held back and emitted 1..max_delay_intervals later.
  double out_of_order_fraction = 0;
  uint32_t max_delay_intervals = 6;
  // Fraction of rows dropped (never emitted).
  double missing_fraction = 0;
};

struct FieldValue {
  std::string_view name;
  bool is_int = false;  // integer fields (status) are written with an `i` suffix
  double f = 0;
  int64_t i = 0;
};

using TagPair = std::pair<std::string, std::string>;

// One row. The views point into the generator and stay valid until the next Next() call.
struct Row {
  std::string_view measurement;
  std::span<const TagPair> tags;
  TimestampNs ts = 0;
  std::span<const FieldValue> fields;
};

class IotGenerator {
 public:
  explicit IotGenerator(const IotOptions& options);

  // Produces the next row; false when the time range is exhausted and nothing is pending.
  bool Next(Row* row);

  // Calls fn for every remaining row.
  void ForEach(const std::function<void(const Row&)>& fn);

  const IotOptions& options() const { return options_; }

  // Rows a full run emits before drops: 2 per truck per interval.
  uint64_t ExpectedRows() const;

 private:
  struct Walk {
    double state, step_lo, step_hi, min, max;
    double precision;  // 10^decimals
  };
  struct Truck {
    std::vector<TagPair> tags;
    Walk readings[7];
    Walk fuel;
    double load;    // lazy: changes with 5% chance per tick
    double status;  // clamped normal walk
  };
  struct Pending {
    uint64_t due_tick;
    std::string_view measurement;
    uint32_t truck;
    TimestampNs ts;
    std::vector<FieldValue> fields;
  };

  double Uniform();  // [0, 1)
  double Normal();
  void Advance(Walk* w);
  void Tick();  // fills ready_ with the current tick's rows (before drops/delays)
  void Emit(const Pending& p, Row* row);

  IotOptions options_;
  std::mt19937_64 rng_;
  std::vector<Truck> trucks_;
  uint64_t tick_ = 0;
  uint64_t ticks_total_ = 0;
  std::deque<Pending> ready_;
  std::vector<Pending> delayed_;
  Pending current_;
};

// Appends `row` as one line of InfluxDB line protocol (with a trailing '\n').
void AppendLineProtocol(const Row& row, std::string* out);

}  // namespace verbund::tsbs
