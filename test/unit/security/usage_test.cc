// Usage: connection, rate, series and stored-bytes quotas per principal and tenant.
#include "security/usage.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "security_test_util.h"

namespace verbund::security {
namespace {

using testing::OpenPlain;
using testing::TempPath;

constexpr int64_t kSecond = 1'000'000'000;

class UsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = OpenPlain(TempPath("usage"));
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "a", PrincipalKind::kDevice).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "b", PrincipalKind::kDevice).ok());
  }
  std::shared_ptr<const Meters> For(std::string_view principal) {
    return usage_.MetersFor(*dir_->snapshot(), "acme", principal);
  }
  void PrincipalQuotas(std::string_view name, Quotas q) {
    ASSERT_TRUE(dir_->SetPrincipalQuotas("acme", name, q).ok());
  }
  void TenantQuotas(Quotas q) { ASSERT_TRUE(dir_->SetTenantQuotas("acme", q).ok()); }

  std::unique_ptr<Directory> dir_;
  Usage usage_;
};

TEST_F(UsageTest, NoQuotasMeansUnlimited) {
  auto m = For("a");
  EXPECT_FALSE(m->limited());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(m->Charge(1000, 1 << 20, 0, nullptr));
  std::vector<std::shared_ptr<void>> leases;
  for (int i = 0; i < 1000; ++i) {
    leases.push_back(m->AcquireConnection(nullptr));
    ASSERT_NE(leases.back(), nullptr);
  }
}

TEST_F(UsageTest, ConnectionsPerPrincipalAndTenant) {
  PrincipalQuotas("a", {.max_connections = 2});
  TenantQuotas({.max_connections = 3});
  auto a = For("a");
  auto b = For("b");
  QuotaRefusal why;
  auto a1 = a->AcquireConnection(&why);
  auto a2 = a->AcquireConnection(&why);
  ASSERT_NE(a1, nullptr);
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(a->AcquireConnection(&why), nullptr);
  EXPECT_EQ(why.what, "connection quota of principal acme/a (2)");
  auto b1 = b->AcquireConnection(&why);
  ASSERT_NE(b1, nullptr);
  // The tenant's three are taken; b has no quota of its own.
  EXPECT_EQ(b->AcquireConnection(&why), nullptr);
  EXPECT_EQ(why.what, "connection quota of tenant acme (3)");
  a1.reset();
  EXPECT_NE(b->AcquireConnection(&why), nullptr);  // released and taken again at once
  // A refusal by the tenant took back the principal's slot too.
  b1.reset();
  a2.reset();
  auto x = a->AcquireConnection(nullptr), y = a->AcquireConnection(nullptr);
  EXPECT_NE(x, nullptr);
  EXPECT_NE(y, nullptr);
}

TEST_F(UsageTest, ConnectionCountsSurviveQuotaChanges) {
  auto lease = For("a")->AcquireConnection(nullptr);
  ASSERT_NE(lease, nullptr);
  PrincipalQuotas("a", {.max_connections = 1});
  EXPECT_EQ(For("a")->AcquireConnection(nullptr), nullptr);  // the live one counts
  lease.reset();
  EXPECT_NE(For("a")->AcquireConnection(nullptr), nullptr);
}

TEST_F(UsageTest, MessageRateRefusesAndRecovers) {
  PrincipalQuotas("a", {.messages_per_s = 10});
  auto m = For("a");
  EXPECT_TRUE(m->limited());
  int64_t now = 100 * kSecond;
  int granted = 0;
  QuotaRefusal why;
  for (int i = 0; i < 20; ++i) granted += m->Charge(1, 10, now, &why);
  EXPECT_EQ(granted, 10);  // one second's burst
  EXPECT_EQ(why.what, "messages/s quota of principal acme/a (10)");
  EXPECT_GE(why.retry_after_ms, 1);
  EXPECT_LE(why.retry_after_ms, 100);
  EXPECT_TRUE(m->Charge(1, 10, now + why.retry_after_ms * 1'000'000, nullptr));
  // Principal b is not limited by a's quota.
  EXPECT_TRUE(For("b")->Charge(1000, 10, now, nullptr));
}

