// Bit-level writer and reader (LSB-first within little-endian bytes) and the block bit-packer
// that every integer stream in a chunk uses. Layout in doc/format/chunk.md ("Packed blocks").
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/encoding/chunk_format.h"

namespace verbund::storage::encoding {

inline uint64_t LowMask(int nbits) {
  return nbits >= 64 ? ~uint64_t{0} : (uint64_t{1} << nbits) - 1;
}

// Number of bits needed to hold v (0 for v == 0).
inline int BitWidth(uint64_t v) { return static_cast<int>(std::bit_width(v)); }

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Appends bits to a string, LSB-first. Flush() pads the last byte with zero bits.
class BitWriter {
 public:
  explicit BitWriter(std::string* dst) : dst_(dst) {}

  // Writes the low nbits (0..64) of v.
  void Write(uint64_t v, int nbits) {
    if (nbits == 0) return;
    v &= LowMask(nbits);
    acc_ |= v << n_;
    if (n_ + nbits >= 64) {
      EmitBytes(acc_, 8);
      int used = 64 - n_;
      acc_ = used >= 64 ? 0 : v >> used;
      n_ = n_ + nbits - 64;
    } else {
      n_ += nbits;
    }
  }
  void Flush() {
    EmitBytes(acc_, (n_ + 7) / 8);
    acc_ = 0;
    n_ = 0;
  }

 private:
  void EmitBytes(uint64_t v, int nbytes) {
    char b[8];
    for (int i = 0; i < nbytes; ++i) b[i] = static_cast<char>(v >> (8 * i));
    dst_->append(b, nbytes);
  }

  std::string* dst_;
  uint64_t acc_ = 0;
  int n_ = 0;
};

// Reads bits LSB-first from a byte range. Reading past the end yields zero bits and sets
// overflowed(); callers check it once after a run of reads. Never reads outside the range.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size), total_bits_(size * 8) {}

  uint64_t Read(int nbits) {
    if (nbits == 0) return 0;
    if (pos_ + nbits > total_bits_) {
      overflowed_ = true;
      pos_ = total_bits_;
      return 0;
    }
    size_t byte = pos_ >> 3;
    int shift = static_cast<int>(pos_ & 7);
    uint64_t v;
    if (byte + 9 <= size_) [[likely]] {
      v = LoadLE64(data_ + byte) >> shift;
      if (shift + nbits > 64) v |= static_cast<uint64_t>(data_[byte + 8]) << (64 - shift);
    } else {
      uint8_t tmp[16] = {};
      std::memcpy(tmp, data_ + byte, size_ - byte);
      v = LoadLE64(tmp) >> shift;
      if (shift + nbits > 64) v |= static_cast<uint64_t>(tmp[8]) << (64 - shift);
    }
    pos_ += nbits;
    return v & LowMask(nbits);
  }
  bool ReadBit() { return Read(1) != 0; }

  bool overflowed() const { return overflowed_; }
  // Whole bytes touched so far (a partial last byte counts).
  size_t BytesConsumed() const { return (pos_ + 7) / 8; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t total_bits_;
  size_t pos_ = 0;
  bool overflowed_ = false;
};

// Appends one packed block of k (1..kBlockSize) signed stream values. The block is stored either
// zigzag-encoded or relative to its minimum (frame of reference), whichever is smaller.
void PackBlock(const int64_t* v, size_t k, std::string* dst);

// Bytes PackBlock would append for these values.
size_t PackedBlockSize(const int64_t* v, size_t k);

// Reads packed blocks back, one block per call. Never reads outside its input.
class BlockReader {
 public:
  explicit BlockReader(std::string_view in) : in_(in) {}

  // Decodes the next block of k (1..kBlockSize) values into out[0..k). Corruption on truncation
  // or an invalid width.
  Status Next(size_t k, int64_t* out);

  // The input not yet consumed.
  std::string_view remaining() const { return in_; }

 private:
  std::string_view in_;
};

}  // namespace verbund::storage::encoding
