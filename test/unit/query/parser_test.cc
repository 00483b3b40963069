#include "query/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace verbund::query {
namespace {

template <typename T>
const T& Only(const Result<Query>& q) {
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->statements.size(), 1u);
  const T* s = std::get_if<T>(&q->statements[0]);
  EXPECT_NE(s, nullptr);
  return *s;
}

std::string Error(std::string_view q) {
  auto r = ParseQuery(q);
  if (r.ok()) return "<ok>";
  return r.status().message();
}

TEST(ParserTest, SelectFieldsAndAliases) {
  auto q = ParseQuery("SELECT usage, \"idle time\" AS idle, * FROM cpu");
  const auto& s = Only<SelectStatement>(q);
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_EQ(s.fields[0].expr->kind, Expr::Kind::kVarRef);
  EXPECT_EQ(s.fields[1].expr->name, "idle time");
  EXPECT_EQ(s.fields[1].alias, "idle");
  EXPECT_EQ(s.fields[2].expr->kind, Expr::Kind::kWildcard);
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.sources[0].name, "cpu");
}

TEST(ParserTest, Aggregates) {
  auto q = ParseQuery(
      "SELECT count(a), SUM(b), mean(c), median(d), min(e), max(f), first(g), last(h), "
      "spread(i), stddev(j), percentile(k, 95.5) FROM m");
  const auto& s = Only<SelectStatement>(q);
  ASSERT_EQ(s.fields.size(), 11u);
  EXPECT_EQ(s.fields[1].expr->name, "sum");
  EXPECT_EQ(s.fields[10].expr->args.size(), 2u);
  EXPECT_DOUBLE_EQ(s.fields[10].expr->args[1]->number, 95.5);
}

TEST(ParserTest, QualifiedAndRegexSources) {
  auto q = ParseQuery("SELECT a FROM \"db\".\"rp\".\"m x\", rp.m2, db..m3, /^cpu.*/");
  const auto& s = Only<SelectStatement>(q);
  ASSERT_EQ(s.sources.size(), 4u);
  EXPECT_EQ(s.sources[0].database, "db");
  EXPECT_EQ(s.sources[0].retention_policy, "rp");
  EXPECT_EQ(s.sources[0].name, "m x");
  EXPECT_EQ(s.sources[1].retention_policy, "rp");
  EXPECT_EQ(s.sources[1].name, "m2");
  EXPECT_EQ(s.sources[2].database, "db");
  EXPECT_EQ(s.sources[2].retention_policy, "");
  EXPECT_EQ(s.sources[2].name, "m3");
  EXPECT_TRUE(s.sources[3].is_regex);
  EXPECT_EQ(s.sources[3].name, "^cpu.*");
}

TEST(ParserTest, WhereTimeAndTags) {
  auto q = ParseQuery(
      "SELECT a FROM m WHERE time > now() - 1h AND time <= '2020-01-01T00:00:00Z' AND "
      "(host = 'a' OR host =~ /b\\/c/) AND region != 'x' AND dc !~ /y/ AND v >= 1.5");
  const auto& s = Only<SelectStatement>(q);
  ASSERT_NE(s.condition, nullptr);
  EXPECT_EQ(ExprToString(*s.condition),
            "time > now() - 1h AND time <= '2020-01-01T00:00:00Z' AND (host = 'a' OR host =~ "
            "/b/c/) AND region != 'x' AND dc !~ /y/ AND v >= 1.5");
}

TEST(ParserTest, EpochLiteralWithUnit) {
  auto q = ParseQuery("SELECT a FROM m WHERE time >= 1700000000000ms");
  const auto& s = Only<SelectStatement>(q);
  EXPECT_EQ(s.condition->rhs->kind, Expr::Kind::kDuration);
  EXPECT_EQ(s.condition->rhs->integer, 1700000000000000000);
}

