// Executor behaviour beyond the InfluxDB parity table: chunking, epochs, statement errors,
// database handling, now()-relative windows on a fake clock, the Aggregate fast path, limits.
#include "query/executor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/query/fake_engine.h"
#include "unit/query/influx_parity_data.h"

namespace verbund::query {
namespace {

constexpr int64_t kSec = 1'000'000'000;

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.AddLines("t", testing::kInfluxParityData, ingest::Precision::kSecond);
    Rebuild();
  }
  void Rebuild() {
    ExecutorOptions o = options_;
    o.clock = &clock_;
    executor_ = std::make_unique<Executor>(&engine_, o);
  }
  std::string Run(std::string_view q, EpochUnit epoch = EpochUnit::kRfc3339,
                  std::string_view db = "t") {
    QueryOptions o;
    o.database = db;
    o.epoch = epoch;
    return executor_->Run(q, o).body;
  }
  std::vector<std::string> RunChunked(std::string_view q, size_t chunk_size,
                                      EpochUnit epoch = EpochUnit::kRfc3339) {
    QueryOptions o;
    o.database = "t";
    o.epoch = epoch;
    o.chunk_size = chunk_size;
    std::vector<std::string> docs;
    executor_->RunChunked(q, o, [&](std::string&& d) {
      docs.push_back(std::move(d));
      return true;
    });
    return docs;
  }

  FakeClock clock_{1'700'000'100 * kSec};
  testing::FakeEngine engine_;
  ExecutorOptions options_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(ExecutorTest, ParseErrorIsTopLevel) {
  QueryOptions o;
  o.database = "t";
  QueryResponse r = executor_->Run("SELECT FROM m", o);
  EXPECT_TRUE(r.parse_error);
  EXPECT_EQ(r.body,
            R"json({"error":"error parsing query: found FROM, expected identifier, string, number, bool at line 1, char 8"})json");
}

TEST_F(ExecutorTest, SummaryNamesWhatSelectsRead) {
  QueryOptions o;
  o.database = "t";
  QueryResponse r = executor_->Run(
      "SELECT usage FROM cpu WHERE time >= 1700000000s AND time <= 1700000030s; "
      "SELECT count(usage) FROM cpu, mem WHERE time >= 1699999990s AND time < 1700000040s",
      o);
  EXPECT_EQ(r.summary.measurements, (std::set<std::string>{"cpu", "mem"}));
  ASSERT_TRUE(r.summary.read);
  EXPECT_EQ(r.summary.from, 1'699'999'990 * kSec);
  EXPECT_EQ(r.summary.to, 1'700'000'040 * kSec - 1);
  // Without a lower bound the union has none; meta statements read nothing.
  r = executor_->Run("SELECT usage FROM cpu WHERE time <= 1700000030s", o);
  EXPECT_FALSE(r.summary.from.has_value());
  EXPECT_EQ(r.summary.to, 1'700'000'030 * kSec);
  r = executor_->Run("SHOW MEASUREMENTS", o);
  EXPECT_FALSE(r.summary.read);
  EXPECT_TRUE(r.summary.measurements.empty());
}

TEST_F(ExecutorTest, EpochSeconds) {
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE host='b'", EpochUnit::kSecond),
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[[1700000000,0],[1700000030,3],[1700000060,6],[1700000090,9]]}]}]})json");
}

TEST_F(ExecutorTest, EpochMillisecondsOnBuckets) {
  EXPECT_EQ(Run("SELECT count(usage) FROM cpu WHERE time >= 1700000000s AND time < 1700000040s "
                "GROUP BY time(20s)",
                EpochUnit::kMillisecond),
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[[1700000000000,3],[1700000020000,3]]}]}]})json");
}

