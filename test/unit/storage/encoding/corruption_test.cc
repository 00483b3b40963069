// Malformed chunks must give an error or a valid decode, never a crash or an out-of-bounds read
// (run under ASan/UBSan with -DVERBUND_SANITIZE=ON for full effect).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "storage/chunk_codec.h"

namespace verbund::storage {
namespace {

constexpr TimestampNs kT0 = 1'700'000'000'000'000'000;

std::vector<std::string> SmallChunks() {
  std::vector<TimestampNs> ts;
  for (int i = 0; i < 150; ++i) ts.push_back(kT0 + i * 10'000'000'000 + (i % 7) * 1000);
  std::vector<double> dec(ts.size()), gor(ts.size());
  std::vector<int64_t> ints(ts.size());
  std::vector<uint8_t> bools(ts.size());
  std::vector<std::string> strs(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    dec[i] = std::round(std::sin(i * 0.1) * 1000) / 100;
    gor[i] = std::sin(i * 0.1);
    ints[i] = static_cast<int64_t>(i * i) - 5000;
    bools[i] = (i / 9) % 2;
    strs[i] = "s" + std::to_string(i % 5);
  }
  return {EncodeChunk(ts, dec), EncodeChunk(ts, gor), EncodeChunk(ts, ints), EncodeChunk(ts, bools),
          EncodeChunk(ts, strs)};
}

void DecodeAnything(std::string_view bytes) {
  auto r = DecodeChunk(bytes);
  if (r.ok()) {
    EXPECT_EQ(r->ts.size(), ColumnSize(r->values));
  } else {
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  }
  auto h = DecodeChunkHeader(bytes);
  if (!h.ok()) {
    EXPECT_EQ(h.status().code(), StatusCode::kCorruption);
  }
}

TEST(ChunkCorruptionTest, EveryTruncationIsAnError) {
  for (const std::string& chunk : SmallChunks()) {
    for (size_t len = 0; len < chunk.size(); ++len) {
      // Copy so ASan sees the exact end of the buffer.
      std::string prefix = chunk.substr(0, len);
      auto r = DecodeChunk(prefix);
      EXPECT_FALSE(r.ok()) << "len " << len;
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
      }
    }
  }
}

TEST(ChunkCorruptionTest, EveryBitFlipDecodesOrFails) {
  for (const std::string& chunk : SmallChunks()) {
    for (size_t bit = 0; bit < chunk.size() * 8; ++bit) {
      std::string bad = chunk;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      DecodeAnything(bad);
    }
  }
}

TEST(ChunkCorruptionTest, TrailingGarbageIsAnError) {
  for (std::string chunk : SmallChunks()) {
    chunk.push_back('\0');
    EXPECT_FALSE(DecodeChunk(chunk).ok());
  }
}

TEST(ChunkCorruptionTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    if (s.size() >= 3) {
      s[0] = 1;
      s[1] = 1;
      s[2] = static_cast<char>(1 + rng() % 4);
    }
    DecodeAnything(s);
  }
}

TEST(ChunkCorruptionTest, HugeCountIsRejectedBeforeAllocating) {
  std::string s = {1, 1, 1};
  s += "\xff\xff\xff\xff\x0f";  // count = 2^32 - 1
  s.append(60, '\0');
  EXPECT_FALSE(DecodeChunk(s).ok());
  std::string t = {1, 1, 1};
  t += "\x80\x80\x80\x02";  // count = 2^22, under the hard cap, but the input is tiny
  t.append(8 + 1 + 40, '\0');
  t += "\x02";  // ts section of 2 bytes
  t += "\x02\x00";
  EXPECT_FALSE(DecodeChunk(t).ok());
}

}  // namespace
}  // namespace verbund::storage
