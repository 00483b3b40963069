// Chunk encoding: a sorted run of one series' samples <-> a compact byte string (plaintext;
// the chunk store seals it with AES-256-GCM). Byte layout in doc/format/chunk.md.
//
//   timestamps: delta-of-delta, zigzag, variable-width bit-packing or (format 2) static rANS
//   floats:     decimal-to-integer (ALP/VictoriaMetrics style) when every value has few
//               decimals, Gorilla XOR otherwise; the cheaper of the two is chosen per chunk
//   integers:   raw / delta / delta-of-delta, zigzag, bit-packing or (format 2) static rANS;
//               the smallest is chosen per stream (decimal floats' integers included)
//   booleans:   run-length
//   strings:    dictionary + zstd
//
// Thread-safety: all functions are pure; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "storage/types.h"

namespace verbund::storage {

// Column of values of one type. Booleans as uint8_t (0/1) for contiguous storage.
using ValueColumn = std::variant<std::vector<double>, std::vector<int64_t>,
                                 std::vector<uint8_t>, std::vector<std::string>>;

ValueType ColumnType(const ValueColumn& c);
size_t ColumnSize(const ValueColumn& c);

// Summary kept beside each sealed chunk (and inside its header), so aggregates over whole chunks
// need no decoding. For non-numeric types only count/min_ts/max_ts are meaningful; for bool,
// sum counts the trues.
struct ChunkStats {
  uint32_t count = 0;
  TimestampNs min_ts = 0;
  TimestampNs max_ts = 0;
  double min = 0, max = 0, sum = 0;  // over non-NaN values; NaNs are counted in count only
  double first = 0, last = 0;        // value at min_ts / max_ts (numeric types)
};

// Encodes samples sorted by timestamp ascending (equal timestamps allowed; kept in order).
// ts.size() must equal ColumnSize(values) and be >= 1 (and <= 2^22, kMaxChunkSamples). Unsorted
// input is a contract violation: DecodeChunk rejects the result as Corruption.
std::string EncodeChunk(std::span<const TimestampNs> ts, const ValueColumn& values);

// Decodes a chunk produced by EncodeChunk. Corruption (never a crash) on any malformed input.
struct DecodedChunk {
  std::vector<TimestampNs> ts;
  ValueColumn values;
};
Result<DecodedChunk> DecodeChunk(std::string_view chunk);

// As DecodeChunk, but reuses *out's buffers (no allocation once they are large enough), for scans
// that decode many chunks. On error *out holds unspecified (but valid) contents.
Status DecodeChunkInto(std::string_view chunk, DecodedChunk* out);

// Reads only the header: type, count, stats. Cheap.
struct ChunkHeader {
  ValueType type = ValueType::kFloat;
  ChunkStats stats;
};
Result<ChunkHeader> DecodeChunkHeader(std::string_view chunk);

ChunkStats ComputeStats(std::span<const TimestampNs> ts, const ValueColumn& values);

}  // namespace verbund::storage
