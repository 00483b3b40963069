// Golden chunks: files written by format version 1. Each must decode to the samples below and
// re-encode to identical bytes, so neither the reader nor the writer can drift silently.
// Regenerate (only for a deliberate format change, with a version bump) with
//   VERBUND_UPDATE_GOLDEN=1 storage_chunk_golden_test
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>

#include "storage/chunk_codec.h"

namespace verbund::storage {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;
constexpr TimestampNs kTen = 10'000'000'000;

struct Golden {
  const char* file;
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
    g.push_back({"v1_float_decimal_example.chunk",
                 {kT0, kT0 + kTen, kT0 + 2 * kTen, kT0 + 3 * kTen},
                 std::vector<double>{21.5, 21.75, 21.5, 22.0}});
  }
  {
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::round(2000 * std::sin(i / 40.0)) / 100;
    g.push_back({"v1_float_decimal.chunk", Regular(v.size()), v});
  }
  {
    // Rare steps: deltas are mostly zero (sparse blocks).
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 - 0.1 * static_cast<double>(i / 70);
    v[150] = 4321;
    g.push_back({"v1_float_sparse.chunk", Regular(v.size()), v});
  }
  {
    std::vector<double> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(i / 40.0) * 1e-3;
    v[5] = std::nan("");
    v[6] = -0.0;
    v[7] = std::numeric_limits<double>::infinity();
    g.push_back({"v1_float_gorilla.chunk", Regular(v.size()), v});
  }
  {
    std::vector<TimestampNs> ts = Regular(300);
    for (size_t i = 0; i < ts.size(); ++i) ts[i] += static_cast<TimestampNs>((i * 7919) % 1000);
    std::vector<int64_t> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i * i) - 1000;
    v[0] = std::numeric_limits<int64_t>::min();
    v[299] = std::numeric_limits<int64_t>::max();
    g.push_back({"v1_int.chunk", ts, v});
  }
  {
    std::vector<uint8_t> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (i / 17) % 3 == 0;
    g.push_back({"v1_bool.chunk", Regular(v.size()), v});
  }
  {
    std::vector<std::string> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = "state-" + std::to_string((i / 5) % 4);
    g.push_back({"v1_string.chunk", Regular(v.size()), v});
  }
  {
    std::vector<std::string> v = {"a", "b"};
    g.push_back({"v1_string_small.chunk", {-kTen, -kTen}, v});
  }
  return g;
}

std::string Path(const char* file) {
  return std::string(VERBUND_SOURCE_DIR) + "/test/golden/chunk/" + file;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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

TEST(ChunkGoldenTest, DecodesAndReencodesToIdenticalBytes) {
  bool update = std::getenv("VERBUND_UPDATE_GOLDEN") != nullptr;
  for (const Golden& g : Goldens()) {
    SCOPED_TRACE(g.file);
    if (update) {
      std::ofstream out(Path(g.file), std::ios::binary);
      std::string bytes = EncodeChunk(g.ts, g.values);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    std::string bytes = ReadFile(Path(g.file));
    ASSERT_FALSE(bytes.empty()) << "missing golden file";
    auto decoded = DecodeChunk(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->ts, g.ts);
    EXPECT_TRUE(SameBits(decoded->values, g.values));
    EXPECT_EQ(EncodeChunk(decoded->ts, decoded->values), bytes);
  }
}

}  // namespace
}  // namespace verbund::storage
