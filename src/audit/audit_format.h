// Audit log on-disk constants shared by the log writer, the reader and the offline verifier.
// Byte layout, hash definitions and test vectors: doc/format/audit.md.
//
//   segment file  <audit dir>/<segment number, 16 hex digits>.audit
//   record        | masked CRC32C (4) | length (4) | type (1) | payload (length) |
//                 little-endian; CRC32C over type and payload, masked as in LevelDB (the WAL's
//                 framing, see doc/format/wal.md).
//   tree heads    <audit dir>/sth.log: a segment-like file of kTreeHead records (every STH ever
//                 signed, the newest last)
//   signing key   <audit dir>/signing.key: PKCS#8 PEM Ed25519 private key, mode 0600
//   export        one file: kExportHeader, then kEntry and kTreeHead records in log order
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace verbund::audit {

inline constexpr size_t kRecordHeaderBytes = 9;          // framing::kHeaderBytes
inline constexpr uint32_t kMaxRecordPayload = 1u << 20;  // larger lengths are corrupt
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr uint16_t kMinCompatibleVersion = 1;
inline constexpr char kSegmentMagic[] = "VBAUD";   // 5 bytes, segment header payload
inline constexpr char kExportMagic[] = "VBAUX";    // 5 bytes, export header payload
inline constexpr char kSthLogMagic[] = "VBSTH";    // 5 bytes, sth.log header payload
inline constexpr size_t kSegmentHeaderBytes = 25;  // magic 5, version 2, min 2, segment 8, first 8
inline constexpr size_t kExportHeaderBytes = 17;   // magic 5, version 2, min 2, first index 8

// Record types: fixed numbers, never renumber.
enum class RecordType : uint8_t {
  kSegmentHeader = 1,  // magic "VBAUD" version min segment first_index (segments)
  kEntry = 2,          // one canonical entry (entry.h); the Merkle leaf is exactly these bytes
  kTreeHead = 3,       // one encoded signed tree head (sth.h)
  kExportHeader = 4,   // magic "VBAUX" version min first_index (exports, first record)
  kSthLogHeader = 5,   // magic "VBSTH" version min (sth.log, first record)
};

inline bool IsKnownRecordType(uint8_t t) { return t >= 1 && t <= 5; }

inline constexpr char kSthLogFile[] = "sth.log";
inline constexpr char kSigningKeyFile[] = "signing.key";

// "0000000000000007.audit"
std::string SegmentFileName(uint64_t segment);
// Parses a segment file name (without directory); false if it is not one.
bool ParseSegmentFileName(const std::string& name, uint64_t* segment);

}  // namespace verbund::audit
