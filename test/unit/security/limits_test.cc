// RateLimiter and LoginThrottle.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "security/login_throttle.h"
#include "security/rate_limiter.h"

namespace verbund::security {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;

TEST(RateLimiterTest, BurstThenRate) {
  RateLimiter rl(10, 5);  // 10/s, burst 5
  int64_t t = 1000 * kS;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.TryAcquire(1, t)) << i;
  int64_t retry = 0;
  EXPECT_FALSE(rl.TryAcquire(1, t, &retry));
  EXPECT_EQ(retry, 100);  // one unit per 100 ms
  EXPECT_FALSE(rl.TryAcquire(1, t + 99 * kMs));
  EXPECT_TRUE(rl.TryAcquire(1, t + 100 * kMs));
  EXPECT_FALSE(rl.TryAcquire(1, t + 100 * kMs));
  // After a quiet second the bucket is full again, but never fuller.
  t += 10 * kS;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.TryAcquire(1, t));
  EXPECT_FALSE(rl.TryAcquire(1, t));
}

TEST(RateLimiterTest, ZeroRateIsUnlimited) {
  RateLimiter rl(0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.TryAcquire(1'000'000, 0));
}

TEST(RateLimiterTest, LargeRequestsNeedAFullBucketAndLeaveDebt) {
  RateLimiter rl(1000, 1000);  // bytes/s
  int64_t t = 5 * kS;
  EXPECT_TRUE(rl.TryAcquire(5000, t));  // bigger than the burst: granted from a full bucket
  int64_t retry = 0;
  EXPECT_FALSE(rl.TryAcquire(1, t + 1 * kS, &retry));  // 4 s of debt left
  EXPECT_GE(retry, 3000);
  EXPECT_TRUE(rl.TryAcquire(1, t + 4 * kS + 1 * kMs));
}

TEST(RateLimiterTest, RetryAfterIsWhenItSucceeds) {
  RateLimiter rl(1, 1);
  EXPECT_TRUE(rl.TryAcquire(1, 0));
  int64_t retry = 0;
  EXPECT_FALSE(rl.TryAcquire(1, 0, &retry));
  EXPECT_EQ(retry, 1000);
  EXPECT_FALSE(rl.TryAcquire(1, (retry - 1) * kMs));
  EXPECT_TRUE(rl.TryAcquire(1, retry * kMs));
}

