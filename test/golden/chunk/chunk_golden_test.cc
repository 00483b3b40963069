// Golden chunks. v2_*.chunk are written by the current format version (2): each must decode to
// the samples below and re-encode to identical bytes, so neither the reader nor the writer can
// drift silently. v1_*.chunk were written by version 1 and are frozen: they must keep decoding
// to the same samples (the writer no longer produces them byte for byte).
// Regenerate the current version's files (only for a deliberate format change, with a version
// bump; rename the old ones to keep them as decode-only goldens) with
//   VERBUND_UPDATE_GOLDEN=1 storage_chunk_golden_test
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "golden/golden_file.h"
#include "storage/chunk_codec.h"

namespace verbund::storage {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;
constexpr TimestampNs kTen = 10'000'000'000;

struct Golden {
  const char* file;  // without the "v<version>_" prefix
  std::vector<TimestampNs> ts;
  ValueColumn values;
};

std::vector<TimestampNs> Regular(size_t n) {
  std::vector<TimestampNs> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = kT0 + static_cast<TimestampNs>(i) * kTen;
  return ts;
}

std::vector<Golden> Goldens() {
  std::vector<Golden> g;
  {
    // The worked example of doc/format/chunk.md.
    g.push_back({"float_decimal_example.chunk",
                 {kT0, kT0 + kTen, kT0 + 2 * kTen, kT0 + 3 * kTen},
                 std::vector<double>{21.5, 21.75, 21.5, 22.0}});
  }
  {
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::round(2000 * std::sin(i / 40.0)) / 100;
    g.push_back({"float_decimal.chunk", Regular(v.size()), v});
  }
  {
    // Rare steps: deltas are mostly zero (sparse blocks).
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 - 0.1 * static_cast<double>(i / 70);
    v[150] = 4321;
    g.push_back({"float_sparse.chunk", Regular(v.size()), v});
  }
  {
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(i / 40.0) * 1e-3;
    v[5] = std::nan("");
    v[6] = -0.0;
    v[7] = std::numeric_limits<double>::infinity();
    g.push_back({"float_gorilla.chunk", Regular(v.size()), v});
  }
  {
    std::vector<TimestampNs> ts = Regular(300);
    for (size_t i = 0; i < ts.size(); ++i) ts[i] += static_cast<TimestampNs>((i * 7919) % 1000);
    std::vector<int64_t> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i * i) - 1000;
    v[0] = std::numeric_limits<int64_t>::min();
    v[299] = std::numeric_limits<int64_t>::max();
    g.push_back({"int.chunk", ts, v});
  }
  {
    std::vector<uint8_t> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (i / 17) % 3 == 0;
    g.push_back({"bool.chunk", Regular(v.size()), v});
  }
  {
    std::vector<std::string> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = "state-" + std::to_string((i / 5) % 4);
    g.push_back({"string.chunk", Regular(v.size()), v});
  }
  {
    std::vector<std::string> v = {"a", "b"};
    g.push_back({"string_small.chunk", {-kTen, -kTen}, v});
  }
  // Version 2: entropy-coded integer streams (int_stream modes 3..5).
  {
    // A TSBS-like random walk with one decimal: decimal floats, entropy-coded deltas; regular
    // timestamps: entropy-coded deltas of deltas with a single token.
    std::vector<double> v(1024);
    uint64_t r = 1;
    int64_t k = 250;
    for (size_t i = 0; i < v.size(); ++i) {
      r = r * 6364136223846793005u + 1442695040888963407u;
      k += static_cast<int64_t>((r >> 33) % 101) - 50;
      v[i] = static_cast<double>(k) / 10;
    }
    g.push_back({"float_ans_delta.chunk", Regular(v.size()), v});
  }
  {
    // Skewed small integers (a status code): entropy-coded raw values; jittered timestamps:
    // entropy-coded deltas of deltas with several tokens.
    std::vector<TimestampNs> ts = Regular(2000);
    std::vector<int64_t> v(2000);
    uint64_t r = 7;
    for (size_t i = 0; i < v.size(); ++i) {
      r = r * 6364136223846793005u + 1442695040888963407u;
      ts[i] += static_cast<TimestampNs>((r >> 40) % 3);
      v[i] = (r >> 50) % 8 == 0 ? static_cast<int64_t>((r >> 20) % 6) : 3;
    }
    g.push_back({"int_ans_raw.chunk", ts, v});
  }
  {
    // Every token with extra bits (int64 extremes and all bit widths).
    std::vector<int64_t> v(3000);
    uint64_t r = 3;
    for (size_t i = 0; i < v.size(); ++i) {
      r = r * 6364136223846793005u + 1442695040888963407u;
      v[i] = (r >> 61) == 0 ? static_cast<int64_t>(r >> (r % 64)) : static_cast<int64_t>(r % 5);
    }
    v[0] = std::numeric_limits<int64_t>::min();
    v[1] = std::numeric_limits<int64_t>::max();
    g.push_back({"int_ans_wide.chunk", Regular(v.size()), v});
  }
  return g;
}

std::string Path(const char* file) { return golden::Path("chunk", file); }

bool SameBits(const ValueColumn& a, const ValueColumn& b) {
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

void ExpectDecodes(const std::string& bytes, const Golden& g) {
  ASSERT_FALSE(bytes.empty()) << "missing golden file";
  auto decoded = DecodeChunk(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->ts, g.ts);
  EXPECT_TRUE(SameBits(decoded->values, g.values));
}

TEST(ChunkGoldenTest, CurrentVersionDecodesAndReencodesToIdenticalBytes) {
  for (const Golden& g : Goldens()) {
    const std::string file = std::string("v2_") + g.file;
    SCOPED_TRACE(file);
    if (golden::Updating()) golden::Write(Path(file.c_str()), EncodeChunk(g.ts, g.values));
    std::string bytes = golden::Read(Path(file.c_str()));
    ExpectDecodes(bytes, g);
    EXPECT_EQ(EncodeChunk(g.ts, g.values), bytes);
  }
}

TEST(ChunkGoldenTest, EntropyCodedGoldensNeedVersionTwoReaders) {
  for (const char* file :
       {"v2_float_ans_delta.chunk", "v2_int_ans_raw.chunk", "v2_int_ans_wide.chunk"}) {
    std::string bytes = golden::Read(Path(file));
    ASSERT_GE(bytes.size(), 2u) << file;
    EXPECT_EQ(bytes[0], 2) << file;
    EXPECT_EQ(bytes[1], 2) << file;
  }
}

TEST(ChunkGoldenTest, VersionOneFilesStillDecode) {
  int found = 0;
  for (const Golden& g : Goldens()) {
    const std::string file = std::string("v1_") + g.file;
    std::string bytes = golden::Read(Path(file.c_str()));
    if (bytes.empty()) continue;  // samples added after version 1
    SCOPED_TRACE(file);
    ++found;
    EXPECT_EQ(bytes[0], 1);
    ExpectDecodes(bytes, g);
  }
  EXPECT_EQ(found, 8);
}

}  // namespace
}  // namespace verbund::storage
