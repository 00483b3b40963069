#include "core/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace verbund::crc32c {
namespace {

// Known answers from RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32cTest, Rfc3720Vectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  std::string inc(32, 0);
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46dd794eu);
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello industrial world";
  EXPECT_EQ(Extend(Value(s.substr(0, 5)), s.data() + 5, s.size() - 5), Value(s));
}

TEST(Crc32cTest, MaskRoundTrips) {
  uint32_t c = Value("foo");
  EXPECT_NE(Mask(c), c);
  EXPECT_EQ(Unmask(Mask(c)), c);
}

}  // namespace
}  // namespace verbund::crc32c