TEST(ParserTest, GroupByFillOrderLimits) {
  auto q = ParseQuery(
      "SELECT mean(v) FROM m WHERE time > now() - 1d GROUP BY time(5m, -30s), host, \"dc\" "
      "fill(previous) ORDER BY time DESC LIMIT 10 OFFSET 2 SLIMIT 3 SOFFSET 1");
  const auto& s = Only<SelectStatement>(q);
  ASSERT_TRUE(s.group_by.interval.has_value());
  EXPECT_EQ(*s.group_by.interval, 300'000'000'000);
  EXPECT_EQ(s.group_by.offset, -30'000'000'000);
  ASSERT_EQ(s.group_by.tags.size(), 2u);
  EXPECT_EQ(s.group_by.tags[1], "dc");
  EXPECT_EQ(s.fill, FillMode::kPrevious);
  EXPECT_TRUE(s.order_desc);
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.offset, 2);
  EXPECT_EQ(s.slimit, 3);
  EXPECT_EQ(s.soffset, 1);
}

TEST(ParserTest, FillVariants) {
  EXPECT_EQ(Only<SelectStatement>(ParseQuery("SELECT mean(v) FROM m GROUP BY time(1m) fill(none)")).fill,
            FillMode::kNone);
  EXPECT_EQ(Only<SelectStatement>(ParseQuery("SELECT mean(v) FROM m GROUP BY time(1m) fill(null)")).fill,
            FillMode::kNull);
  EXPECT_EQ(Only<SelectStatement>(ParseQuery("SELECT mean(v) FROM m GROUP BY time(1m) fill(linear)")).fill,
            FillMode::kLinear);
  auto q = ParseQuery("SELECT mean(v) FROM m GROUP BY time(1m) fill(-2.5)");
  const auto& s = Only<SelectStatement>(q);
  EXPECT_EQ(s.fill, FillMode::kNumber);
  EXPECT_DOUBLE_EQ(s.fill_number, -2.5);
}

TEST(ParserTest, GroupByStar) {
  auto q = ParseQuery("SELECT mean(v) FROM m GROUP BY *");
  EXPECT_TRUE(Only<SelectStatement>(q).group_by.all_tags);
}

TEST(ParserTest, MultipleStatements) {
  auto q = ParseQuery("SELECT a FROM m; SHOW DATABASES;; SHOW MEASUREMENTS;");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->statements.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<ShowDatabasesStatement>(q->statements[1]));
}

TEST(ParserTest, ShowStatements) {
  EXPECT_TRUE(ParseQuery("SHOW DATABASES").ok());
  {
    auto q = ParseQuery("SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /cpu/ WHERE host = 'a' LIMIT 5 OFFSET 1");
    const auto& s = Only<ShowMeasurementsStatement>(q);
    EXPECT_EQ(s.database, "db");
    ASSERT_TRUE(s.with.has_value());
    EXPECT_TRUE(s.with->is_regex);
    EXPECT_EQ(s.limit, 5);
  }
  {
    auto q = ParseQuery("SHOW TAG KEYS FROM cpu");
    EXPECT_EQ(Only<ShowTagKeysStatement>(q).sources[0].name, "cpu");
  }
  {
    auto q = ParseQuery("SHOW TAG VALUES FROM cpu WITH KEY = \"host\" WHERE region = 'eu'");
    const auto& s = Only<ShowTagValuesStatement>(q);
    EXPECT_EQ(s.key_op, BinaryOp::kEq);
    ASSERT_EQ(s.keys.size(), 1u);
    EXPECT_EQ(s.keys[0], "host");
    EXPECT_NE(s.condition, nullptr);
  }
  {
    auto q = ParseQuery("SHOW TAG VALUES WITH KEY IN (host, region)");
    EXPECT_EQ(Only<ShowTagValuesStatement>(q).keys.size(), 2u);
  }
  {
    auto q = ParseQuery("SHOW TAG VALUES WITH KEY =~ /ho.*/");
    const auto& s = Only<ShowTagValuesStatement>(q);
    EXPECT_EQ(s.key_op, BinaryOp::kEqRegex);
    EXPECT_EQ(s.keys[0], "ho.*");
  }
  {
    auto q = ParseQuery("SHOW FIELD KEYS FROM cpu");
    EXPECT_EQ(Only<ShowFieldKeysStatement>(q).sources.size(), 1u);
  }
  {
    auto q = ParseQuery("SHOW SERIES FROM cpu WHERE host = 'a'");
    EXPECT_NE(Only<ShowSeriesStatement>(q).condition, nullptr);
  }
  {
    auto q = ParseQuery("SHOW RETENTION POLICIES ON \"telegraf\"");
    EXPECT_EQ(Only<ShowRetentionPoliciesStatement>(q).database, "telegraf");
  }
  {
    auto q = ParseQuery("CREATE DATABASE telegraf");
    EXPECT_EQ(Only<CreateDatabaseStatement>(q).name, "telegraf");
  }
  {
    auto q = ParseQuery("DELETE FROM cpu WHERE time < '2020-01-01'");
    EXPECT_EQ(Only<DeleteStatement>(q).sources.size(), 1u);
  }
  {
    auto q = ParseQuery("DROP SERIES FROM cpu WHERE host = 'a'");
    EXPECT_NE(Only<DeleteStatement>(q).condition, nullptr);
  }
  {
    auto q = ParseQuery("DROP MEASUREMENT cpu");
    EXPECT_EQ(Only<DeleteStatement>(q).sources[0].name, "cpu");
  }
}

TEST(ParserTest, KeywordsAreCaseInsensitive) {
  EXPECT_TRUE(ParseQuery("select MEAN(v) from m where time > now() - 1h group by time(1m) fill(none) order by time desc limit 1").ok());
}

TEST(ParserTest, Comments) {
  EXPECT_TRUE(ParseQuery("-- leading\nSELECT a /* inline */ FROM m").ok());
}

