// integral(), distinct() and count(distinct()) through the executor. Every expected document
// was captured from influxd 1.6.7 loaded with influx_parity_data.h (epoch=s).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "query/executor.h"
#include "unit/query/fake_engine.h"
#include "unit/query/influx_parity_data.h"

namespace verbund::query {
namespace {

constexpr int64_t kSec = 1'000'000'000;

class IntegralDistinctTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.AddLines("t", testing::kInfluxParityData, ingest::Precision::kSecond);
    ExecutorOptions o;
    o.clock = &clock_;
    executor_ = std::make_unique<Executor>(&engine_, o);
  }
  std::string Run(std::string_view q) {
    QueryOptions o;
    o.database = "t";
    o.epoch = EpochUnit::kSecond;
    return executor_->Run(q, o).body;
  }

  FakeClock clock_{1'700'000'100 * kSec};
  testing::FakeEngine engine_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(IntegralDistinctTest, IntegralWithoutGroupByTimeReportsTimeZero) {
  EXPECT_EQ(
      Run("SELECT integral(usage) FROM cpu WHERE host='a'"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","integral"],"values":[[0,236.25]]}]}]})json");
}

// One series: influxd's order of equal timestamps of several series is not stable, and the
// last bit of a sum depends on it.
TEST_F(IntegralDistinctTest, IntegralSplitsAtBucketEdgesWithAUnit) {
  EXPECT_EQ(
      Run("SELECT integral(usage, 1m) FROM cpu WHERE host='a' AND time >= 1700000000s AND "
          "time < 1700000090s GROUP BY time(30s)"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","integral"],"values":[[1699999980,0.2708333333333333],[1700000010,1.0625],[1700000040,1.4375],[1700000070,0.5625]]}]}]})json");
}

// Descending, a point on a bucket's start closes the window twice: influxd emits a second,
// empty window at the same time.
TEST_F(IntegralDistinctTest, IntegralDescendingReportsWindowEnds) {
  EXPECT_EQ(
      Run("SELECT integral(usage) FROM cpu WHERE time >= 1700000000s AND "
          "time < 1700000090s GROUP BY time(30s) ORDER BY time DESC"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","integral"],"values":[[1700000100,-33.75],[1700000100,0],[1700000070,-101.25],[1700000070,0],[1700000040,-67.5],[1700000040,0],[1700000010,-8.75]]}]}]})json");
}

TEST_F(IntegralDistinctTest, IntegralAloneIsNotFilledButBesideOthersIs) {
  EXPECT_EQ(
      Run("SELECT integral(usage) FROM cpu WHERE host='b' AND time >= 1700000000s AND "
          "time < 1700000040s GROUP BY time(30s) fill(0)"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","integral"],"values":[[1699999980,5],[1700000010,40]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT integral(used), mean(used) FROM mem WHERE time >= 1700000000s AND "
          "time < 1700000090s GROUP BY time(30s) fill(7)"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"mem","columns":["time","integral","mean"],"values":[[1699999980,2500,0],[1700000010,32500,1000],[1700000040,50000,2500],[1700000070,7,7]]}]}]})json");
}

TEST_F(IntegralDistinctTest, IntegralErrors) {
  EXPECT_EQ(
      Run("SELECT integral(msg) FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"unsupported integral iterator type: *query.stringInterruptIterator"}]})json");
  EXPECT_EQ(
      Run("SELECT integral(usage, 'x') FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"second argument must be a duration"}]})json");
  EXPECT_EQ(
      Run("SELECT integral(used, 0s) FROM mem"),
      R"json({"results":[{"statement_id":0,"error":"duration argument must be positive, got 0s"}]})json");
}

TEST_F(IntegralDistinctTest, DistinctKeepsFirstOccurrenceOrder) {
  EXPECT_EQ(
      Run("SELECT distinct(ok) FROM cpu"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","distinct"],"values":[[0,true],[0,false]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT distinct(idle) FROM cpu WHERE time >= 1700000030s AND host='b'"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","distinct"],"values":[[1700000030,97],[1700000030,94],[1700000030,91]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT distinct(usage) * 2 FROM cpu WHERE host='b'"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","distinct"],"values":[[0,0],[0,6],[0,12],[0,18]]}]}]})json");
}

TEST_F(IntegralDistinctTest, DistinctOverBucketsDescending) {
  EXPECT_EQ(
      Run("SELECT distinct(idle) FROM cpu WHERE time >= 1700000000s AND "
          "time < 1700000060s GROUP BY time(30s) ORDER BY time DESC"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","distinct"],"values":[[1700000040,14],[1700000040,15],[1700000010,11],[1700000010,12],[1700000010,13],[1700000010,97],[1699999980,10],[1699999980,100]]}]}]})json");
}

TEST_F(IntegralDistinctTest, CountDistinctAndDistinctErrors) {
  EXPECT_EQ(
      Run("SELECT count(distinct(ok)) FROM cpu GROUP BY host"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","count"],"values":[[0,2]]},{"name":"cpu","tags":{"host":"b"},"columns":["time","count"],"values":[[0,1]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT distinct(usage), usage FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"aggregate function distinct() cannot be combined with other functions or fields"}]})json");
  EXPECT_EQ(
      Run("SELECT count(distinct(*)) FROM mem"),
      R"json({"results":[{"statement_id":0,"error":"expected field argument in distinct()"}]})json");
}

// Found while matching integral() against influxd: SLIMIT counts series in ascending order, and
// ORDER BY time DESC reverses only what is left.
TEST_F(IntegralDistinctTest, SlimitCountsSeriesBeforeTheDescendingReversal) {
  EXPECT_EQ(
      Run("SELECT mean(usage) FROM cpu GROUP BY host ORDER BY time DESC SLIMIT 1"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","mean"],"values":[[0,2.625]]}]}]})json");
}

}  // namespace
}  // namespace verbund::query
