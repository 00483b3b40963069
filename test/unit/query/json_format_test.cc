#include "query/json_format.h"

#include <gtest/gtest.h>

#include <string>

namespace verbund::query {
namespace {

std::string F(double v) {
  std::string s;
  AppendJsonFloat(&s, v);
  return s;
}
std::string S(std::string_view v) {
  std::string s;
  AppendJsonString(&s, v);
  return s;
}

TEST(JsonFormatTest, FloatsLikeGo) {
  EXPECT_EQ(F(1.0), "1");
  EXPECT_EQ(F(-0.5), "-0.5");
  EXPECT_EQ(F(1.0833333333333333), "1.0833333333333333");
  EXPECT_EQ(F(0.00001), "0.00001");
  EXPECT_EQ(F(0.000001), "0.000001");
  EXPECT_EQ(F(0.0000001), "1e-7");
  EXPECT_EQ(F(1.5e-10), "1.5e-10");
  EXPECT_EQ(F(838488366986797800.0), "838488366986797800");
  EXPECT_EQ(F(1e20), "100000000000000000000");
  EXPECT_EQ(F(1e21), "1e+21");
  EXPECT_EQ(F(0.0), "0");
  EXPECT_EQ(F(-0.0), "-0");
  EXPECT_EQ(F(123.456), "123.456");
  EXPECT_EQ(F(-1234567.125), "-1234567.125");
  EXPECT_EQ(F(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(F(5e-324), "5e-324");
  EXPECT_EQ(F(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST(JsonFormatTest, StringsEscapedLikeGo) {
  EXPECT_EQ(S("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(S("<&>"), R"("\u003c\u0026\u003e")");
  EXPECT_EQ(S("\n\t\r\x01"), R"("\n\t\r\u0001")");
  EXPECT_EQ(S("\xff"), R"("\ufffd")");
  EXPECT_EQ(S("h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");
  EXPECT_EQ(S("\xe2\x80\xa8"), R"("\u2028")");
}

TEST(JsonFormatTest, Rfc3339TrimsNanoseconds) {
  EXPECT_EQ(FormatRfc3339Nano(1257894000000000000), "2009-11-10T23:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(1257894000500000000), "2009-11-10T23:00:00.5Z");
  EXPECT_EQ(FormatRfc3339Nano(1257894000000000001), "2009-11-10T23:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatRfc3339Nano(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatRfc3339Nano(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatRfc3339Nano(1451606400120000000), "2016-01-01T00:00:00.12Z");
}

TEST(JsonFormatTest, EpochUnits) {
  auto t = [](EpochUnit u) {
    std::string s;
    AppendJsonTime(&s, 1700000005123456789, u);
    return s;
  };
  EXPECT_EQ(t(EpochUnit::kRfc3339), "\"2023-11-14T22:13:25.123456789Z\"");
  EXPECT_EQ(t(EpochUnit::kNanosecond), "1700000005123456789");
  EXPECT_EQ(t(EpochUnit::kMicrosecond), "1700000005123456");
  EXPECT_EQ(t(EpochUnit::kMillisecond), "1700000005123");
  EXPECT_EQ(t(EpochUnit::kSecond), "1700000005");
  EXPECT_EQ(t(EpochUnit::kMinute), "28333333");
  EXPECT_EQ(t(EpochUnit::kHour), "472222");
  EXPECT_EQ(ParseEpoch(""), EpochUnit::kRfc3339);
  EXPECT_EQ(ParseEpoch("ms"), EpochUnit::kMillisecond);
  EXPECT_EQ(ParseEpoch("u"), EpochUnit::kMicrosecond);
  EXPECT_EQ(ParseEpoch("h"), EpochUnit::kHour);
  EXPECT_EQ(ParseEpoch("n"), EpochUnit::kNanosecond);
}

}  // namespace
}  // namespace verbund::query
