#include "storage/encoding/int_codec.h"

#include <algorithm>
#include <array>

namespace verbund::storage::encoding {
namespace {

// The stream values mode `m` stores after its head values, produced block by block.
class StreamGen {
 public:
  StreamGen(std::span<const int64_t> v, IntMode mode) : v_(v), mode_(mode) {
    start_ = (mode == IntMode::kDeltaOfDelta && v.size() >= 2) ? 2 : 1;
  }
  size_t start() const { return start_; }

  // Fills out[0..k) with stream values for input positions [i, i + k).
  void Fill(size_t i, size_t k, int64_t* out) const {
    for (size_t j = 0; j < k; ++j) out[j] = At(i + j);
  }

 private:
  uint64_t U(size_t i) const { return static_cast<uint64_t>(v_[i]); }
  int64_t At(size_t i) const {
    switch (mode_) {
      case IntMode::kRaw:
        return v_[i];
      case IntMode::kDelta:
        return static_cast<int64_t>(U(i) - U(i - 1));
      case IntMode::kDeltaOfDelta:
        return static_cast<int64_t>((U(i) - U(i - 1)) - (U(i - 1) - U(i - 2)));
    }
    return 0;
  }

  std::span<const int64_t> v_;
  IntMode mode_;
  size_t start_;
};

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t ModeSize(std::span<const int64_t> v, int64_t base, IntMode mode) {
  StreamGen gen(v, mode);
  size_t bytes = 1 + VarintLength(ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[0]) -
                                                                    static_cast<uint64_t>(base))));
  if (gen.start() == 2) {
    bytes += VarintLength(ZigZagEncode(
        static_cast<int64_t>(static_cast<uint64_t>(v[1]) - static_cast<uint64_t>(v[0]))));
  }
  int64_t buf[kBlockSize];
  for (size_t i = gen.start(); i < v.size(); i += kBlockSize) {
    size_t k = std::min(kBlockSize, v.size() - i);
    gen.Fill(i, k, buf);
    bytes += PackedBlockSize(buf, k);
  }
  return bytes;
}

IntMode BestMode(std::span<const int64_t> v, int64_t base, size_t* size) {
  IntMode best = IntMode::kRaw;
  size_t best_size = ModeSize(v, base, IntMode::kRaw);
  for (IntMode m : {IntMode::kDelta, IntMode::kDeltaOfDelta}) {
    if (v.size() < 2) break;
    size_t s = ModeSize(v, base, m);
    if (s < best_size) {
      best = m;
      best_size = s;
    }
  }
  *size = best_size;
  return best;
}

}  // namespace

size_t IntStreamSize(std::span<const int64_t> v, int64_t base) {
  size_t size = 0;
  BestMode(v, base, &size);
  return size;
}

void EncodeIntStream(std::span<const int64_t> v, int64_t base, std::string* dst) {
  size_t size = 0;
  IntMode mode = BestMode(v, base, &size);
  StreamGen gen(v, mode);
  dst->push_back(static_cast<char>(mode));
  PutVarint64(dst, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[0]) -
                                                     static_cast<uint64_t>(base))));
  if (gen.start() == 2) {
    PutVarint64(dst, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[1]) -
                                                       static_cast<uint64_t>(v[0]))));
  }
  int64_t buf[kBlockSize];
  for (size_t i = gen.start(); i < v.size(); i += kBlockSize) {
    size_t k = std::min(kBlockSize, v.size() - i);
    gen.Fill(i, k, buf);
    PackBlock(buf, k, dst);
  }
}

}  // namespace verbund::storage::encoding
