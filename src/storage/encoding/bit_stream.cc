#include "storage/encoding/bit_stream.h"

#include <array>
#include <utility>

#include "core/coding.h"

namespace verbund::storage::encoding {
namespace {

enum class BlockKind { kZigZag, kFor, kSparse };

struct BlockPlan {
  BlockKind kind = BlockKind::kZigZag;
  int width = 0;
  int64_t base = 0;
  size_t exceptions = 0;  // sparse only
  size_t bytes = 0;
};

BlockPlan PlanBlock(const int64_t* v, size_t k) {
  uint64_t zz_or = 0;
  size_t nonzero = 0;
  int64_t lo = v[0], hi = v[0];
  for (size_t i = 0; i < k; ++i) {
    zz_or |= ZigZagEncode(v[i]);
    nonzero += v[i] != 0;
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  int zz_width = BitWidth(zz_or);
  int for_width = BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo));
  BlockPlan best{BlockKind::kZigZag, zz_width, 0, 0, 1 + (k * zz_width + 7) / 8};
  size_t for_bytes = 1 + VarintLength(ZigZagEncode(lo)) + (k * for_width + 7) / 8;
  if (for_bytes < best.bytes) best = {BlockKind::kFor, for_width, lo, 0, for_bytes};
  // Sparse: header, exception count, width, then (position, value) bit pairs.
  size_t sparse_bytes = 3 + (nonzero * (kSparsePositionBits + zz_width) + 7) / 8;
  if (nonzero > 0 && sparse_bytes < best.bytes) {
    best = {BlockKind::kSparse, zz_width, 0, nonzero, sparse_bytes};
  }
  return best;
}

// Unpacks k values of width W from a buffer padded with at least 16 readable bytes.
template <int W>
void UnpackFixed(const uint8_t* p, size_t k, uint64_t* out) {
  if constexpr (W == 0) {
    for (size_t i = 0; i < k; ++i) out[i] = 0;
  } else {
    constexpr uint64_t mask = W >= 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    for (size_t i = 0; i < k; ++i) {
      size_t bit = i * W;
      const uint8_t* q = p + (bit >> 3);
      int shift = static_cast<int>(bit & 7);
      uint64_t x = LoadLE64(q) >> shift;
      if constexpr (W > 56) {
        if (shift + W > 64) x |= static_cast<uint64_t>(q[8]) << (64 - shift);
      }
      out[i] = x & mask;
    }
  }
}

using UnpackFn = void (*)(const uint8_t*, size_t, uint64_t*);

template <size_t... I>
constexpr std::array<UnpackFn, sizeof...(I)> MakeUnpackTable(std::index_sequence<I...>) {
  return {&UnpackFixed<static_cast<int>(I)>...};
}
constexpr auto kUnpack = MakeUnpackTable(std::make_index_sequence<65>());

}  // namespace

size_t PackedBlockSize(const int64_t* v, size_t k) { return PlanBlock(v, k).bytes; }

void PackBlock(const int64_t* v, size_t k, std::string* dst) {
  BlockPlan plan = PlanBlock(v, k);
  if (plan.kind == BlockKind::kSparse) {
    dst->push_back(static_cast<char>(kBlockSparse));
    dst->push_back(static_cast<char>(plan.exceptions));
    dst->push_back(static_cast<char>(plan.width));
    BitWriter w(dst);
    for (size_t i = 0; i < k; ++i) {
      if (v[i] == 0) continue;
      w.Write(i, kSparsePositionBits);
      w.Write(ZigZagEncode(v[i]), plan.width);
    }
    w.Flush();
    return;
  }
  bool use_for = plan.kind == BlockKind::kFor;
  dst->push_back(static_cast<char>(plan.width | (use_for ? kBlockForFlag : 0)));
  if (use_for) PutVarint64(dst, ZigZagEncode(plan.base));
  BitWriter w(dst);
  for (size_t i = 0; i < k; ++i) {
    uint64_t u = use_for ? static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(plan.base)
                         : ZigZagEncode(v[i]);
    w.Write(u, plan.width);
  }
  w.Flush();
}

namespace {

// Sparse block body: count, width, then count (position, zigzag value) pairs.
Status ReadSparse(std::string_view* in, size_t k, int64_t* out) {
  if (in->size() < 2) return Corruption("sparse block: truncated header");
  size_t count = static_cast<uint8_t>((*in)[0]);
  int width = static_cast<uint8_t>((*in)[1]);
  in->remove_prefix(2);
  if (count == 0 || count > k || width > 64) return Corruption("sparse block: bad header");
  size_t nbytes = (count * (kSparsePositionBits + width) + 7) / 8;
  if (nbytes > in->size()) return Corruption("sparse block: truncated data");
  BitReader r(reinterpret_cast<const uint8_t*>(in->data()), nbytes);
  in->remove_prefix(nbytes);
  for (size_t i = 0; i < k; ++i) out[i] = 0;
  size_t next = 0;  // positions must increase
  for (size_t e = 0; e < count; ++e) {
    size_t pos = r.Read(kSparsePositionBits);
    if (pos < next || pos >= k) return Corruption("sparse block: bad position");
    out[pos] = ZigZagDecode(r.Read(width));
    next = pos + 1;
  }
  return Status::OK();
}

}  // namespace

Status BlockReader::Next(size_t k, int64_t* out) {
  if (in_.empty()) return Corruption("packed block: truncated header");
  uint8_t header = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  if (header == kBlockSparse) return ReadSparse(&in_, k, out);
  int width = header & kBlockWidthMask;
  bool use_for = (header & kBlockForFlag) != 0;
  if (width > 64) return Corruption("packed block: width > 64");
  uint64_t base = 0;
  if (use_for) {
    if (!GetVarint64(&in_, &base)) return Corruption("packed block: bad base");
    base = static_cast<uint64_t>(ZigZagDecode(base));
  }
  size_t nbytes = (k * width + 7) / 8;
  if (nbytes > in_.size()) return Corruption("packed block: truncated data");
  // Copy into a zero-padded buffer so the unpacker can load 8 bytes at any position.
  alignas(8) uint8_t buf[kBlockSize * 8 + 16];
  std::memcpy(buf, in_.data(), nbytes);
  std::memset(buf + nbytes, 0, 16);
  in_.remove_prefix(nbytes);
  uint64_t u[kBlockSize];
  kUnpack[width](buf, k, u);
  if (use_for) {
    for (size_t i = 0; i < k; ++i) out[i] = static_cast<int64_t>(base + u[i]);
  } else {
    for (size_t i = 0; i < k; ++i) out[i] = ZigZagDecode(u[i]);
  }
  return Status::OK();
}

}  // namespace verbund::storage::encoding
