// A token bucket (as GCRA: one atomic "theoretical arrival time"), used per principal and per
// tenant for messages/s and bytes/s quotas.
//
// `rate` units per second refill a bucket of `burst` units (default: one second's worth). An
// acquisition larger than the burst succeeds only when the bucket is full and leaves it in debt,
// so a single message bigger than the byte burst is not refused forever. Time is passed in
// (a monotonic clock in ns); a rate of 0 means unlimited.
//
// Thread-safety: TryAcquire is lock-free (one compare-and-swap loop) and safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace verbund::security {

class RateLimiter {
 public:
  explicit RateLimiter(uint64_t rate_per_s, uint64_t burst = 0);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes n units if available now. On refusal sets *retry_after_ms (if non-null) to when the
  // same request would succeed, at least 1 ms.
  bool TryAcquire(uint64_t n, int64_t now_ns, int64_t* retry_after_ms = nullptr);

  // Gives back n units taken by a successful TryAcquire (a charge that could not complete).
  void Refund(uint64_t n);

  uint64_t rate() const { return rate_; }
  uint64_t burst() const { return burst_; }

 private:
  int64_t CostNs(uint64_t n) const;

  const uint64_t rate_;
  const uint64_t burst_;
  const int64_t burst_ns_;               // time to refill the whole burst
  std::atomic<int64_t> tat_{INT64_MIN};  // theoretical arrival time; bucket full when <= now
};

}  // namespace verbund::security
