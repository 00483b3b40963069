// WAL on-disk constants shared by the writer and the reader. Layout in doc/format/wal.md.
//
//   segment file  wal/<segment number, 16 hex digits>.wal
//   record        | masked CRC32C (4) | length (4) | type (1) | payload (length) |
//                 little-endian; CRC32C over type and payload, masked as in LevelDB.
//
// The first record of every segment is kSegmentHeader; the others carry sealed payloads:
//   payload = | key id (4) | nonce (12) | ciphertext | tag (16) |, AAD = type (1) || key id (4).
#pragma once

#include <cstdint>
#include <string>

namespace verbund::storage::wal {

inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr uint32_t kMaxRecordPayload = 256u << 20;  // larger lengths are corrupt
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr uint16_t kMinCompatibleVersion = 1;
inline constexpr char kSegmentMagic[] = "VBWAL";     // 5 bytes in the header payload

// Record types: fixed numbers, never renumber.
enum class RecordType : uint8_t {
  kSegmentHeader = 1,  // magic(5) version(2) min_compatible(2) segment number(8), in clear
  kBatch = 2,          // a write batch, or the last part of one
  kBatchPart = 3,      // a part of a batch continued by the following record(s)
  kDeleteRange = 4,    // a DeleteRange call
};

inline bool IsKnownType(uint8_t t) { return t >= 1 && t <= 4; }

// "wal/0000000000000007.wal"
std::string SegmentFileName(uint64_t segment);
// Parses a segment file name (without directory); false if it is not one.
bool ParseSegmentFileName(const std::string& name, uint64_t* segment);

}  // namespace verbund::storage::wal
