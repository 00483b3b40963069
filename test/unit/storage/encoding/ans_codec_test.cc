// Entropy-coded integer stream bodies (ans_codec.h) and the int_stream modes 3..5 that use them.
#include "storage/encoding/ans_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "storage/chunk_codec.h"
#include "storage/encoding/chunk_format.h"
#include "storage/encoding/float_codec.h"
#include "storage/encoding/int_codec.h"

namespace verbund::storage::encoding {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Encodes s as a body, decodes it back in batches of at most kBlockSize (as the int stream
// decoder does) and checks the whole body, and nothing more, was consumed.
void ExpectBodyRoundTrip(const std::vector<int64_t>& s) {
  std::string body;
  ASSERT_TRUE(AnsEncode(s, &body));
  std::string with_tail = body + "tail";
  std::string_view in = with_tail;
  AnsReader r;
  ASSERT_TRUE(r.Init(in).ok());
  std::vector<int64_t> out(s.size());
  for (size_t done = 0; done < s.size();) {
    size_t k = std::min(kBlockSize, s.size() - done);
    r.Next(k, out.data() + done);
    done += k;
  }
  Status st = r.Finish(&in);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, s);
  EXPECT_EQ(in, "tail");
}

TEST(AnsTokenTest, TokensCoverEveryValueExactly) {
  for (uint64_t u : {uint64_t{0}, uint64_t{1}, uint64_t{31}, uint64_t{32}, uint64_t{47},
                     uint64_t{48}, uint64_t{63}, uint64_t{64}, uint64_t{1000}, ~uint64_t{0},
                     ~uint64_t{0} >> 1, uint64_t{1} << 63}) {
    uint32_t t = AnsToken(u);
    ASSERT_LT(t, kAnsTokens) << u;
    int extra = AnsExtraBits(t);
    uint64_t base = AnsTokenBase(t);
    EXPECT_LE(base, u) << u;
    EXPECT_LE(u - base, extra >= 64 ? ~uint64_t{0} : (uint64_t{1} << extra) - 1) << u;
  }
  EXPECT_EQ(AnsToken(~uint64_t{0}), kAnsTokens - 1);
}

TEST(AnsCodecTest, SingleValue) {
  ExpectBodyRoundTrip({0});
  ExpectBodyRoundTrip({-7});
  ExpectBodyRoundTrip({kMin});
}

TEST(AnsCodecTest, AllEqualUsesNoCodedBytes) {
  std::vector<int64_t> s(1000, 3);
  ExpectBodyRoundTrip(s);
  std::string body;
  ASSERT_TRUE(AnsEncode(s, &body));
  EXPECT_LT(body.size(), 12u);  // model + length 0, no state, no extra bits
  ExpectBodyRoundTrip(std::vector<int64_t>(300, kMax));  // one token with 62 extra bits each
}

TEST(AnsCodecTest, Int64Extremes) {
  ExpectBodyRoundTrip({kMin, kMax, 0, -1, 1, kMin + 1, kMax - 1});
}

TEST(AnsCodecTest, AlternatingExtremes) {
  std::vector<int64_t> s;
  for (int i = 0; i < 1001; ++i) s.push_back(i % 2 ? kMin : kMax);
  ExpectBodyRoundTrip(s);
}

TEST(AnsCodecTest, HugeAlphabetUsesEveryToken) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> s;
  for (int i = 0; i < 5000; ++i) {
    int width = static_cast<int>(rng() % 65);
    uint64_t u = width == 0 ? 0 : (rng() | (uint64_t{1} << (width - 1))) >> (64 - width);
    s.push_back(ZigZagDecode(u));
  }
  for (uint64_t u = 0; u < 64; ++u) s.push_back(ZigZagDecode(u));
  ExpectBodyRoundTrip(s);
}

