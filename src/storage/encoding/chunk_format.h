// Constants shared by the chunk encoder and decoder. Byte layout in doc/format/chunk.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace verbund::storage::encoding {

// Written into byte 0 of every chunk. Bump when the writer changes the layout.
// Version 2 added the entropy-coded integer stream modes (IntMode 3..5).
inline constexpr uint8_t kChunkFormatVersion = 2;
// Written into byte 1: the oldest reader version that can decode the chunk. The writer puts 2
// there only when one of the chunk's integer streams uses a version-2 mode, 1 otherwise (a
// version-1 reader then still reads it).
inline constexpr uint8_t kChunkMinCompatibleVersion = 1;

// Upper bound on samples in one chunk; the decoder rejects larger counts before allocating.
inline constexpr uint32_t kMaxChunkSamples = 1u << 22;

// Integer streams are bit-packed in blocks of this many values, each with its own width.
inline constexpr size_t kBlockSize = 128;

// Block header byte: low 7 bits = bit width (0..64); high bit = frame-of-reference base follows.
// The header kBlockSparse instead marks a block of zeros with a few exceptions.
inline constexpr uint8_t kBlockWidthMask = 0x7f;
inline constexpr uint8_t kBlockForFlag = 0x80;
inline constexpr uint8_t kBlockSparse = 65;
// Bits per exception position in a sparse block (positions are < kBlockSize).
inline constexpr int kSparsePositionBits = 7;

// Integer stream modes (first byte of an integer stream). Modes 0..2 store their stream values
// in packed blocks; modes 3..5 (format version 2) apply the same transform (mode - 3) and
// entropy-code the result (ans_codec.h).
enum class IntMode : uint8_t {
  kRaw = 0,
  kDelta = 1,
  kDeltaOfDelta = 2,
  kAnsRaw = 3,
  kAnsDelta = 4,
  kAnsDeltaOfDelta = 5,
};
inline constexpr uint8_t kMaxIntMode = 5;
// The oldest chunk format version that can read a stream of this mode.
inline constexpr uint8_t IntModeVersion(IntMode m) { return static_cast<uint8_t>(m) >= 3 ? 2 : 1; }
// The transform of a mode: kRaw, kDelta or kDeltaOfDelta.
inline constexpr IntMode IntModeTransform(IntMode m) {
  return static_cast<IntMode>(static_cast<uint8_t>(m) % 3);
}

// Allocation guard: an integer stream of n values takes at least n / kMaxIntStreamValuesPerByte
// bytes (packed blocks take >= 1 byte per kBlockSize values; the entropy-coded encoder falls back
// to blocks rather than break this), so decoders cap n by the input size before allocating.
inline constexpr size_t kMaxIntStreamValuesPerByte = 4096;

// Float column modes (first byte of a float column).
enum class FloatMode : uint8_t { kDecimal = 0, kGorilla = 1 };

// Largest decimal exponent the float encoder tries (values are k / 10^e, |k| <= 2^53).
inline constexpr int kMaxDecimalExponent = 15;

// Decoded string columns larger than this are refused (guards memory against hostile input).
inline constexpr size_t kMaxStringSectionBytes = 64u << 20;
inline constexpr size_t kMaxDecodedStringBytes = 256u << 20;

}  // namespace verbund::storage::encoding
