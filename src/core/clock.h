// Time comes in through a Clock so tests can swap in a fake one; no code calls the system clock
// directly on a path a test needs to control.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace verbund {

// Nanoseconds since the Unix epoch (the timestamp unit of the whole hub).
using TimestampNs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps that leave the process.
  virtual TimestampNs NowNs() const = 0;
  // Monotonic time, for timeouts and intervals.
  virtual int64_t MonotonicNs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimestampNs NowNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNs() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // The process-wide instance (stateless, so sharing it is safe).
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

// A clock tests move by hand. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimestampNs start = 1'700'000'000'000'000'000) : now_(start) {}
  TimestampNs NowNs() const override { return now_.load(); }
  int64_t MonotonicNs() const override { return now_.load(); }
  void Advance(int64_t ns) { now_.fetch_add(ns); }
  void Set(TimestampNs ns) { now_.store(ns); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace verbund