// Messages as InfluxDB 1.6.7 words them (checked with influxd).
TEST(ParserTest, ErrorWording) {
  EXPECT_EQ(Error("SELECT FROM m"),
            "found FROM, expected identifier, string, number, bool at line 1, char 8");
  EXPECT_EQ(Error("SELECT * FROM"), "found EOF, expected identifier at line 1, char 15");
  EXPECT_EQ(Error("SELECT a FROM m WHERE"),
            "found EOF, expected identifier, string, number, bool at line 1, char 23");
  EXPECT_EQ(Error("SELEC x"),
            "found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, "
            "ALTER, SET, KILL at line 1, char 1");
  EXPECT_EQ(Error("SELECT mean(a) FROM m GROUP BY time(1x)"), "invalid duration");
  EXPECT_EQ(Error("SELECT a FROM m LIMIT -1"), "found -, expected integer at line 1, char 23");
  EXPECT_EQ(Error("SHOW TAG VALUES FROM m"), "found EOF, expected WITH at line 1, char 24");
  EXPECT_EQ(Error("SELECT a FROM m fill(none"), "found EOF, expected ) at line 1, char 27");
  EXPECT_EQ(Error("SHOW FOO"),
            "found FOO, expected CONTINUOUS, DATABASES, DIAGNOSTICS, FIELD, GRANTS, MEASUREMENT, "
            "MEASUREMENTS, QUERIES, RETENTION, SERIES, SHARD, SHARDS, STATS, SUBSCRIPTIONS, TAG, "
            "USERS at line 1, char 6");
  EXPECT_EQ(Error("SELECT \"a FROM m"),
            "found a FROM m, expected identifier, string, number, bool at line 1, char 7");
  EXPECT_EQ(Error("SELECT a FROM m WHERE x='abc"),
            "found abc, expected identifier, string, number, bool at line 1, char 24");
  EXPECT_EQ(Error("SELECT a,b FROM m ORDER BY a"), "only ORDER BY time supported at this time");
  EXPECT_EQ(Error("SELECT a FROM m x"), "found x, expected ; at line 1, char 17");
}

TEST(ParserTest, BadRegexIsAnError) {
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /(/"), "<ok>");
}

TEST(ParserTest, HugeRegexRepeatCountIsAnError) {
  // Found by fuzzing: libstdc++ overflows on {2222222222222222222}.
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /a{2222222222222222222}/"), "<ok>");
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /a{1,5000}/"), "<ok>");
  EXPECT_EQ(Error("SELECT a FROM m WHERE host =~ /a{1,1000}/"), "<ok>");
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /(a)\\5555555555555555555/"), "<ok>");
}

TEST(ParserTest, NestedRepetitionInRegexIsRefused) {
  // Found by fuzzing: exponential backtracking in std::regex.
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /(a+)+$/"), "<ok>");
  EXPECT_NE(Error("SELECT a FROM m WHERE host =~ /(a|aa)*$/"), "<ok>");
  EXPECT_NE(Error("SELECT a FROM /^(cpu|x*******)$/"), "<ok>");
  // What Grafana sends still works.
  EXPECT_EQ(Error("SELECT a FROM m WHERE host =~ /^(server1|server\\.2|web-[0-9]+)$/"), "<ok>");
  EXPECT_EQ(Error("SELECT a FROM m WHERE host =~ /.*prod.*/ AND dc !~ /^(?:eu|us)-.+$/"), "<ok>");
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string q = "SELECT a FROM m WHERE " + std::string(5000, '(') + "a = 1" + std::string(5000, ')');
  EXPECT_NE(Error(q), "<ok>");
}

TEST(ParserTest, Durations) {
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(*ParseDuration("10ms"), 10'000'000);
  EXPECT_EQ(*ParseDuration("5u"), 5'000);
  EXPECT_EQ(*ParseDuration("5\xc2\xb5s"), 5'000);
  EXPECT_EQ(*ParseDuration("7ns"), 7);
  EXPECT_EQ(*ParseDuration("2d"), 172'800'000'000'000);
  EXPECT_EQ(*ParseDuration("1w"), 604'800'000'000'000);
  EXPECT_FALSE(ParseDuration("1x").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999h").ok());
  EXPECT_EQ(FormatDuration(5'400'000'000'000), "90m");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST(ParserTest, TimeStrings) {
  EXPECT_EQ(*ParseTimeString("2009-11-10T23:00:00Z"), 1257894000000000000);
  EXPECT_EQ(*ParseTimeString("2009-11-10T23:00:00.5Z"), 1257894000500000000);
  EXPECT_EQ(*ParseTimeString("2009-11-10T23:00:00+01:00"), 1257890400000000000);
  EXPECT_EQ(*ParseTimeString("2009-11-10 23:00:00"), 1257894000000000000);
  EXPECT_EQ(*ParseTimeString("2009-11-10"), 1257811200000000000);
  EXPECT_FALSE(ParseTimeString("2009-13-10").ok());
  EXPECT_FALSE(ParseTimeString("yesterday").ok());
}

}  // namespace
}  // namespace verbund::query
