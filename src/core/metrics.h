// Process metrics: lock-free Counter, Gauge and Histogram (fixed bucket bounds, atomics), and a
// builder for the Prometheus text exposition format 0.0.4.
//
// Thread-safety: Counter, Gauge and Histogram may be updated and read from any thread without
// locks (relaxed atomics; a scrape may see a histogram mid-update, which Prometheus tolerates).
// PrometheusText is a plain value owned by one thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verbund::metrics {

// A monotonically increasing count.
class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Observations counted into buckets with fixed upper bounds (le), plus count and sum. The bounds
// are given once at construction, ascending; +Inf is implicit. At most kMaxBuckets bounds.
class Histogram {
 public:
  static constexpr size_t kMaxBuckets = 32;

  explicit Histogram(std::initializer_list<double> bounds);
  explicit Histogram(std::span<const double> bounds);

  // Default latency buckets in seconds: 100us .. 10s.
  static Histogram LatencySeconds();

  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;        // upper bounds, ascending, without +Inf
    std::vector<uint64_t> cumulative;  // cumulative counts per bound, then +Inf (= count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Take() const;

 private:
  size_t n_ = 0;
  std::array<double, kMaxBuckets> bounds_{};
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> buckets_{};  // non-cumulative; last = +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_bits_{0};  // a double, updated with compare-exchange
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Builds Prometheus text format 0.0.4:
//   # HELP name help text
//   # TYPE name counter
//   name{label="value"} 42
// Call Family() once per metric name, then Sample()/HistogramSamples() for each label set.
class PrometheusText {
 public:
  // type: "counter", "gauge", "histogram", "untyped".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }
  // name_bucket{...,le="..."}, name_sum, name_count.
  void HistogramSamples(std::string_view name, const Labels& labels, const Histogram::Snapshot& s);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

  // Escapes a label value: backslash, double quote and newline.
  static std::string EscapeLabelValue(std::string_view v);
  // Escapes HELP text: backslash and newline.
  static std::string EscapeHelp(std::string_view v);
  // Prometheus float text: integers without exponent, "+Inf", "-Inf", "NaN".
  static std::string FormatValue(double v);

 private:
  void AppendLabels(const Labels& labels, std::string_view extra_key = {},
                    std::string_view extra_value = {});
  std::string out_;
};

}  // namespace verbund::metrics