TEST(AnsCodecTest, SkewedDistributionsAndOddCounts) {
  std::mt19937_64 rng(11);
  for (size_t n : {2, 3, 127, 128, 129, 1023, 8192}) {
    std::geometric_distribution<int> geo(0.3);
    std::vector<int64_t> s(n);
    for (auto& v : s) v = (rng() & 1 ? 1 : -1) * geo(rng);
    s[n / 2] = 123456789;  // one rare token
    ExpectBodyRoundTrip(s);
  }
}

TEST(AnsCodecTest, CloseToOrderZeroEntropy) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> step(-5, 5);  // 11 values: log2(11) = 3.46 bits
  std::vector<int64_t> s(8192);
  for (auto& v : s) v = step(rng);
  std::string body;
  ASSERT_TRUE(AnsEncode(s, &body));
  EXPECT_LT(body.size(), 8192 * 3.50 / 8);
  EXPECT_NEAR(static_cast<double>(AnsEstimateSize(s)), static_cast<double>(body.size()), 8);
}

TEST(AnsCodecTest, LongConstantStreamKeepsCountPlausible) {
  // 10^6 equal values would fit in a handful of bytes, more values per byte than decoders allow.
  std::vector<int64_t> s(1'000'000, 0);
  std::string body;
  EXPECT_FALSE(AnsEncode(s, &body));
  EXPECT_TRUE(body.empty());
  // The int stream falls back to packed blocks.
  std::string stream;
  EXPECT_EQ(EncodeIntStream(s, 0, &stream), IntMode::kRaw);
}

std::string ValidBody() {
  std::mt19937_64 rng(5);
  std::vector<int64_t> s(700);
  for (auto& v : s) v = static_cast<int64_t>(rng() % 40) - 20;
  s[3] = kMax;
  std::string body;
  EXPECT_TRUE(AnsEncode(s, &body));
  return body;
}

Status DecodeBody(std::string_view body, size_t n) {
  AnsReader r;
  RETURN_IF_ERROR(r.Init(body));
  std::vector<int64_t> out(n);
  for (size_t done = 0; done < n;) {
    size_t k = std::min(kBlockSize, n - done);
    r.Next(k, out.data() + done);
    done += k;
  }
  return r.Finish(&body);
}

TEST(AnsCorruptionTest, EveryTruncationIsAnError) {
  std::string body = ValidBody();
  ASSERT_TRUE(DecodeBody(body, 700).ok());
  for (size_t len = 0; len < body.size(); ++len) {
    EXPECT_FALSE(DecodeBody(std::string_view(body).substr(0, len), 700).ok()) << len;
  }
}

TEST(AnsCorruptionTest, BitFlipsDecodeOrFailButNeverCrash) {
  std::string body = ValidBody();
  size_t failures = 0;
  for (size_t bit = 0; bit < body.size() * 8; ++bit) {
    std::string bad = body;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    failures += !DecodeBody(bad, 700).ok();
  }
  // Flips in the model or the coded words almost always break the final-state check.
  EXPECT_GT(failures, body.size() * 8 / 4);
}

TEST(AnsCorruptionTest, WrongCountIsAnError) {
  std::string body = ValidBody();
  EXPECT_FALSE(DecodeBody(body, 699).ok());
  EXPECT_FALSE(DecodeBody(body, 701).ok());
}

