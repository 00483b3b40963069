#include "core/coding.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace verbund {
namespace {

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04", 4));
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);
}

TEST(CodingTest, VarintRoundTripsExtremes) {
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 127, 128, 16383, 16384,
                     std::numeric_limits<uint64_t>::max()}) {
    std::string s;
    PutVarint64(&s, v);
    std::string_view in(s);
    uint64_t out = 0;
    ASSERT_TRUE(GetVarint64(&in, &out));
    EXPECT_EQ(out, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(CodingTest, VarintRejectsTruncationAndOverflow) {
  std::string_view truncated("\x80\x80", 2);
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&truncated, &v));
  std::string overflow(10, '\xff');
  overflow.push_back('\x01');
  std::string_view in(overflow);
  EXPECT_FALSE(GetVarint64(&in, &v));
}

TEST(CodingTest, ZigZagExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
  EXPECT_EQ(ZigZagEncode(-1), 1u);
}

TEST(CodingTest, LengthPrefixedRejectsShortInput) {
  std::string s;
  PutVarint64(&s, 10);
  s += "abc";
  std::string_view in(s), out;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
}

}  // namespace
}  // namespace verbund