// Found by the generated differential test against influxd 1.6.7: with a field condition the
// seed bucket [1700000010s, 1700000040s) before the range was dropped by the time bounds, so
// the first bucket (22:14:00) lost its derivative.
TEST_F(ExecutorTest, DerivativeSeedBucketKeepsItsRowsUnderAFieldCondition) {
  EXPECT_EQ(
      Run("SELECT derivative(max(usage)) FROM cpu WHERE host='b' AND usage >= 0 AND "
          "time >= 1700000040s AND time < 1700000120s GROUP BY time(30s)"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","derivative"],"values":[["2023-11-14T22:14:00Z",3],["2023-11-14T22:14:30Z",3]]}]}]})json");
}

// cumulative_sum() keeps integers integers; moving_average(x, n) starts at the n-th value.
TEST_F(ExecutorTest, CumulativeSumAndMovingAverageOverRawPoints) {
  EXPECT_EQ(
      Run("SELECT cumulative_sum(usage) FROM cpu WHERE host='b'", EpochUnit::kSecond),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","cumulative_sum"],"values":[[1700000000,0],[1700000030,3],[1700000060,9],[1700000090,18]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT moving_average(usage, 2) FROM cpu WHERE host='b'", EpochUnit::kSecond),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","moving_average"],"values":[[1700000030,1.5],[1700000060,4.5],[1700000090,7.5]]}]}]})json");
  // Descending, the average runs over the descending stream.
  EXPECT_EQ(
      Run("SELECT moving_average(usage, 3) FROM cpu WHERE host='b' ORDER BY time DESC",
          EpochUnit::kSecond),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","moving_average"],"values":[[1700000030,6],[1700000000,3]]}]}]})json");
}

// Over buckets, the transform reads one interval beyond the range to seed the first bucket:
// before it ascending, after it descending (as influxd 1.6.7 does).
TEST_F(ExecutorTest, MovingAverageOverBucketsReadsOneIntervalBeyondTheRange) {
  EXPECT_EQ(
      Run("SELECT moving_average(max(usage), 2) FROM cpu WHERE host='b' AND "
          "time >= 1700000040s AND time < 1700000100s GROUP BY time(30s)",
          EpochUnit::kSecond),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","moving_average"],"values":[[1700000040,4.5],[1700000070,7.5]]}]}]})json");
  EXPECT_EQ(
      Run("SELECT moving_average(max(usage), 2) FROM cpu WHERE host='b' AND "
          "time >= 1700000010s AND time < 1700000070s GROUP BY time(30s) "
          "ORDER BY time DESC",
          EpochUnit::kSecond),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","moving_average"],"values":[[1700000040,7.5],[1700000010,4.5]]}]}]})json");
}

TEST_F(ExecutorTest, MovingAverageArgumentErrors) {
  EXPECT_EQ(
      Run("SELECT moving_average(usage) FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"invalid number of arguments for moving_average, expected 2, got 1"}]})json");
  EXPECT_EQ(
      Run("SELECT moving_average(usage, 1) FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"moving_average window must be greater than 1, got 1"}]})json");
  EXPECT_EQ(
      Run("SELECT moving_average(usage, 2.5) FROM cpu"),
      R"json({"results":[{"statement_id":0,"error":"second argument for moving_average must be an integer, got 2.5"}]})json");
}

// count() of an empty bucket is 0, but fill(previous) before the first value leaves it null.
TEST_F(ExecutorTest, CountFillPreviousIsNullBeforeTheFirstValue) {
  EXPECT_EQ(
      Run("SELECT count(usage) FROM cpu WHERE host='b' AND time >= 1699999940s AND "
          "time < 1700000060s GROUP BY time(30s) fill(previous)"),
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[["2023-11-14T22:12:00Z",null],["2023-11-14T22:12:30Z",null],["2023-11-14T22:13:00Z",1],["2023-11-14T22:13:30Z",1],["2023-11-14T22:14:00Z",1]]}]}]})json");
}

// Captured from influxd 1.6.7 (chunked=true&chunk_size=2&epoch=s).
TEST_F(ExecutorTest, ChunkedSplitsSeriesWithPartialMarkers) {
  auto docs = RunChunked("SELECT usage FROM cpu WHERE host='b'", 2, EpochUnit::kSecond);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[[1700000000,0],[1700000030,3]],"partial":true}],"partial":true}]})json");
  EXPECT_EQ(docs[1],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[[1700000060,6],[1700000090,9]]}]}]})json");
}

