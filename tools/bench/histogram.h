// Log-linear latency histogram: exact below 32 ns, then 16 buckets per power of two (at most
// 6.25% relative error). Not thread-safe; one per client, merged at the end.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace verbund::bench {

class LatencyHistogram {
 public:
  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    if (other.max_ > max_) max_ = other.max_;
  }

  // Upper bound of the bucket holding the q-quantile (0 < q <= 1); 0 when empty.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return UpperBound(i) < max_ ? UpperBound(i) : max_;
    }
    return max_;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

 private:
  static constexpr size_t kBuckets = 32 + 59 * 16;

  static size_t Index(uint64_t v) {
    if (v < 32) return static_cast<size_t>(v);
    const int msb = 63 - std::countl_zero(v);  // >= 5
    const uint64_t mantissa = (v >> (msb - 4)) & 15;
    return 32 + static_cast<size_t>(msb - 5) * 16 + static_cast<size_t>(mantissa);
  }

  static uint64_t UpperBound(size_t i) {
    if (i < 32) return i;
    const int msb = static_cast<int>((i - 32) / 16) + 5;
    const uint64_t m = (i - 32) % 16;
    const uint64_t width = uint64_t{1} << (msb - 4);
    return (16 + m) * width + width - 1;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace verbund::bench