TEST_F(UsageTest, TenantByteRateIsShared) {
  TenantQuotas({.bytes_per_s = 1000});
  auto a = For("a");
  auto b = For("b");
  int64_t now = 5 * kSecond;
  EXPECT_TRUE(a->Charge(1, 600, now, nullptr));
  QuotaRefusal why;
  EXPECT_FALSE(b->Charge(1, 600, now, &why));
  EXPECT_EQ(why.what, "bytes/s quota of tenant acme (1000)");
  EXPECT_TRUE(b->Charge(1, 400, now, nullptr));
}

TEST_F(UsageTest, RefusedChargeTakesNothing) {
  // The principal's buckets have room, the tenant's does not: the principal's stay untouched.
  PrincipalQuotas("a", {.messages_per_s = 10, .bytes_per_s = 100});
  TenantQuotas({.messages_per_s = 5});
  auto a = For("a");
  int64_t now = 7 * kSecond;
  EXPECT_TRUE(a->Charge(5, 50, now, nullptr));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(a->Charge(1, 10, now, nullptr));
  ASSERT_TRUE(dir_->SetTenantQuotas("acme", {}).ok());
  auto fresh = For("a");
  EXPECT_TRUE(fresh->Charge(5, 50, now, nullptr));  // a's own 10 msgs/100 bytes: 5 were left
  EXPECT_FALSE(fresh->Charge(1, 10, now, nullptr));
}

TEST_F(UsageTest, RatesAreExactUnderContention) {
  TenantQuotas({.messages_per_s = 1000});
  const int64_t now = 9 * kSecond;
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto m = For(t % 2 == 0 ? "a" : "b");
      for (int i = 0; i < 1000; ++i) granted += m->Charge(1, 1, now, nullptr);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1000);
}

TEST_F(UsageTest, SeriesQuota) {
  TenantQuotas({.max_series = 100});
  auto snap = dir_->snapshot();
  EXPECT_TRUE(Usage::CheckSeries(*snap, "acme", 60, 40).ok());
  Status st = Usage::CheckSeries(*snap, "acme", 60, 41);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("series quota of tenant acme (100)"), std::string::npos);
  EXPECT_FALSE(Usage::CheckSeries(*snap, "acme", 100, 1).ok());
  // Tenants without a quota and unknown tenants are not limited.
  EXPECT_TRUE(Usage::CheckSeries(*snap, "other", 1'000'000, 1'000'000).ok());
}

TEST_F(UsageTest, StoredBytesQuota) {
  TenantQuotas({.max_stored_bytes = 1 << 20});
  EXPECT_TRUE(usage_.CheckStored("acme").ok());
  usage_.SetStored({{"acme", {.series = 1, .stored_bytes = (1 << 20) - 1}}}, *dir_->snapshot());
  EXPECT_TRUE(usage_.CheckStored("acme").ok());
  usage_.SetStored({{"acme", {.series = 1, .stored_bytes = 1 << 20}}}, *dir_->snapshot());
  Status st = usage_.CheckStored("acme");
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("stored-bytes quota of tenant acme"), std::string::npos);
  EXPECT_TRUE(usage_.CheckStored("beta").ok());
  EXPECT_EQ(usage_.Stored("acme").stored_bytes, 1u << 20);
  // A raised quota counts from the next figures.
  ASSERT_TRUE(dir_->SetTenantQuotas("acme", {}).ok());
  usage_.SetStored({{"acme", {.series = 1, .stored_bytes = 1 << 20}}}, *dir_->snapshot());
  EXPECT_TRUE(usage_.CheckStored("acme").ok());
}

}  // namespace
}  // namespace verbund::security
