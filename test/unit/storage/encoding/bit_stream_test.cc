#include "storage/encoding/bit_stream.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace verbund::storage::encoding {
namespace {

TEST(BitStreamTest, WriterReaderRoundTripAllWidths) {
  std::mt19937_64 rng(1);
  std::string buf;
  BitWriter w(&buf);
  std::vector<std::pair<uint64_t, int>> written;
  for (int i = 0; i < 2000; ++i) {
    int n = static_cast<int>(rng() % 65);
    uint64_t v = rng() & LowMask(n);
    w.Write(v, n);
    written.emplace_back(v, n);
  }
  w.Flush();
  BitReader r(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
  for (auto [v, n] : written) ASSERT_EQ(r.Read(n), v);
  EXPECT_FALSE(r.overflowed());
  EXPECT_EQ(r.BytesConsumed(), buf.size());
}

TEST(BitStreamTest, ReaderPastEndYieldsZerosAndFlags) {
  const uint8_t data[2] = {0xff, 0xff};
  BitReader r(data, 2);
  EXPECT_EQ(r.Read(12), 0xfffu);
  EXPECT_FALSE(r.overflowed());
  EXPECT_EQ(r.Read(8), 0u);
  EXPECT_TRUE(r.overflowed());
}

TEST(BitStreamTest, PackedBlockRoundTripsEveryWidthAndSize) {
  std::mt19937_64 rng(2);
  for (int width = 0; width <= 64; ++width) {
    for (size_t k : {size_t{1}, size_t{7}, size_t{64}, size_t{127}, kBlockSize}) {
      std::vector<int64_t> v(k);
      for (auto& x : v) x = static_cast<int64_t>(rng() & LowMask(width)) - (width ? 3 : 0);
      std::string buf;
      PackBlock(v.data(), k, &buf);
      EXPECT_EQ(buf.size(), PackedBlockSize(v.data(), k));
      BlockReader r(buf);
      std::vector<int64_t> out(k);
      ASSERT_TRUE(r.Next(k, out.data()).ok());
      EXPECT_EQ(out, v) << "width " << width << " k " << k;
      EXPECT_TRUE(r.remaining().empty());
    }
  }
}

TEST(BitStreamTest, BlockWithWidthAbove64IsCorruption) {
  std::string buf(1, static_cast<char>(65));
  buf.append(2000, '\0');
  BlockReader r(buf);
  int64_t out[kBlockSize];
  EXPECT_EQ(r.Next(4, out).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace verbund::storage::encoding

namespace verbund::storage::encoding {
namespace {

TEST(BitStreamTest, SparseBlockRoundTripsAndIsSmall) {
  std::vector<int64_t> v(kBlockSize, 0);
  v[0] = 5000;
  v[17] = -3;
  v[127] = std::numeric_limits<int64_t>::min();
  std::string buf;
  PackBlock(v.data(), v.size(), &buf);
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), kBlockSparse);
  BlockReader r(buf);
  std::vector<int64_t> out(v.size());
  ASSERT_TRUE(r.Next(v.size(), out.data()).ok());
  EXPECT_EQ(out, v);
  std::vector<int64_t> few(kBlockSize, 0);
  few[40] = 4999;
  buf.clear();
  PackBlock(few.data(), few.size(), &buf);
  EXPECT_LE(buf.size(), 6u);
}

TEST(BitStreamTest, SparseBlockRejectsBadPositions) {
  // Two exceptions of width 1 at positions 5 then 3 (not increasing).
  std::string buf = {static_cast<char>(kBlockSparse), 2, 1};
  std::string bits;
  BitWriter w(&bits);
  w.Write(5, kSparsePositionBits);
  w.Write(1, 1);
  w.Write(3, kSparsePositionBits);
  w.Write(1, 1);
  w.Flush();
  buf += bits;
  BlockReader r(buf);
  int64_t out[kBlockSize];
  EXPECT_EQ(r.Next(kBlockSize, out).code(), StatusCode::kCorruption);
  BlockReader r2(buf);
  EXPECT_EQ(r2.Next(4, out).code(), StatusCode::kCorruption);  // position 5 >= k
}

}  // namespace
}  // namespace verbund::storage::encoding
