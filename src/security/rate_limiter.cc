#include "security/rate_limiter.h"

#include <algorithm>
#include <limits>

namespace verbund::security {
namespace {

constexpr int64_t kNsPerS = 1'000'000'000;

int64_t Clamp(__int128 v) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 4;
  return v > kMax ? kMax : static_cast<int64_t>(v);
}

}  // namespace

RateLimiter::RateLimiter(uint64_t rate_per_s, uint64_t burst)
    : rate_(rate_per_s),
      burst_(burst != 0 ? burst : std::max<uint64_t>(rate_per_s, 1)),
      burst_ns_(rate_per_s == 0 ? 0 : Clamp(__int128(burst_) * kNsPerS / rate_per_s)) {}

int64_t RateLimiter::CostNs(uint64_t n) const { return Clamp(__int128(n) * kNsPerS / rate_); }

bool RateLimiter::TryAcquire(uint64_t n, int64_t now_ns, int64_t* retry_after_ms) {
  if (rate_ == 0 || n == 0) return true;
  int64_t cost = CostNs(n);
  int64_t tat = tat_.load(std::memory_order_relaxed);
  while (true) {
    int64_t start = std::max(tat, now_ns);
    int64_t next = start + cost;
    // Debt beyond one burst is refused, except that a full bucket always grants one request.
    if (start > now_ns && next - now_ns > burst_ns_) {
      if (retry_after_ms != nullptr) {
        int64_t wait_ns = next - now_ns - burst_ns_;
        if (cost > burst_ns_) wait_ns = start - now_ns;  // needs a full bucket
        *retry_after_ms = std::max<int64_t>(1, (wait_ns + 999'999) / 1'000'000);
      }
      return false;
    }
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) return true;
  }
}

void RateLimiter::Refund(uint64_t n) {
  if (rate_ == 0 || n == 0) return;
  tat_.fetch_sub(CostNs(n), std::memory_order_relaxed);
}

}  // namespace verbund::security