TEST(AnsCorruptionTest, MalformedModels) {
  AnsReader r;
  EXPECT_FALSE(r.Init("").ok());
  EXPECT_FALSE(r.Init(std::string(1, static_cast<char>(kAnsTokens))).ok());  // token count
  // Frequencies that do not add up to 4096: one token of 4095.
  std::string m;
  m.push_back(0);
  PutVarint64(&m, kAnsProbScale - 1);
  PutVarint64(&m, 0);
  EXPECT_FALSE(r.Init(m).ok());
  // A frequency above the scale.
  m.clear();
  m.push_back(1);
  PutVarint64(&m, kAnsProbScale + 1);
  PutVarint64(&m, 0);
  EXPECT_FALSE(r.Init(m).ok());
  // Frequencies adding past the scale.
  m.clear();
  m.push_back(1);
  PutVarint64(&m, kAnsProbScale);
  PutVarint64(&m, 1);
  PutVarint64(&m, 0);
  EXPECT_FALSE(r.Init(m).ok());
  // One token with all the probability must have no coded bytes.
  m.clear();
  m.push_back(0);
  PutVarint64(&m, kAnsProbScale);
  PutVarint64(&m, 8);
  m.append(8, '\x01');
  EXPECT_FALSE(r.Init(m).ok());
  // Two tokens need both states (8 bytes) and whole 16-bit words.
  for (size_t len : {0, 4, 9}) {
    m.clear();
    m.push_back(1);
    PutVarint64(&m, 2048);
    PutVarint64(&m, 2048);
    PutVarint64(&m, len);
    m.append(len, '\x01');
    EXPECT_FALSE(r.Init(m).ok()) << len;
  }
  // A state below the lower bound.
  m.clear();
  m.push_back(1);
  PutVarint64(&m, 2048);
  PutVarint64(&m, 2048);
  PutVarint64(&m, 8);
  m.append(8, '\0');
  EXPECT_FALSE(r.Init(m).ok());
}

TEST(AnsCorruptionTest, RandomBodiesNeverCrash) {
  std::mt19937_64 rng(9);
  for (int i = 0; i < 2000; ++i) {
    std::string b(rng() % 64, '\0');
    for (auto& c : b) c = static_cast<char>(rng());
    if (!b.empty()) b[0] = static_cast<char>(rng() % 8);
    (void)DecodeBody(b, 1 + rng() % 300);
  }
}

// --- Through the int stream and the chunk.

std::vector<int64_t> RandomWalk(size_t n, int step, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(n);
  int64_t x = 1000;
  for (auto& e : v) {
    x += static_cast<int64_t>(rng() % (2 * step + 1)) - step;
    e = x;
  }
  return v;
}

void ExpectStreamRoundTrip(const std::vector<int64_t>& v, int64_t base, IntMode want) {
  std::string buf;
  EXPECT_EQ(EncodeIntStream(v, base, &buf), want);
  EXPECT_EQ(buf.size(), IntStreamSize(v, base));
  std::string_view in = buf;
  std::vector<int64_t> out(v.size());
  ASSERT_TRUE(DecodeIntStream(&in, v.size(), base, out.data()).ok());
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(out, v);
}

TEST(AnsIntStreamTest, RandomWalkUsesEntropyCodedDeltas) {
  ExpectStreamRoundTrip(RandomWalk(1024, 5, 1), 0, IntMode::kAnsDelta);
  // Packed blocks only, when asked to stay readable by version-1 readers.
  std::vector<int64_t> v = RandomWalk(1024, 5, 1);
  std::string buf;
  EXPECT_EQ(EncodeIntStream(v, 0, &buf, 1), IntMode::kDelta);
}

TEST(AnsIntStreamTest, MarginalGainKeepsPackedBlocks) {
  // Deltas uniform over 1024 values: 10 bits either way; entropy coding would save < 1/64.
  std::mt19937_64 rng(6);
  std::vector<int64_t> v(8192);
  int64_t x = 0;
  for (auto& e : v) {
    x += static_cast<int64_t>(rng() % 1024) - 512;
    e = x;
  }
  ExpectStreamRoundTrip(v, 0, IntMode::kDelta);
}

TEST(AnsIntStreamTest, SkewedRawValuesUseEntropyCodedRaw) {
  std::mt19937_64 rng(2);
  std::vector<int64_t> v(4096);
  for (auto& e : v) e = rng() % 16 == 0 ? static_cast<int64_t>(rng() % 6) : 2;
  std::string buf;
  IntMode m = EncodeIntStream(v, 0, &buf);
  EXPECT_EQ(IntModeVersion(m), 2);
  ExpectStreamRoundTrip(v, 0, m);
}

