// The executor's aggregation functions alone: bucket arithmetic, reductions, merging of engine
// aggregate states, fill().
#include "query/aggregate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "query/parser.h"

namespace verbund::query {
namespace {

constexpr int64_t kSec = 1'000'000'000;

TEST(BucketStartTest, AlignsToEpochMultiplesAndOffsets) {
  EXPECT_EQ(BucketStart(65 * kSec, 30 * kSec, 0), 60 * kSec);
  EXPECT_EQ(BucketStart(60 * kSec, 30 * kSec, 0), 60 * kSec);
  EXPECT_EQ(BucketStart(65 * kSec, 30 * kSec, 10 * kSec), 40 * kSec);
  // An offset beyond the interval wraps; negative times floor towards minus infinity.
  EXPECT_EQ(BucketStart(65 * kSec, 30 * kSec, 40 * kSec), 40 * kSec);
  EXPECT_EQ(BucketStart(-1, 30 * kSec, 0), -30 * kSec);
  EXPECT_EQ(BucketStart(-5 * kSec, 30 * kSec, -10 * kSec), -10 * kSec);
}

std::vector<Sample> Samples(std::initializer_list<double> values) {
  std::vector<Sample> s;
  int64_t t = 0;
  for (double v : values) s.push_back({t++, v});
  return s;
}

TEST(ReduceTest, NumericFunctions) {
  int64_t pt = -1;
  auto s = Samples({4, 1, 3, 2});
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kCount, 0, s, &pt)), 4);
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kSum, 0, s, &pt)), 10);
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kMean, 0, s, &pt)), 2.5);
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kMedian, 0, s, &pt)), 2.5);
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kSpread, 0, s, &pt)), 3);
  EXPECT_NEAR(std::get<double>(Reduce(Func::kStddev, 0, s, &pt)), std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kMin, 0, s, &pt)), 1);
  EXPECT_EQ(pt, 1);  // the selected point's time
  // percentile: the value at rank floor(n*p/100 + 0.5) - 1 of the sorted values; none below.
  EXPECT_DOUBLE_EQ(std::get<double>(Reduce(Func::kPercentile, 50, s, &pt)), 2);
  EXPECT_TRUE(IsNull(Reduce(Func::kPercentile, 5, s, &pt)));
  std::vector<Sample> none;
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kCount, 0, none, &pt)), 0);
  EXPECT_TRUE(IsNull(Reduce(Func::kMean, 0, none, &pt)));
}

TEST(ReduceTest, IntegersStayIntegers) {
  int64_t pt = 0;
  std::vector<Sample> s = {{0, int64_t{5}}, {1, int64_t{-2}}};
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kSum, 0, s, &pt)), 3);
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kSpread, 0, s, &pt)), 7);
}

TEST(MergeAggTest, MatchesOneStateOverAllValues) {
  auto state = [](std::initializer_list<double> v, int64_t t0) {
    storage::AggState a;
    int64_t t = t0;
    double m2 = 0, mean = 0;
    for (double x : v) {
      ++a.count;
      const double d = x - mean;
      mean += d / static_cast<double>(a.count);
      m2 += d * (x - mean);
      a.sum += x;
      if (a.count == 1) {
        a.min = a.max = a.first = x;
        a.first_ts = t;
      }
      a.min = std::min(a.min, x);
      a.max = std::max(a.max, x);
      a.last = x;
      a.last_ts = t++;
    }
    a.mean = mean;
    a.m2 = m2;
    return a;
  };
  storage::AggState a = state({1, 2, 3}, 0);
  MergeAgg(&a, state({10, 20}, 3));
  const storage::AggState all = state({1, 2, 3, 10, 20}, 0);
  EXPECT_EQ(a.count, all.count);
  EXPECT_DOUBLE_EQ(a.sum, all.sum);
  EXPECT_NEAR(a.m2, all.m2, 1e-9);
  EXPECT_EQ(a.first_ts, 0);
  EXPECT_EQ(a.last_ts, 4);
  int64_t pt = 0;
  EXPECT_NEAR(std::get<double>(Finalize(Func::kStddev, a, false, &pt)),
              std::get<double>(Finalize(Func::kStddev, all, false, &pt)), 1e-12);
  EXPECT_DOUBLE_EQ(std::get<double>(Finalize(Func::kLast, a, false, &pt)), 20);
  EXPECT_EQ(pt, 4);
}

