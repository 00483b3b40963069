// The executor over the real engine: catalog views cached by CatalogVersion() see series created
// after a previous query, and the pre-selection of rows on `field <op> number` conjuncts gives
// the same rows as evaluating the whole condition.
#include <gtest/gtest.h>

#include <string>

#include "query/executor.h"
#include "storage/engine.h"
#include "unit/storage/engine_test_util.h"

namespace verbund::query {
namespace {

using storage::testing::FreshDir;
using storage::testing::TestEngine;

class ExecutorCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.Open().ok());
    executor_ = std::make_unique<Executor>(engine_.engine.get(), ExecutorOptions{});
  }
  void Put(const std::string& host, const std::string& field, TimestampNs ts, storage::Value v) {
    storage::SeriesKey k{"db", "m", {{"host", host}}, field};
    storage::WriteBatch b;
    b.Add(k, ts, std::move(v));
    ASSERT_TRUE(engine_->Write(b).ok());
  }
  std::string Run(std::string_view q) {
    QueryOptions o;
    o.database = "db";
    o.epoch = EpochUnit::kNanosecond;
    return executor_->Run(q, o).body;
  }

  TestEngine engine_{FreshDir("executor_cache")};
  std::unique_ptr<Executor> executor_;
};

TEST_F(ExecutorCacheTest, SeriesCreatedAfterAQueryAreSeen) {
  Put("a", "f", 1, 1.0);
  EXPECT_EQ(
      Run("SELECT last(f) FROM m GROUP BY host"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","tags":{"host":"a"},"columns":["time","last"],"values":[[1,1]]}]}]})");
  Put("b", "f", 2, 2.0);         // a new tag set
  Put("a", "g", 3, int64_t{5});  // a new field of an old tag set
  EXPECT_EQ(
      Run("SELECT last(f) FROM m GROUP BY host"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","tags":{"host":"a"},"columns":["time","last"],"values":[[1,1]]},{"name":"m","tags":{"host":"b"},"columns":["time","last"],"values":[[2,2]]}]}]})");
  EXPECT_EQ(
      Run("SELECT g FROM m"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","g"],"values":[[3,5]]}]}]})");
  // A measurement that did not exist at the first query.
  storage::WriteBatch b;
  b.Add(storage::SeriesKey{"db", "n", {}, "x"}, 4, storage::Value(1.5));
  ASSERT_TRUE(engine_->Write(b).ok());
  EXPECT_EQ(
      Run("SELECT x FROM n"),
      R"({"results":[{"statement_id":0,"series":[{"name":"n","columns":["time","x"],"values":[[4,1.5]]}]}]})");
  EXPECT_EQ(
      Run("SELECT x FROM /n/"),
      R"({"results":[{"statement_id":0,"series":[{"name":"n","columns":["time","x"],"values":[[4,1.5]]}]}]})");
}

TEST_F(ExecutorCacheTest, FieldConjunctsPreselectTheSameRows) {
  for (int t = 1; t <= 10; ++t) Put("a", "f", t, static_cast<double>(t));
  for (int t = 2; t <= 10; t += 2) Put("a", "i", t, int64_t{t});
  // Float field, float literal, with a time bound.
  EXPECT_EQ(
      Run("SELECT f FROM m WHERE f <= 3.5 AND time > 1"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[2,2],[3,3]]}]}]})");
  // An integer field against a float literal, joined with another field: rows without `i`
  // never pass.
  EXPECT_EQ(
      Run("SELECT f, i FROM m WHERE i >= 5.5 AND (f != 8)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f","i"],"values":[[6,6,6],[10,10,10]]}]}]})");
  // Two conjuncts on different fields intersect; OR is left to the evaluator.
  EXPECT_EQ(
      Run("SELECT f FROM m WHERE f > 2 AND i < 8 AND (f = 4 OR f = 7 OR f = 6)"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[4,4],[6,6]]}]}]})");
  // Descending order and an aggregate over the pre-selected rows.
  EXPECT_EQ(
      Run("SELECT f FROM m WHERE f >= 9 ORDER BY time DESC"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","f"],"values":[[10,10],[9,9]]}]}]})");
  EXPECT_EQ(
      Run("SELECT count(f) FROM m WHERE i = 4"),
      R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","count"],"values":[[0,1]]}]}]})");
  EXPECT_EQ(Run("SELECT f FROM m WHERE f > 100"), R"({"results":[{"statement_id":0}]})");
}

}  // namespace
}  // namespace verbund::query
