#include "storage/chunk_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "storage/encoding/chunk_format.h"

namespace verbund::storage {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;
constexpr TimestampNs kSecond = 1'000'000'000;

std::vector<TimestampNs> Regular(size_t n, TimestampNs step = 10 * kSecond) {
  std::vector<TimestampNs> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = kT0 + static_cast<TimestampNs>(i) * step;
  return ts;
}

bool SameColumn(const ValueColumn& a, const ValueColumn& b) {
  if (a.index() != b.index()) return false;
  if (const auto* da = std::get_if<std::vector<double>>(&a)) {
    const auto& db = std::get<std::vector<double>>(b);
    if (da->size() != db.size()) return false;
    for (size_t i = 0; i < da->size(); ++i) {
      if (std::bit_cast<uint64_t>((*da)[i]) != std::bit_cast<uint64_t>(db[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::string CheckRoundTrip(const std::vector<TimestampNs>& ts, const ValueColumn& values) {
  std::string chunk = EncodeChunk(ts, values);
  auto decoded = DecodeChunk(chunk);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return chunk;
  EXPECT_EQ(decoded->ts, ts);
  EXPECT_TRUE(SameColumn(decoded->values, values));
  auto header = DecodeChunkHeader(chunk);
  EXPECT_TRUE(header.ok());
  ChunkStats expected = ComputeStats(ts, values);
  EXPECT_EQ(header->type, ColumnType(values));
  EXPECT_EQ(header->stats.count, expected.count);
  EXPECT_EQ(header->stats.min_ts, expected.min_ts);
  EXPECT_EQ(header->stats.max_ts, expected.max_ts);
  if (ColumnType(values) != ValueType::kString) {
    EXPECT_EQ(std::bit_cast<uint64_t>(header->stats.sum), std::bit_cast<uint64_t>(expected.sum));
    EXPECT_EQ(header->stats.min, expected.min);
    EXPECT_EQ(header->stats.max, expected.max);
  }
  return chunk;
}

TEST(ChunkCodecTest, RegularTenSecondTimestampsCostAlmostNothing) {
  auto ts = Regular(65536);
  std::string chunk = CheckRoundTrip(ts, std::vector<int64_t>(ts.size(), 5));
  // ~1 byte per 128 timestamps plus the header.
  EXPECT_LT(chunk.size(), 2 * ts.size() / 128 + 100);
}

TEST(ChunkCodecTest, TwoDecimalTelemetryUnderPointThreeBytesPerValue) {
  // A 10 s series of a slowly varying reading with two decimals (a temperature), in chunks of
  // the engine's default 1024 points.
  constexpr size_t kPoints = 1024;
  auto ts = Regular(kPoints);
  std::vector<double> v(kPoints);
  for (size_t i = 0; i < kPoints; ++i) {
    double x = 21.0 + 3.0 * std::sin(static_cast<double>(i) / 300.0);
    v[i] = std::round(x * 100) / 100;
  }
  std::string chunk = CheckRoundTrip(ts, v);
  double bytes_per_value = static_cast<double>(chunk.size()) / kPoints;
  RecordProperty("bytes_per_value", std::to_string(bytes_per_value));
  EXPECT_LT(bytes_per_value, 0.3) << chunk.size() << " bytes";
}

TEST(ChunkCodecTest, FloatEdgeValues) {
  std::vector<double> v = {std::nan(""),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           -0.0,
                           0.0,
                           std::numeric_limits<double>::denorm_min(),
                           1.25,
                           -1.25};
  CheckRoundTrip(Regular(v.size()), v);
  auto h = DecodeChunkHeader(EncodeChunk(Regular(3), std::vector<double>{std::nan(""), 1, 2}));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stats.count, 3u);
  EXPECT_EQ(h->stats.sum, 3.0);  // NaN excluded
  EXPECT_EQ(h->stats.min, 1.0);
  EXPECT_TRUE(std::isnan(h->stats.first));
  EXPECT_EQ(h->stats.last, 2.0);
}

TEST(ChunkCodecTest, IntExtremes) {
  std::vector<int64_t> v = {kMin, kMax, 0, -1, 1, kMin, kMin, kMax};
  CheckRoundTrip(Regular(v.size()), v);
}

TEST(ChunkCodecTest, EqualTimestamps) {
  std::vector<TimestampNs> ts(100, kT0);
  CheckRoundTrip(ts, std::vector<double>(100, 1.5));
}

TEST(ChunkCodecTest, HugeGapsAndNegativeTimestamps) {
  std::vector<TimestampNs> ts = {kMin, kMin + 1, -5 * kSecond, -1, 0, 1, kT0, kMax - 1, kMax};
  CheckRoundTrip(ts, std::vector<int64_t>(ts.size(), 7));
  std::vector<TimestampNs> neg = {-3'000'000'000'000, -2'000'000'000'000, -1'000'000'000'000};
  CheckRoundTrip(neg, std::vector<double>{1, 2, 3});
}

TEST(ChunkCodecTest, SinglePointEveryType) {
  std::vector<TimestampNs> ts = {kT0};
  CheckRoundTrip(ts, std::vector<double>{3.5});
  CheckRoundTrip(ts, std::vector<int64_t>{-9});
  CheckRoundTrip(ts, std::vector<uint8_t>{1});
  CheckRoundTrip(ts, std::vector<std::string>{"hello"});
  CheckRoundTrip({kMin}, std::vector<double>{-0.0});
  CheckRoundTrip({kMax}, std::vector<std::string>{""});
}

TEST(ChunkCodecTest, RandomDataEveryType) {
  std::mt19937_64 rng(10);
  for (size_t n : {size_t{2}, size_t{127}, size_t{128}, size_t{129}, size_t{1000}, size_t{65536}}) {
    std::vector<TimestampNs> ts(n);
    TimestampNs t = static_cast<TimestampNs>(rng() >> 2) - (int64_t{1} << 60);
    for (auto& x : ts) {
      t += static_cast<TimestampNs>(rng() % (3 * kSecond));
      x = t;
    }
    std::vector<double> f(n);
    for (auto& x : f) x = std::bit_cast<double>(rng());
    std::vector<int64_t> iv(n);
    for (auto& x : iv) x = static_cast<int64_t>(rng());
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = (rng() % 7) == 0;
    std::vector<std::string> s(n);
    for (auto& x : s) x = "state-" + std::to_string(rng() % 13);
    CheckRoundTrip(ts, f);
    CheckRoundTrip(ts, iv);
    CheckRoundTrip(ts, b);
    CheckRoundTrip(ts, s);
  }
}

TEST(ChunkCodecTest, BoolRunsAndStats) {
  std::vector<uint8_t> b(1000, 0);
  for (size_t i = 100; i < 400; ++i) b[i] = 1;
  b.back() = 1;
  std::string chunk = CheckRoundTrip(Regular(b.size()), b);
  auto h = DecodeChunkHeader(chunk);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stats.sum, 301);
  EXPECT_EQ(h->stats.first, 0);
  EXPECT_EQ(h->stats.last, 1);
  EXPECT_LT(chunk.size(), 60u);
}

TEST(ChunkCodecTest, StringsWithBinaryAndLargeValues) {
  std::vector<std::string> s = {std::string("\0\xff\x01", 3), std::string(100000, 'x'), "", "a",
                                std::string(100000, 'x')};
  CheckRoundTrip(Regular(s.size()), s);
}

TEST(ChunkCodecTest, DecodeChunkIntoReusesAcrossTypes) {
  DecodedChunk out;
  ASSERT_TRUE(DecodeChunkInto(EncodeChunk(Regular(3), std::vector<double>{1, 2, 3}), &out).ok());
  ASSERT_TRUE(DecodeChunkInto(EncodeChunk(Regular(2), std::vector<int64_t>{4, 5}), &out).ok());
  EXPECT_EQ(std::get<std::vector<int64_t>>(out.values), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(out.ts.size(), 2u);
}

TEST(ChunkCodecTest, FutureVersionIsRejected) {
  std::string chunk = EncodeChunk(Regular(3), std::vector<double>{1, 2, 3});
  const char next = static_cast<char>(encoding::kChunkFormatVersion + 1);
  chunk[0] = next;
  chunk[1] = next;  // needs a reader newer than this one
  EXPECT_FALSE(DecodeChunk(chunk).ok());
  EXPECT_FALSE(DecodeChunkHeader(chunk).ok());
  chunk[1] = 1;  // a newer writer that version-1 readers can still read
  EXPECT_TRUE(DecodeChunk(chunk).ok());
}

}  // namespace
}  // namespace verbund::storage

namespace verbund::storage {
namespace {

TEST(ChunkCodecTest, HighlyCompressibleStringWithinZstdRatioCap) {
  std::vector<std::string> s = {std::string(16 << 20, 'x'), std::string(16 << 20, 'x')};
  std::string chunk = EncodeChunk(Regular(2), s);
  EXPECT_LT(chunk.size(), 4096u);
  auto decoded = DecodeChunk(chunk);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(std::get<std::vector<std::string>>(decoded->values), s);
}

}  // namespace
}  // namespace verbund::storage
