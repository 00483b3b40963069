// Keys and values of the chunk store (RocksDB column family "chunks"). Layout in
// doc/format/chunk-store.md.
//
//   key    | series id (8, BE) | chunk start = min ts (8, BE, sign bit flipped) | seq (8, BE) |
//   value  | version (1) = 1 | key id (4, LE) | max ts (8, LE) | nonce (12) | ciphertext | tag (16) |
//   plaintext  | flags (1) | m2 (8, LE IEEE-754) | EncodeChunk() bytes |
//   AAD    "VBCHK1" | series id (8) | min ts (8) | max ts (8) | key id (4) | seq (8)   (LE)
//
// The AAD binds a chunk to its key: a chunk moved to another series, time range or sequence
// slot fails authentication. Statistics (count, min, max, sum, first, last in the codec header;
// m2 here) live only inside the sealed plaintext; the clear part reveals only the time range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "keys/aead.h"
#include "storage/types.h"

namespace verbund::storage {

inline constexpr uint8_t kChunkValueVersion = 1;
inline constexpr size_t kChunkKeyBytes = 24;
inline constexpr size_t kChunkValueHeaderBytes = 13;
inline constexpr uint8_t kChunkFlagHasNaN = 1;  // stats alone cannot answer aggregates

std::string ChunkKey(SeriesId id, TimestampNs start, uint64_t seq);
// Smallest key of a series at or after `start`.
std::string ChunkSeekKey(SeriesId id, TimestampNs start);
struct ChunkKeyParts {
  SeriesId id = 0;
  TimestampNs start = 0;
  uint64_t seq = 0;
};
bool ParseChunkKey(std::string_view key, ChunkKeyParts* parts);

struct ChunkValueHeader {
  keys::KeyId key_id = 0;
  TimestampNs max_ts = 0;
};
// Corruption when the value is too short or of an unknown version.
Status ParseChunkValueHeader(std::string_view value, ChunkValueHeader* header);

std::string ChunkAad(SeriesId id, TimestampNs min_ts, TimestampNs max_ts, keys::KeyId key_id,
                     uint64_t seq);

// Builds a sealed value.
Status SealChunkValue(const keys::DataKey& key, keys::KeyId key_id, const ChunkKeyParts& k,
                      TimestampNs max_ts, uint8_t flags, double m2, std::string_view encoded,
                      std::string* out);

// Opens a sealed value; *plaintext receives flags|m2|encoded. Corruption on any mismatch.
struct OpenedChunk {
  uint8_t flags = 0;
  double m2 = 0;
  std::string_view encoded;  // into *plaintext
};
Status OpenChunkValue(const keys::DataKey& key, const ChunkKeyParts& k, std::string_view value,
                      std::string* plaintext, OpenedChunk* out);

}  // namespace verbund::storage