TEST(RateLimiterTest, ConcurrentAcquisitionsNeverExceedTheBudget) {
  RateLimiter rl(1000, 1000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10'000; ++j) granted += rl.TryAcquire(1, 7 * kS);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1000);  // time stood still: exactly one burst
}

TEST(RateLimiterTest, HighRatesAreAccurate) {
  RateLimiter rl(100'000'000, 100'000'000);  // 100 MB/s
  int64_t t = 0;
  uint64_t granted = 0;
  // 2 s of 1 KiB messages, offered far faster than the rate.
  for (int64_t step = 0; step < 2 * kS; step += 1000) {
    if (rl.TryAcquire(1024, t + step)) granted += 1024;
  }
  EXPECT_GT(granted, 290'000'000u);  // burst + 2 s at rate
  EXPECT_LT(granted, 310'000'000u);
}

TEST(LoginThrottleTest, BacksOffExponentiallyAndCaps) {
  LoginThrottle th;
  int64_t t = 100 * kS;
  EXPECT_TRUE(th.Check("acme/bob", "10.0.0.1:5000", t).allowed);
  th.RecordFailure("acme/bob", "10.0.0.1:5000", t);
  auto d = th.Check("acme/bob", "10.0.0.1:5001", t);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 100);
  t += 100 * kMs;
  EXPECT_TRUE(th.Check("acme/bob", "10.0.0.1:5000", t).allowed);
  th.RecordFailure("acme/bob", "10.0.0.1", t);
  EXPECT_EQ(th.Check("acme/bob", "10.0.0.1", t).retry_after_ms, 200);
  for (int i = 0; i < 20; ++i) th.RecordFailure("acme/bob", "10.0.0.1", t);
  EXPECT_EQ(th.Check("acme/bob", "10.0.0.1", t).retry_after_ms, 30'000);
}

TEST(LoginThrottleTest, FailuresFromOneNetworkDoNotBlockThePrincipalElsewhere) {
  LoginThrottle th;
  int64_t t = 100 * kS;
  for (int i = 0; i < 10; ++i) th.RecordFailure("acme/bob", "203.0.113.9:4000", t);
  // The attacker's address and network are blocked for bob ...
  EXPECT_FALSE(th.Check("acme/bob", "203.0.113.9:4001", t).allowed);
  EXPECT_FALSE(th.Check("acme/bob", "203.0.113.77:4001", t).allowed);  // same /24
  // ... and the address for everyone it tries ...
  EXPECT_FALSE(th.Check("acme/alice", "203.0.113.9:4001", t).allowed);
  // ... but bob's correct login from another network goes through.
  EXPECT_TRUE(th.Check("acme/bob", "198.51.100.4:4000", t).allowed);
  // Another address in the attacker's /24 may still try other principals.
  EXPECT_TRUE(th.Check("acme/alice", "203.0.113.77:4001", t).allowed);
  // IPv6: keyed by /64.
  for (int i = 0; i < 3; ++i) th.RecordFailure("acme/bob", "[2001:db8:1:2::5]:443", t);
  EXPECT_FALSE(th.Check("acme/bob", "[2001:db8:1:2::99]:443", t).allowed);
  EXPECT_TRUE(th.Check("acme/bob", "[2001:db8:1:3::5]:443", t).allowed);
}

TEST(LoginThrottleTest, SuccessClearsOnlyThePrincipalEntry) {
  LoginThrottle th;
  int64_t t = 100 * kS;
  th.RecordFailure("acme/bob", "10.0.0.1", t);
  th.RecordFailure("acme/eve", "10.0.0.1", t);
  t += 30 * kS;  // both back-offs elapsed
  th.RecordSuccess("acme/bob", "10.0.0.1", t);
  th.RecordFailure("acme/eve", "10.0.0.1", t);
  // The address entry kept its count: its third failure backs off 400 ms.
  EXPECT_EQ(th.Check("acme/carol", "10.0.0.1", t).retry_after_ms, 400);
}

TEST(LoginThrottleTest, ForgetsAfterAQuietPeriod) {
  LoginThrottleOptions o;
  o.forget_after_ms = 60'000;
  LoginThrottle th(o);
  int64_t t = 100 * kS;
  for (int i = 0; i < 8; ++i) th.RecordFailure("acme/bob", "10.0.0.1", t);
  EXPECT_EQ(th.size(), 2u);
  t += 61 * kS;
  EXPECT_TRUE(th.Check("acme/bob", "10.0.0.1", t).allowed);
  EXPECT_EQ(th.size(), 0u);
  th.RecordFailure("acme/bob", "10.0.0.1", t);
  EXPECT_EQ(th.Check("acme/bob", "10.0.0.1", t).retry_after_ms, 100);  // counting from 1 again
}

TEST(LoginThrottleTest, MemoryIsBounded) {
  LoginThrottleOptions o;
  o.max_entries = 1600;
  LoginThrottle th(o);
  for (int i = 0; i < 50'000; ++i) {
    th.RecordFailure("acme/u" + std::to_string(i), "10." + std::to_string(i % 250) + ".0.1",
                     100 * kS + i);
  }
  EXPECT_LE(th.size(), 1600u);
  // The newest entries are kept.
  EXPECT_FALSE(th.Check("acme/u49999", "10.249.0.1", 100 * kS + 50'000).allowed);
}

TEST(LoginThrottleTest, Networks) {
  EXPECT_EQ(LoginThrottle::NetworkOf("10.1.2.3:555"), "10.1.2.0/24");
  EXPECT_EQ(LoginThrottle::NetworkOf("10.1.2.3"), "10.1.2.0/24");
  EXPECT_EQ(LoginThrottle::NetworkOf("[2001:db8:a:b:c:d:e:f]:1"), "2001:db8:a:b::/64");
  EXPECT_EQ(LoginThrottle::NetworkOf("2001:db8:a:b:c:d:e:f"), "2001:db8:a:b::/64");
  EXPECT_EQ(LoginThrottle::NetworkOf("[::ffff:10.1.2.3]:1"), "10.1.2.0/24");
  EXPECT_EQ(LoginThrottle::NetworkOf("unix-socket"), "unix-socket");
  EXPECT_EQ(LoginThrottle::AddressOf("[::1]:80"), "::1");
  EXPECT_EQ(LoginThrottle::AddressOf("1.2.3.4:80"), "1.2.3.4");
}

TEST(LoginThrottleTest, ThreadSafe) {
  LoginThrottle th;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 2000; ++j) {
        std::string p = "t/u" + std::to_string(j % 50);
        std::string a = "10.0." + std::to_string(i) + "." + std::to_string(j % 7);
        th.RecordFailure(p, a, j * kMs);
        (void)th.Check(p, a, j * kMs);
        if (j % 5 == 0) th.RecordSuccess(p, a, j * kMs);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(th.size(), 0u);
}

}  // namespace
}  // namespace verbund::security
