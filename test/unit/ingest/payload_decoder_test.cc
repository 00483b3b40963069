#include "ingest/payload_decoder.h"

#include <gtest/gtest.h>

namespace verbund::ingest {
namespace {

TEST(PayloadDecoderTest, JsonObjectFlattensNestedAndSkipsArrays) {
  PayloadDecoder d;
  auto r = d.Decode(R"({"temp":21.5,"ok":true,"state":"run","m":{"rpm":1200,"x":{"y":1}},"a":[1,2],"n":null})",
                    PayloadFormat::kJson, "", "rfc3339");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->fields.size(), 5u);
  EXPECT_EQ(r->fields[0].first, "temp");
  EXPECT_EQ(std::get<double>(r->fields[0].second), 21.5);
  EXPECT_EQ(std::get<bool>(r->fields[1].second), true);
  EXPECT_EQ(std::get<std::string>(r->fields[2].second), "run");
  EXPECT_EQ(r->fields[3].first, "m.rpm");
  EXPECT_EQ(std::get<double>(r->fields[3].second), 1200.0);
  EXPECT_EQ(r->fields[4].first, "m.x.y");
  EXPECT_EQ(r->skipped_arrays, 1u);
  EXPECT_FALSE(r->timestamp);
}

TEST(PayloadDecoderTest, BareNumberBecomesValue) {
  PayloadDecoder d;
  auto r = d.Decode("  42.25\n", PayloadFormat::kNumber, "", "rfc3339");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->fields[0].first, "value");
  EXPECT_EQ(std::get<double>(r->fields[0].second), 42.25);
  r = d.Decode("17", PayloadFormat::kJson, "", "rfc3339");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<double>(r->fields[0].second), 17.0);
  EXPECT_FALSE(d.Decode("12abc", PayloadFormat::kNumber, "", "rfc3339").ok());
}

TEST(PayloadDecoderTest, MalformedJsonIsAnError) {
  PayloadDecoder d;
  auto r = d.Decode("{\"a\":", PayloadFormat::kJson, "", "rfc3339");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
  EXPECT_FALSE(d.Decode("\"just a string\"", PayloadFormat::kJson, "", "rfc3339").ok());
}

TEST(PayloadDecoderTest, TimeFieldRfc3339AndEpochUnits) {
  PayloadDecoder d;
  auto r = d.Decode(R"({"ts":"2026-11-25T18:00:00.5+01:00","v":1})", PayloadFormat::kJson, "ts", "rfc3339");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r->timestamp, 1'795'626'000'500'000'000);  // 17:00:00.5Z
  EXPECT_EQ(r->fields.size(), 1u);  // the time field is not a field
  r = d.Decode(R"({"ts":1764090000123,"v":1})", PayloadFormat::kJson, "ts", "ms");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->timestamp, 1'764'090'000'123'000'000);
  r = d.Decode(R"({"meta":{"t":1764090000},"v":1})", PayloadFormat::kJson, "meta.t", "s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->timestamp, 1'764'090'000'000'000'000);
  EXPECT_FALSE(d.Decode(R"({"ts":"yesterday","v":1})", PayloadFormat::kJson, "ts", "rfc3339").ok());
}

TEST(Rfc3339Test, EdgeCases) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("2026-01-01T00:00:00Zjunk").ok());
}

}  // namespace
}  // namespace verbund::ingest
