#include "tools/tsbs/iot_generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

namespace verbund::tsbs {
namespace {

constexpr const char* kFleets[] = {"East", "West", "North", "South"};
constexpr const char* kDrivers[] = {"Derek", "Rodney", "Albert", "Andy", "Seth", "Trish"};
struct Model {
  const char* name;
  const char* load_capacity;
  const char* fuel_capacity;
  const char* fuel_consumption;
};
constexpr Model kModels[] = {
    {"F-150", "2000", "200", "15"}, {"G-2000", "5000", "300", "19"}, {"H-2", "1500", "150", "12"}};
constexpr const char* kDeviceVersions[] = {"v1.0", "v1.5", "v2.0", "v2.3"};

constexpr std::string_view kReadings = "readings";
constexpr std::string_view kDiagnostics = "diagnostics";
constexpr std::string_view kReadingFields[7] = {
    "latitude", "longitude", "elevation", "velocity", "heading", "grade", "fuel_consumption"};

// TSBS FloatPrecision: float64(int(x * p)) / p (truncation toward zero).
double Truncate(double x, double precision) { return std::trunc(x * precision) / precision; }

}  // namespace

IotGenerator::IotGenerator(const IotOptions& options) : options_(options), rng_(options.seed) {
  if (options_.interval_ns <= 0) options_.interval_ns = 1;
  ticks_total_ =
      options_.end > options_.start
          ? static_cast<uint64_t>((options_.end - options_.start + options_.interval_ns - 1) /
                                  options_.interval_ns)
          : 0;
  if (options_.max_delay_intervals == 0) options_.max_delay_intervals = 1;
  trucks_.resize(options_.trucks);
  for (uint32_t i = 0; i < options_.trucks; ++i) {
    Truck& t = trucks_[i];
    const Model& m = kModels[rng_() % 3];
    t.tags = {{"name", "truck_" + std::to_string(i)},
              {"fleet", kFleets[rng_() % 4]},
              {"driver", kDrivers[rng_() % 6]},
              {"model", m.name},
              {"device_version", kDeviceVersions[rng_() % 4]},
              {"load_capacity", m.load_capacity},
              {"fuel_capacity", m.fuel_capacity},
              {"nominal_fuel_consumption", m.fuel_consumption}};
    // {state, step_lo, step_hi, min, max, precision} as in TSBS readings.go.
    t.readings[0] = {Uniform() * 90, -0.005, 0.005, -90, 90, 1e5};     // latitude
    t.readings[1] = {Uniform() * 180, -0.005, 0.005, -180, 180, 1e5};  // longitude
    t.readings[2] = {Uniform() * 500, -10, 10, 0, 5000, 1};            // elevation
    t.readings[3] = {0, -10, 10, 0, 100, 1};                           // velocity
    t.readings[4] = {Uniform() * 360, -5, 5, 0, 360, 1};               // heading
    t.readings[5] = {0, -5, 5, 0, 100, 1};                             // grade
    t.readings[6] = {25, -5, 5, 0, 50, 10};                            // fuel_consumption
    t.fuel = {1, -0.001, 0, 0, 1, 10};                                 // fuel_state
    t.load = 0;
    t.status = 0;
  }
}

uint64_t IotGenerator::ExpectedRows() const { return ticks_total_ * 2 * options_.trucks; }

double IotGenerator::Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

double IotGenerator::Normal() {
  // Box-Muller; written out so the sequence does not depend on the standard library.
  double u1 = Uniform(), u2 = Uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

void IotGenerator::Advance(Walk* w) {
  w->state += w->step_lo + Uniform() * (w->step_hi - w->step_lo);
  w->state = std::clamp(w->state, w->min, w->max);
}

void IotGenerator::Tick() {
  const TimestampNs ts = options_.start + static_cast<TimestampNs>(tick_) * options_.interval_ns;
  // Late rows whose delay is over come first: they carry older timestamps.
  auto due = std::stable_partition(delayed_.begin(), delayed_.end(),
                                   [&](const Pending& p) { return p.due_tick > tick_; });
  for (auto it = due; it != delayed_.end(); ++it) ready_.push_back(std::move(*it));
  delayed_.erase(due, delayed_.end());

  for (uint32_t i = 0; i < trucks_.size(); ++i) {
    Truck& t = trucks_[i];
    Pending readings{0, kReadings, i, ts, {}};
    readings.fields.reserve(7);
    for (int f = 0; f < 7; ++f) {
      readings.fields.push_back(
          {kReadingFields[f], false, Truncate(t.readings[f].state, t.readings[f].precision), 0});
    }
    Pending diagnostics{0, kDiagnostics, i, ts, {}};
    diagnostics.fields = {{"fuel_state", false, Truncate(t.fuel.state, 10), 0},
                          {"current_load", false, std::trunc(t.load), 0},
                          {"status", true, 0, static_cast<int64_t>(t.status)}};
    for (Pending* p : {&readings, &diagnostics}) {
      if (options_.missing_fraction > 0 && Uniform() < options_.missing_fraction) continue;
      if (options_.out_of_order_fraction > 0 && Uniform() < options_.out_of_order_fraction) {
        p->due_tick = tick_ + 1 + rng_() % options_.max_delay_intervals;
        delayed_.push_back(std::move(*p));
        continue;
      }
      ready_.push_back(std::move(*p));
    }
    // Advance every distribution for the next tick.
    for (Walk& w : t.readings) Advance(&w);
    Advance(&t.fuel);
    if (t.fuel.state == t.fuel.min) t.fuel.state = t.fuel.max;  // refuel
    if (Uniform() >= 0.95) t.load = Uniform() * 5000;
    t.status = std::clamp(t.status + Normal(), 0.0, 5.0);
  }
  ++tick_;
}

void IotGenerator::Emit(const Pending& p, Row* row) {
  row->measurement = p.measurement;
  row->tags = trucks_[p.truck].tags;
  row->ts = p.ts;
  row->fields = p.fields;
}

bool IotGenerator::Next(Row* row) {
  while (ready_.empty()) {
    if (tick_ < ticks_total_) {
      Tick();
      continue;
    }
    if (delayed_.empty()) return false;
    std::stable_sort(delayed_.begin(), delayed_.end(),
                     [](const Pending& a, const Pending& b) { return a.due_tick < b.due_tick; });
    for (Pending& p : delayed_) ready_.push_back(std::move(p));
    delayed_.clear();
  }
  current_ = std::move(ready_.front());
  ready_.pop_front();
  Emit(current_, row);
  return true;
}

void IotGenerator::ForEach(const std::function<void(const Row&)>& fn) {
  Row row;
  while (Next(&row)) fn(row);
}

void AppendLineProtocol(const Row& row, std::string* out) {
  out->append(row.measurement);
  for (const auto& [k, v] : row.tags) {
    out->push_back(',');
    out->append(k);
    out->push_back('=');
    out->append(v);
  }
  char buf[64];
  char sep = ' ';
  for (const FieldValue& f : row.fields) {
    out->push_back(sep);
    sep = ',';
    out->append(f.name);
    out->push_back('=');
    auto r = f.is_int ? std::to_chars(buf, buf + sizeof(buf), f.i)
                      : std::to_chars(buf, buf + sizeof(buf), f.f);
    out->append(buf, r.ptr);
    if (f.is_int) out->push_back('i');
  }
  out->push_back(' ');
  auto r = std::to_chars(buf, buf + sizeof(buf), row.ts);
  out->append(buf, r.ptr);
  out->push_back('\n');
}

}  // namespace verbund::tsbs