CompiledSelect OneLeaf(Func f) {
  CompiledSelect c;
  Leaf l;
  l.is_call = true;
  l.func = f;
  l.name = "v";
  c.leaves.push_back(l);
  return c;
}

SelectStatement Parse(const std::string& q) {
  auto parsed = ParseQuery(q);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return std::move(std::get<SelectStatement>(parsed->statements[0]));
}

TEST(ApplyFillTest, LinearPreviousAndNumber) {
  const std::vector<int64_t> times = {0, 10, 20, 30};
  const std::vector<std::vector<bool>> has = {{true, false, true, false}};
  auto run = [&](const std::string& fill, Func f) {
    std::vector<std::vector<Cell>> r = {{1.0, Cell{}, 3.0, Cell{}}};
    if (f == Func::kCount) r = {{int64_t{1}, int64_t{0}, int64_t{3}, int64_t{0}}};
    ApplyFill(Parse("SELECT mean(v) FROM m GROUP BY time(10s) fill(" + fill + ")"), OneLeaf(f),
              &r, has, times);
    return r[0];
  };
  auto lin = run("linear", Func::kMean);
  EXPECT_DOUBLE_EQ(std::get<double>(lin[1]), 2.0);
  EXPECT_TRUE(IsNull(lin[3]));  // nothing to interpolate towards
  auto prev = run("previous", Func::kMean);
  EXPECT_DOUBLE_EQ(std::get<double>(prev[3]), 3.0);
  auto num = run("7", Func::kCount);
  EXPECT_EQ(std::get<int64_t>(num[1]), 7);
}

TEST(ApplyFillTest, CountPreviousBeforeTheFirstValueIsNull) {
  const std::vector<int64_t> times = {0, 10, 20};
  const std::vector<std::vector<bool>> has = {{false, true, false}};
  std::vector<std::vector<Cell>> r = {{int64_t{0}, int64_t{2}, int64_t{0}}};
  ApplyFill(Parse("SELECT count(v) FROM m GROUP BY time(10s) fill(previous)"),
            OneLeaf(Func::kCount), &r, has, times);
  EXPECT_TRUE(IsNull(r[0][0]));
  EXPECT_EQ(std::get<int64_t>(r[0][2]), 2);
}

// integral(): expectations worked by hand from the trapezoidal rule (InfluxDB 1.x's reducer).
TEST(IntegralTest, TrapezoidsWithoutBucketsAtTimeZero) {
  std::vector<Sample> p = {{0, 1.0}, {10 * kSec, 3.0}, {20 * kSec, 2.0}};
  auto w = Integral(p, 0, 0, true, kSec);  // 10*(1+3)/2 + 10*(3+2)/2
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].t, 0);
  EXPECT_DOUBLE_EQ(std::get<double>(w[0].v), 45);
  EXPECT_DOUBLE_EQ(std::get<double>(Integral(p, 0, 0, true, 10 * kSec)[0].v), 4.5);
}

TEST(IntegralTest, SplitsATrapezoidAtTheBucketEdge) {
  // 0 at 5s, 10 at 15s: 5 at the 10s edge; 5*(0+5)/2 before it, 5*(5+10)/2 after it.
  std::vector<Sample> p = {{5 * kSec, 0.0}, {15 * kSec, 10.0}};
  auto w = Integral(p, 10 * kSec, 0, true, kSec);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].t, 0);
  EXPECT_DOUBLE_EQ(std::get<double>(w[0].v), 12.5);
  EXPECT_EQ(w[1].t, 10 * kSec);
  EXPECT_DOUBLE_EQ(std::get<double>(w[1].v), 37.5);
}

