#include "tools/tsbs/iot_generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "storage/chunk_codec.h"

namespace verbund::tsbs {
namespace {

IotOptions Small() {
  IotOptions o;
  o.trucks = 5;
  o.end = o.start + 3600'000'000'000;  // one hour: 360 ticks
  return o;
}

std::string Render(IotOptions o) {
  IotGenerator g(o);
  std::string out;
  g.ForEach([&](const Row& r) { AppendLineProtocol(r, &out); });
  return out;
}

TEST(IotGeneratorTest, DeterministicForASeed) {
  EXPECT_EQ(Render(Small()), Render(Small()));
  IotOptions other = Small();
  other.seed = 7;
  EXPECT_NE(Render(Small()), Render(other));
}

TEST(IotGeneratorTest, InOrderRowsAndShape) {
  IotGenerator g(Small());
  Row row;
  uint64_t rows = 0;
  TimestampNs last = 0;
  std::set<std::string> names;
  while (g.Next(&row)) {
    ++rows;
    EXPECT_GE(row.ts, last);
    last = row.ts;
    EXPECT_EQ(row.tags.size(), 8u);
    EXPECT_EQ(row.tags[0].first, "name");
    names.insert(row.tags[0].second);
    if (row.measurement == "readings") {
      ASSERT_EQ(row.fields.size(), 7u);
      double lat = row.fields[0].f;
      EXPECT_EQ(std::round(lat * 1e5) / 1e5, lat);              // at most five decimals
      EXPECT_EQ(std::trunc(row.fields[2].f), row.fields[2].f);  // elevation: integer
    } else {
      ASSERT_EQ(row.measurement, "diagnostics");
      ASSERT_EQ(row.fields.size(), 3u);
      EXPECT_TRUE(row.fields[2].is_int);
      EXPECT_GE(row.fields[2].i, 0);
      EXPECT_LE(row.fields[2].i, 5);
    }
  }
  EXPECT_EQ(rows, g.ExpectedRows());
  EXPECT_EQ(rows, 5u * 360 * 2);
  EXPECT_EQ(names.size(), 5u);
}

TEST(IotGeneratorTest, MissingAndOutOfOrder) {
  IotOptions o = Small();
  o.missing_fraction = 0.1;
  o.out_of_order_fraction = 0.05;
  IotGenerator g(o);
  Row row;
  uint64_t rows = 0, late = 0;
  TimestampNs newest = 0;
  while (g.Next(&row)) {
    ++rows;
    if (row.ts < newest) ++late;
    newest = std::max(newest, row.ts);
  }
  EXPECT_LT(rows, g.ExpectedRows());
  EXPECT_GT(rows, g.ExpectedRows() * 8 / 10);
  EXPECT_GT(late, 0u);
}

TEST(IotGeneratorTest, LineProtocolFormat) {
  IotOptions o = Small();
  o.trucks = 1;
  o.end = o.start + 10'000'000'000;
  std::string lp = Render(o);
  EXPECT_EQ(lp.rfind("readings,name=truck_0,fleet=", 0), 0u) << lp;
  EXPECT_NE(lp.find(" 1451606400000000000\ndiagnostics,name=truck_0,"), std::string::npos);
  EXPECT_NE(lp.find("status=0i 1451606400000000000\n"), std::string::npos);
}

// A size regression guard (bytes, never time): one truck-day per series, 1024-point chunks.
TEST(IotGeneratorTest, EncodedSizePerValue) {
  IotOptions o = Small();
  o.trucks = 10;
  o.end = o.start + 86'400'000'000'000;
  IotGenerator g(o);
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<double>>> series;
  g.ForEach([&](const Row& r) {
    for (const FieldValue& f : r.fields) {
      auto& s = series[r.tags[0].second + "." + std::string(f.name)];
      s.first.push_back(r.ts);
      s.second.push_back(f.is_int ? static_cast<double>(f.i) : f.f);
    }
  });
  size_t bytes = 0, points = 0;
  for (auto& [key, s] : series) {
    for (size_t off = 0; off < s.first.size(); off += 1024) {
      size_t n = std::min<size_t>(1024, s.first.size() - off);
      std::vector<int64_t> ts(s.first.begin() + off, s.first.begin() + off + n);
      std::vector<double> v(s.second.begin() + off, s.second.begin() + off + n);
      bytes += storage::EncodeChunk(ts, v).size();
      points += n;
    }
  }
  EXPECT_LT(static_cast<double>(bytes) / static_cast<double>(points), 0.75);
}

}  // namespace
}  // namespace verbund::tsbs
