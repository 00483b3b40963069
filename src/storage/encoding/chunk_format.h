// Constants shared by the chunk encoder and decoder. Byte layout in doc/format/chunk.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace verbund::storage::encoding {

// Written into byte 0 of every chunk. Bump when the writer changes the layout.
inline constexpr uint8_t kChunkFormatVersion = 1;
// Written into byte 1: the oldest reader version that can still decode what this writer emits.
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

// Integer stream modes (first byte of an integer stream).
enum class IntMode : uint8_t { kRaw = 0, kDelta = 1, kDeltaOfDelta = 2 };

// Float column modes (first byte of a float column).
enum class FloatMode : uint8_t { kDecimal = 0, kGorilla = 1 };

// Largest decimal exponent the float encoder tries (values are k / 10^e, |k| <= 2^53).
inline constexpr int kMaxDecimalExponent = 15;

// Decoded string columns larger than this are refused (guards memory against hostile input).
inline constexpr size_t kMaxStringSectionBytes = 64u << 20;
inline constexpr size_t kMaxDecodedStringBytes = 256u << 20;

}  // namespace verbund::storage::encoding