// Captured from influxd 1.6.7 (chunked=true&chunk_size=3).
TEST_F(ExecutorTest, ChunkedSeveralSeriesAndStatements) {
  auto docs = RunChunked(
      "SELECT usage FROM cpu WHERE host='b'; SELECT usage FROM cpu WHERE host='zz'; SHOW "
      "MEASUREMENTS",
      3);
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["2023-11-14T22:13:20Z",0],["2023-11-14T22:13:50Z",3],["2023-11-14T22:14:20Z",6]],"partial":true}],"partial":true}]})json");
  EXPECT_EQ(docs[1],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["2023-11-14T22:14:50Z",9]]}]}]})json");
  EXPECT_EQ(docs[2], R"json({"results":[{"statement_id":1}]})json");
  EXPECT_EQ(docs[3],
            R"json({"results":[{"statement_id":2,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["disk"],["mem"]]}]}]})json");
}

TEST_F(ExecutorTest, ChunkedGroupBySeriesArePartialUntilTheLast) {
  auto docs = RunChunked("SELECT usage FROM cpu WHERE time > 0 GROUP BY host", 3);
  ASSERT_EQ(docs.size(), 6u);
  EXPECT_EQ(docs[3],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["2023-11-14T22:14:50Z",3.75]]}],"partial":true}]})json");
  EXPECT_EQ(docs[5],
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","usage"],"values":[["2023-11-14T22:14:50Z",9]]}]}]})json");
}

// InfluxDB 1.x stops at the first failing statement (checked with influxd 1.6.7).
TEST_F(ExecutorTest, FailingStatementStopsTheRest) {
  EXPECT_EQ(Run("SELECT bad(x) FROM cpu; SHOW TAG KEYS; SHOW DATABASES"),
            R"json({"results":[{"statement_id":0,"error":"not executed"}]})json");
  EXPECT_EQ(Run("SHOW DATABASES; SELECT bad(x) FROM cpu"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["t"]]}]},{"statement_id":1,"error":"undefined function bad()"}]})json");
  auto docs = RunChunked("SELECT bad(x) FROM cpu; SHOW TAG KEYS; SHOW DATABASES", 100);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0], R"json({"results":[{"statement_id":0,"error":"undefined function bad()"}]})json");
  EXPECT_EQ(docs[2], R"json({"results":[{"statement_id":0,"error":"not executed"}]})json");
}

TEST_F(ExecutorTest, DatabaseRequiredAndNotFound) {
  EXPECT_EQ(Run("SELECT usage FROM cpu", EpochUnit::kRfc3339, ""),
            R"json({"results":[{"statement_id":0,"error":"database name required"}]})json");
  EXPECT_EQ(Run("SELECT usage FROM cpu", EpochUnit::kRfc3339, "nope"),
            R"json({"results":[{"statement_id":0,"error":"database not found: nope"}]})json");
  EXPECT_EQ(Run("SELECT usage FROM nope.autogen.cpu"),
            R"json({"results":[{"statement_id":0,"error":"database not found: nope"}]})json");
  EXPECT_EQ(Run("SHOW DATABASES;SHOW MEASUREMENTS", EpochUnit::kRfc3339, ""),
            R"json({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["t"]]}]},{"statement_id":1,"error":"database name required"}]})json");
}

TEST_F(ExecutorTest, CreateDatabaseCallsBackAndShowsUp) {
  std::vector<std::string> created;
  options_.create_database = [&](std::string_view n) {
    created.emplace_back(n);
    return Status::OK();
  };
  options_.list_databases = [&] { return created; };
  Rebuild();
  EXPECT_EQ(Run("CREATE DATABASE telegraf"), R"json({"results":[{"statement_id":0}]})json");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(Run("SHOW DATABASES"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["t"],["telegraf"]]}]}]})json");
  EXPECT_EQ(Run("SHOW MEASUREMENTS", EpochUnit::kRfc3339, "telegraf"),
            R"json({"results":[{"statement_id":0}]})json");
}

