#include "storage/encoding/int_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace verbund::storage::encoding {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::vector<int64_t> RoundTrip(const std::vector<int64_t>& v, int64_t base = 0) {
  std::string buf;
  EncodeIntStream(v, base, &buf);
  EXPECT_EQ(buf.size(), IntStreamSize(v, base));
  std::string_view in(buf);
  std::vector<int64_t> out(v.size());
  Status st = DecodeIntStream(&in, v.size(), base, out.data());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(in.empty());
  return out;
}

TEST(IntCodecTest, SingleValue) {
  for (int64_t x : {int64_t{0}, int64_t{-1}, kMin, kMax}) {
    EXPECT_EQ(RoundTrip({x}), std::vector<int64_t>{x});
  }
}

TEST(IntCodecTest, Int64ExtremesAlternating) {
  std::vector<int64_t> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i % 3 == 0 ? kMin : i % 3 == 1 ? kMax : 0);
  EXPECT_EQ(RoundTrip(v), v);
  EXPECT_EQ(RoundTrip(v, kMax), v);
}

TEST(IntCodecTest, RandomAcrossFullRange) {
  std::mt19937_64 rng(3);
  std::vector<int64_t> v(10000);
  for (auto& x : v) x = static_cast<int64_t>(rng());
  EXPECT_EQ(RoundTrip(v), v);
}

TEST(IntCodecTest, CounterCostsAlmostNothing) {
  std::vector<int64_t> v(65536);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1'000'000 + 7 * static_cast<int64_t>(i);
  EXPECT_EQ(RoundTrip(v), v);
  // One width byte per block of 128 values.
  EXPECT_LT(IntStreamSize(v, 0), v.size() / 100);
}

TEST(IntCodecTest, SmallNoiseAroundLargeOffset) {
  std::mt19937_64 rng(4);
  std::vector<int64_t> v(4096);
  for (auto& x : v) x = 5'000'000'000 + static_cast<int64_t>(rng() % 16);
  EXPECT_EQ(RoundTrip(v), v);
  EXPECT_LT(IntStreamSize(v, 0), v.size() * 5 / 8 + 200);  // ~4 bits a value + block overhead
}

TEST(IntCodecTest, TruncationIsCorruption) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> v(300);
  for (auto& x : v) x = static_cast<int64_t>(rng() % 100000);
  std::string buf;
  EncodeIntStream(v, 0, &buf);
  std::vector<int64_t> out(v.size());
  for (size_t len = 0; len < buf.size(); ++len) {
    std::string_view in(buf.data(), len);
    EXPECT_FALSE(DecodeIntStream(&in, v.size(), 0, out.data()).ok()) << len;
  }
}

}  // namespace
}  // namespace verbund::storage::encoding
