#include "storage/encoding/float_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "storage/encoding/chunk_format.h"

namespace verbund::storage::encoding {
namespace {

std::vector<uint64_t> Bits(const std::vector<double>& v) {
  std::vector<uint64_t> b;
  for (double d : v) b.push_back(std::bit_cast<uint64_t>(d));
  return b;
}

// Round-trips v and returns the encoded size; checks bit-exactness.
size_t CheckRoundTrip(const std::vector<double>& v) {
  std::string buf;
  EncodeFloats(v, &buf);
  std::string_view in(buf);
  std::vector<double> out(v.size());
  Status st = DecodeFloats(&in, v.size(), out.data());
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(Bits(out), Bits(v));
  return buf.size();
}

void CheckGorillaRoundTrip(const std::vector<double>& v) {
  std::string buf;
  EncodeFloatsGorilla(v, &buf);
  std::string_view in(buf);
  std::vector<double> out(v.size());
  ASSERT_TRUE(DecodeFloats(&in, v.size(), out.data()).ok());
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(Bits(out), Bits(v));
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDenorm = std::numeric_limits<double>::denorm_min();

TEST(FloatCodecTest, DecimalExponentDetection) {
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{1, 2, 3}), 0);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{1.5, 2.25, 3}), 2);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{0.1, 0.2, 0.3}), 1);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{21.37, -4.2}), 2);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{0.0}), 0);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{-0.0}), -1);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{1.0, kNaN}), -1);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{1.0, kInf}), -1);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{kDenorm}), -1);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{0.1 + 0.2}), -1);  // needs 17 digits
  // 16 significant digits suffice for pi's double: decimal with e = 15 is exact.
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{std::numbers::pi}), 15);
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{1e300}), -1);
  // Exact at e = 1 for 0.1, but 1e15 * 10 > 2^53: no common exponent.
  EXPECT_EQ(FindDecimalExponent(std::vector<double>{9e15, 0.1}), -1);
}

TEST(FloatCodecTest, SpecialValuesRoundTripBitExact) {
  std::vector<double> v = {0.0,
                           -0.0,
                           kInf,
                           -kInf,
                           kNaN,
                           -kNaN,
                           kDenorm,
                           -kDenorm,
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           1.0,
                           1.0,
                           1.0,
                           std::bit_cast<double>(uint64_t{0x7ff0000000000001})};  // signalling NaN
  CheckRoundTrip(v);
  CheckGorillaRoundTrip(v);
}

TEST(FloatCodecTest, NegativeZeroForcesFallbackButRoundTrips) {
  std::vector<double> v = {1.5, -0.0, 2.5};
  CheckRoundTrip(v);
}

TEST(FloatCodecTest, SinglePoint) {
  for (double d : {0.0, -0.0, 21.5, kNaN, std::numbers::pi}) CheckRoundTrip({d});
}

TEST(FloatCodecTest, RandomDoublesAtMostGorilla) {
  std::mt19937_64 rng(6);
  std::vector<double> v(5000);
  for (auto& d : v) d = std::bit_cast<double>(rng());
  size_t size = CheckRoundTrip(v);
  std::string g;
  EncodeFloatsGorilla(v, &g);
  EXPECT_LE(size, g.size());
  CheckGorillaRoundTrip(v);
}

TEST(FloatCodecTest, RandomWalkWithTwoDecimalsUsesDecimal) {
  std::mt19937_64 rng(7);
  std::vector<double> v(65536);
  int64_t k = 2137;
  for (auto& d : v) {
    k += static_cast<int64_t>(rng() % 21) - 10;
    d = static_cast<double>(k) / 100;
  }
  size_t size = CheckRoundTrip(v);
  std::string g;
  EncodeFloatsGorilla(v, &g);
  EXPECT_LT(size * 3, g.size());  // decimal is several times smaller than Gorilla here
  EXPECT_EQ(static_cast<uint8_t>(g[0]), static_cast<uint8_t>(FloatMode::kGorilla));
}

TEST(FloatCodecTest, ManyDecimalsAndLargeMagnitudes) {
  std::mt19937_64 rng(8);
  for (int e = 0; e <= kMaxDecimalExponent; ++e) {
    std::vector<double> v(300);
    for (auto& d : v) d = DecimalValue(static_cast<int64_t>(rng() % 1000000) - 500000, e);
    CheckRoundTrip(v);
  }
  CheckRoundTrip({1e15, -1e15, 9007199254740992.0, -9007199254740992.0});
}

TEST(FloatCodecTest, ConstantSeries) {
  std::vector<double> v(65536, 42.125);
  size_t size = CheckRoundTrip(v);
  EXPECT_LT(size, v.size() / 100);
}

}  // namespace
}  // namespace verbund::storage::encoding