TEST(AnsIntStreamTest, RegularTimestampsCostAlmostNothing) {
  std::vector<int64_t> ts(8192);
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = 1'700'000'000'000'000'000 + i * 10'000'000'000;
  std::string buf;
  EXPECT_EQ(EncodeIntStream(ts, ts[0], &buf), IntMode::kAnsDeltaOfDelta);
  EXPECT_LE(buf.size(), 12u);
  ExpectStreamRoundTrip(ts, ts[0], IntMode::kAnsDeltaOfDelta);
}

TEST(AnsIntStreamTest, JitteredTimestampsUseEntropyCodedDeltaOfDelta) {
  std::mt19937_64 rng(4);
  std::vector<int64_t> ts(2000);
  int64_t t = 0;
  for (auto& e : ts) {
    t += 1'000'000'000 + static_cast<int64_t>(rng() % 3) - 1;
    e = t;
  }
  std::string buf;
  IntMode m = EncodeIntStream(ts, 0, &buf);
  EXPECT_EQ(m, IntMode::kAnsDeltaOfDelta);
  ExpectStreamRoundTrip(ts, 0, m);
}

TEST(AnsChunkTest, MinCompatibleIsTwoOnlyWhenNeeded) {
  std::vector<TimestampNs> ts(1024);
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = static_cast<TimestampNs>(i) * 10'000'000'000;
  std::vector<double> walk(1024);
  std::vector<int64_t> k = RandomWalk(1024, 50, 8);
  for (size_t i = 0; i < walk.size(); ++i) walk[i] = static_cast<double>(k[i]) / 10;
  std::string chunk = EncodeChunk(ts, walk);
  EXPECT_EQ(chunk[0], 2);
  EXPECT_EQ(chunk[1], 2);
  auto d = DecodeChunk(chunk);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(std::get<std::vector<double>>(d->values), walk);
  // Three irregular points of strings: nothing entropy-coded, old readers can read it.
  std::string small =
      EncodeChunk(std::vector<TimestampNs>{1, 5, 6}, std::vector<std::string>{"a", "b", "a"});
  EXPECT_EQ(small[0], 2);
  EXPECT_EQ(small[1], 1);
}

TEST(AnsChunkTest, SpecialFloatsStillTakeGorilla) {
  std::vector<TimestampNs> ts(600);
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = static_cast<TimestampNs>(i) * 1000;
  std::vector<double> v(600);
  std::vector<int64_t> k = RandomWalk(600, 3, 12);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(k[i]) / 100;
  v[10] = std::nan("");
  v[20] = -0.0;
  v[30] = std::numeric_limits<double>::infinity();
  v[40] = -std::numeric_limits<double>::infinity();
  std::string cols;
  EncodeFloats(v, &cols);
  EXPECT_EQ(cols[0], static_cast<char>(FloatMode::kGorilla));
  auto d = DecodeChunk(EncodeChunk(ts, v));
  ASSERT_TRUE(d.ok());
  const auto& out = std::get<std::vector<double>>(d->values);
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i]), std::bit_cast<uint64_t>(v[i])) << i;
  }
  // Without the specials the same values are decimal with an entropy-coded stream.
  v[10] = v[20] = v[30] = v[40] = 1.5;
  cols.clear();
  EXPECT_EQ(EncodeFloats(v, &cols), 2);
  EXPECT_EQ(cols[0], static_cast<char>(FloatMode::kDecimal));
  EXPECT_EQ(IntModeVersion(static_cast<IntMode>(cols[2])), 2);
}

TEST(AnsChunkTest, TruncatedEntropyCodedChunksAreErrors) {
  std::vector<TimestampNs> ts(2000);
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = static_cast<TimestampNs>(i) * 10;
  std::vector<int64_t> v = RandomWalk(2000, 7, 21);
  std::string chunk = EncodeChunk(ts, v);
  ASSERT_EQ(chunk[1], 2);
  for (size_t len = 0; len < chunk.size(); ++len) {
    EXPECT_FALSE(DecodeChunk(chunk.substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(DecodeChunk(chunk + '\0').ok());
}

}  // namespace
}  // namespace verbund::storage::encoding