TEST_F(ExecutorTest, NowRelativeWindow) {
  // now = 1700000100s; the last 30s hold t=1700000070..90.
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE host = 'a' AND time > now() - 30s"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["2023-11-14T22:14:40Z",3.5],["2023-11-14T22:14:50Z",3.75]]}]}]})json");
}

TEST_F(ExecutorTest, GroupByTimeWithoutUpperBoundEndsAtNow) {
  clock_.Set(1'700'000'130 * kSec);
  EXPECT_EQ(Run("SELECT count(usage) FROM cpu WHERE host = 'b' AND time >= 1700000060s GROUP BY time(30s)"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count"],"values":[["2023-11-14T22:14:00Z",1],["2023-11-14T22:14:30Z",1],["2023-11-14T22:15:00Z",0],["2023-11-14T22:15:30Z",0]]}]}]})json");
}

TEST_F(ExecutorTest, AggregatesUseEngineFastPath) {
  size_t before_agg = engine_.aggregate_calls();
  Run("SELECT mean(usage), max(idle) FROM cpu WHERE time >= 1700000000s AND time < 1700000100s GROUP BY time(20s)");
  EXPECT_GT(engine_.aggregate_calls(), before_agg);
  // A field condition needs every point: the read path.
  size_t agg = engine_.aggregate_calls();
  Run("SELECT mean(usage) FROM cpu WHERE usage > 1");
  EXPECT_EQ(engine_.aggregate_calls(), agg);
}

TEST_F(ExecutorTest, MaxSelectBuckets) {
  options_.max_select_buckets = 10;
  Rebuild();
  EXPECT_EQ(Run("SELECT mean(usage) FROM cpu WHERE time >= 1700000000s AND time < 1700000100s GROUP BY time(1s)"),
            R"json({"results":[{"statement_id":0,"error":"max-select-buckets limit exceeded: (100/10)"}]})json");
}

TEST_F(ExecutorTest, MaxSelectPoints) {
  options_.max_select_points = 5;
  Rebuild();
  EXPECT_EQ(Run("SELECT usage FROM cpu"),
            R"json({"results":[{"statement_id":0,"error":"max-select-point limit exceeed: (10/5)"}]})json");
}

TEST_F(ExecutorTest, DeleteRemovesMatchingSeriesRange) {
  EXPECT_EQ(Run("DELETE FROM cpu WHERE host = 'b' AND time < 1700000050s"),
            R"json({"results":[{"statement_id":0}]})json");
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE host = 'b'"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["2023-11-14T22:14:20Z",6],["2023-11-14T22:14:50Z",9]]}]}]})json");
  EXPECT_EQ(Run("DROP MEASUREMENT disk"), R"json({"results":[{"statement_id":0}]})json");
  EXPECT_EQ(Run("SELECT * FROM disk"), R"json({"results":[{"statement_id":0}]})json");
  EXPECT_EQ(Run("DELETE FROM cpu WHERE usage > 1"),
            R"json({"results":[{"statement_id":0,"error":"fields not supported in WHERE clause during deletion"}]})json");
}

TEST_F(ExecutorTest, TimeBoundsWithRfc3339AndEpochUnits) {
  const char* want =
      R"json({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["2023-11-14T22:13:30Z",1.75]]}]}]})json";
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE time >= '2023-11-14T22:13:30Z' AND time < '2023-11-14T22:13:40Z'"), want);
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE time >= 1700000010000ms AND time < 1700000020000000u"), want);
  EXPECT_EQ(Run("SELECT usage FROM cpu WHERE time >= 1700000010000000000 AND time <= 1700000019999999999"), want);
}

TEST_F(ExecutorTest, SpecialCharactersAreEscaped) {
  engine_.Add("t", "we<ird", {{"k", "a\"b"}}, "v", 5, std::string("x&y\n"));
  EXPECT_EQ(Run("SELECT v FROM \"we<ird\" GROUP BY k"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"we\u003cird","tags":{"k":"a\"b"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000005Z","x\u0026y\n"]]}]}]})json");
}

TEST_F(ExecutorTest, FloatsThatAreWholeNumbersPrintWithoutFraction) {
  engine_.Add("t", "f", {}, "v", 1, 2.0);
  engine_.Add("t", "f", {}, "v", 2, 1e21);
  EXPECT_EQ(Run("SELECT v FROM f"),
            R"json({"results":[{"statement_id":0,"series":[{"name":"f","columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",2],["1970-01-01T00:00:00.000000002Z",1e+21]]}]}]})json");
}

}  // namespace
}  // namespace verbund::query

namespace verbund::query {
namespace {

// A caller's scope: tenant "t" may use databases t and t_*, read everything but `mem`, and
// create only its own databases.
class ScopedExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_.AddLines("t", testing::kInfluxParityData, ingest::Precision::kSecond);
    engine_.AddLines("other", "secret,host=x v=1 1700000000\n", ingest::Precision::kSecond);
    scope_.database = [](std::string_view db) { return db == "t" || db.starts_with("t_"); };
    scope_.read = [](std::string_view, std::string_view m) { return m != "mem"; };
    scope_.create = scope_.database;
    scope_.remove = [](std::string_view, std::string_view m) { return m == "cpu"; };
    executor_ = std::make_unique<Executor>(&engine_, ExecutorOptions{});
  }
  std::string Run(std::string_view q, std::string_view db = "t") {
    QueryOptions o;
    o.database = db;
    o.epoch = EpochUnit::kSecond;
    o.scope = &scope_;
    return executor_->Run(q, o).body;
  }

  testing::FakeEngine engine_;
  QueryScope scope_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(ScopedExecutorTest, ShowDatabasesListsOnlyTheCallersOwn) {
  EXPECT_EQ(Run("SHOW DATABASES"),
            R"({"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],)"
            R"("values":[["t"]]}]}]})");
}