TEST(IntegralTest, IntegersContinueFromTheEdgeLoweredByTheStep) {
  // influxd 1.6.7's integer reducer: after the edge (value 5) it goes on from 5 - (10 - 0) = -5,
  // so the second bucket holds 5*(-5+10)/2 (measured against influxd, see aggregate.cc).
  std::vector<Sample> p = {{5 * kSec, int64_t{0}}, {15 * kSec, int64_t{10}}};
  auto w = Integral(p, 10 * kSec, 0, true, kSec);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_DOUBLE_EQ(std::get<double>(w[0].v), 12.5);
  EXPECT_DOUBLE_EQ(std::get<double>(w[1].v), 12.5);
}

TEST(IntegralTest, DescendingReportsWindowEndsAndNegativeAreas) {
  // Scanned backwards: 10 at 15s, 0 at 5s; edge at 10s (value 5): 0.5*(5+10)*(-5) in [10s,20s)
  // reported at 20s, then 0.5*(0+5)*(-5) in [0s,10s) reported at 10s.
  std::vector<Sample> p = {{15 * kSec, 10.0}, {5 * kSec, 0.0}};
  auto w = Integral(p, 10 * kSec, 0, false, kSec);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].t, 20 * kSec);
  EXPECT_DOUBLE_EQ(std::get<double>(w[0].v), -37.5);
  EXPECT_EQ(w[1].t, 10 * kSec);
  EXPECT_DOUBLE_EQ(std::get<double>(w[1].v), -12.5);
}

TEST(IntegralTest, LastWindowWithOnlyAPointOnItsStartEmitsNothing) {
  std::vector<Sample> p = {{5 * kSec, 1.0}, {10 * kSec, 3.0}};
  auto w = Integral(p, 10 * kSec, 0, true, kSec);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_DOUBLE_EQ(std::get<double>(w[0].v), 10);  // 5*(1+3)/2
  std::vector<Sample> one = {{10 * kSec, 3.0}};
  EXPECT_TRUE(Integral(one, 10 * kSec, 0, true, kSec).empty());
}

TEST(IntegralTest, OfEqualTimesTheLaterPointWins) {
  std::vector<Sample> p = {{0, 1.0}, {0, 3.0}, {10 * kSec, 3.0}};
  EXPECT_DOUBLE_EQ(std::get<double>(Integral(p, 0, 0, true, kSec)[0].v), 30);
}

TEST(DistinctTest, FirstOccurrenceInScanOrderSortedByItsTime) {
  std::vector<Sample> s = {{0, 2.0}, {10, 1.0}, {20, 2.0}, {30, 3.0}};
  auto asc = Distinct(s, true);  // 2@0, 1@10, 3@30
  ASSERT_EQ(asc.size(), 3u);
  EXPECT_DOUBLE_EQ(std::get<double>(asc[0].v), 2);
  EXPECT_DOUBLE_EQ(std::get<double>(asc[1].v), 1);
  EXPECT_DOUBLE_EQ(std::get<double>(asc[2].v), 3);
  auto desc = Distinct(s, false);  // the latest: 1@10, 2@20, 3@30
  ASSERT_EQ(desc.size(), 3u);
  EXPECT_EQ(desc[1].t, 20);
  EXPECT_DOUBLE_EQ(std::get<double>(desc[0].v), 1);
  EXPECT_DOUBLE_EQ(std::get<double>(desc[1].v), 2);
  std::vector<Sample> tie = {{0, std::string("b")}, {0, std::string("a")}};
  auto t = Distinct(tie, true);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(std::get<std::string>(t[0].v), "a");
  int64_t pt = 0;
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kCountDistinct, 0, s, &pt)), 3);
  std::vector<Sample> none;
  EXPECT_EQ(std::get<int64_t>(Reduce(Func::kCountDistinct, 0, none, &pt)), 0);
}

}  // namespace
}  // namespace verbund::query
