#include "core/metrics.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace verbund::metrics {

Histogram::Histogram(std::initializer_list<double> bounds)
    : Histogram(std::span<const double>(bounds.begin(), bounds.size())) {}

Histogram::Histogram(std::span<const double> bounds) {
  n_ = bounds.size() < kMaxBuckets ? bounds.size() : kMaxBuckets;
  for (size_t i = 0; i < n_; ++i) bounds_[i] = bounds[i];
}

Histogram Histogram::LatencySeconds() {
  return Histogram({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1, 2.5, 5, 10});
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < n_ && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  uint64_t old_bits = sum_bits_.load(std::memory_order_relaxed);
  for (;;) {
    double next = std::bit_cast<double>(old_bits) + v;
    if (sum_bits_.compare_exchange_weak(old_bits, std::bit_cast<uint64_t>(next),
                                        std::memory_order_relaxed)) {
      break;
    }
  }
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot s;
  s.bounds.assign(bounds_.begin(), bounds_.begin() + n_);
  uint64_t acc = 0;
  for (size_t i = 0; i <= n_; ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  // Report the bucket total as count so _count always equals the +Inf bucket.
  s.count = acc;
  s.sum = std::bit_cast<double>(sum_bits_.load(std::memory_order_relaxed));
  return s;
}

std::string PrometheusText::EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string PrometheusText::EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string PrometheusText::FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  // The shortest %g form that reads back as the same double.
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += EscapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::AppendLabels(const Labels& labels, std::string_view extra_key,
                                  std::string_view extra_value) {
  if (labels.empty() && extra_key.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    out_ += EscapeLabelValue(v);
    out_ += '"';
  }
  if (!extra_key.empty()) {
    if (!first) out_ += ',';
    out_ += extra_key;
    out_ += "=\"";
    out_ += EscapeLabelValue(extra_value);
    out_ += '"';
  }
  out_ += '}';
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  AppendLabels(labels);
  out_ += ' ';
  out_ += FormatValue(value);
  out_ += '\n';
}

void PrometheusText::HistogramSamples(std::string_view name, const Labels& labels,
                                      const Histogram::Snapshot& s) {
  std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
    out_ += bucket;
    AppendLabels(labels, "le", le);
    out_ += ' ';
    out_ += std::to_string(s.cumulative[i]);
    out_ += '\n';
  }
  out_ += name;
  out_ += "_sum";
  AppendLabels(labels);
  out_ += ' ';
  out_ += FormatValue(s.sum);
  out_ += '\n';
  out_ += name;
  out_ += "_count";
  AppendLabels(labels);
  out_ += ' ';
  out_ += std::to_string(s.count);
  out_ += '\n';
}

}  // namespace verbund::metrics