TEST_F(ScopedExecutorTest, AnotherTenantsDatabaseLooksLikeNoneButSaysWhy) {
  const std::string denied = Run("SELECT * FROM secret", "other");
  EXPECT_NE(denied.find("not authorized to access database other"), std::string::npos) << denied;
  // The same answer for a database that does not exist at all: existence is not revealed.
  EXPECT_NE(Run("SELECT * FROM secret", "nothere").find("not authorized to access database"),
            std::string::npos);
  EXPECT_NE(Run("SHOW MEASUREMENTS ON other").find("not authorized"), std::string::npos);
  EXPECT_NE(Run("SELECT * FROM other..secret").find("not authorized"), std::string::npos);
}

TEST_F(ScopedExecutorTest, MeasurementRulesFilterRegexesAndRefuseNamedOnes) {
  EXPECT_NE(Run("SELECT * FROM mem").find("not authorized to read measurement mem"),
            std::string::npos);
  const std::string all = Run("SHOW MEASUREMENTS");
  EXPECT_NE(all.find("\"cpu\""), std::string::npos) << all;
  EXPECT_EQ(all.find("\"mem\""), std::string::npos) << all;
  const std::string regex = Run("SELECT count(*) FROM /.*/");
  EXPECT_EQ(regex.find("\"mem\""), std::string::npos) << regex;
  EXPECT_NE(regex.find("\"cpu\""), std::string::npos) << regex;
}

TEST_F(ScopedExecutorTest, CreateAndDeleteNeedTheirRights) {
  EXPECT_NE(Run("CREATE DATABASE other_db").find("not authorized to create database other_db"),
            std::string::npos);
  EXPECT_EQ(Run("CREATE DATABASE t_new"), R"({"results":[{"statement_id":0}]})");
  EXPECT_NE(Run("DELETE FROM mem").find("not authorized"), std::string::npos);
}

}  // namespace
}  // namespace verbund::query
