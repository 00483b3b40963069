#include "storage/encoding/int_codec.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

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
      default:  // only transforms reach here
        return 0;
    }
  }

  std::span<const int64_t> v_;
  IntMode mode_;
  size_t start_;
};

size_t HeadSize(std::span<const int64_t> v, int64_t base, size_t start);

size_t ModeSize(std::span<const int64_t> v, int64_t base, IntMode mode) {
  StreamGen gen(v, mode);
  size_t bytes = HeadSize(v, base, gen.start());
  int64_t buf[kBlockSize];
  for (size_t i = gen.start(); i < v.size(); i += kBlockSize) {
    size_t k = std::min(kBlockSize, v.size() - i);
    gen.Fill(i, k, buf);
    bytes += PackedBlockSize(buf, k);
  }
  return bytes;
}

size_t HeadSize(std::span<const int64_t> v, int64_t base, size_t start) {
  size_t bytes = 1 + VarintLength(ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[0]) -
                                                                    static_cast<uint64_t>(base))));
  if (start == 2) {
    bytes += VarintLength(ZigZagEncode(
        static_cast<int64_t>(static_cast<uint64_t>(v[1]) - static_cast<uint64_t>(v[0]))));
  }
  return bytes;
}

// The chosen mode; for an entropy-coded mode also its body (everything after the head).
struct Plan {
  IntMode mode = IntMode::kRaw;
  size_t size = 0;
  std::string ans_body;
};

Plan BestPlan(std::span<const int64_t> v, int64_t base, uint8_t max_version) {
  Plan best{IntMode::kRaw, ModeSize(v, base, IntMode::kRaw), {}};
  if (v.size() < 2) return best;
  for (IntMode m : {IntMode::kDelta, IntMode::kDeltaOfDelta}) {
    size_t s = ModeSize(v, base, m);
    if (s < best.size) best = {m, s, {}};
  }
  if (max_version < 2) return best;
  // Entropy-coded: estimate each transform from its token counts (one pass over v), encode the
  // most promising one, keep it if smaller.
  AnsCounts counts[3] = {};
  for (size_t i = 1; i < v.size(); ++i) {
    const uint64_t d = static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1]);
    ++counts[0][AnsToken(ZigZagEncode(v[i]))];
    ++counts[1][AnsToken(ZigZagEncode(static_cast<int64_t>(d)))];
    if (i >= 2) {
      const uint64_t d0 = static_cast<uint64_t>(v[i - 1]) - static_cast<uint64_t>(v[i - 2]);
      ++counts[2][AnsToken(ZigZagEncode(static_cast<int64_t>(d - d0)))];
    }
  }
  IntMode ans_transform = IntMode::kRaw;
  size_t ans_estimate = SIZE_MAX;
  for (IntMode m : {IntMode::kRaw, IntMode::kDelta, IntMode::kDeltaOfDelta}) {
    const size_t start = StreamGen(v, m).start();
    if (start >= v.size()) continue;
    size_t e =
        HeadSize(v, base, start) + AnsEstimateSize(counts[static_cast<int>(m)], v.size() - start);
    if (e < ans_estimate) {
      ans_estimate = e;
      ans_transform = m;
    }
  }
  if (ans_estimate == SIZE_MAX || ans_estimate >= best.size + 8) return best;
  std::vector<int64_t> stream;
  StreamGen gen(v, ans_transform);
  stream.resize(v.size() - gen.start());
  gen.Fill(gen.start(), stream.size(), stream.data());
  std::string body;
  if (!AnsEncode(stream, counts[static_cast<int>(ans_transform)], &body)) return best;
  size_t size = HeadSize(v, base, gen.start()) + body.size();
  // Entropy-coded bodies decode at about half the speed of packed blocks: take one only when it
  // saves more than 1/64 of the stream.
  if (size + size / 64 >= best.size) return best;
  return {static_cast<IntMode>(static_cast<uint8_t>(ans_transform) + 3), size, std::move(body)};
}

}  // namespace

size_t IntStreamSize(std::span<const int64_t> v, int64_t base, uint8_t max_version) {
  return BestPlan(v, base, max_version).size;
}

IntMode EncodeIntStream(std::span<const int64_t> v, int64_t base, std::string* dst,
                        uint8_t max_version) {
  Plan plan = BestPlan(v, base, max_version);
  const IntMode transform = IntModeTransform(plan.mode);
  StreamGen gen(v, transform);
  dst->push_back(static_cast<char>(plan.mode));
  PutVarint64(dst, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[0]) -
                                                     static_cast<uint64_t>(base))));
  if (gen.start() == 2) {
    PutVarint64(dst, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(v[1]) -
                                                       static_cast<uint64_t>(v[0]))));
  }
  if (IntModeVersion(plan.mode) >= 2) {
    dst->append(plan.ans_body);
    return plan.mode;
  }
  int64_t buf[kBlockSize];
  for (size_t i = gen.start(); i < v.size(); i += kBlockSize) {
    size_t k = std::min(kBlockSize, v.size() - i);
    gen.Fill(i, k, buf);
    PackBlock(buf, k, dst);
  }
  return plan.mode;
}

}  // namespace verbund::storage::encoding
