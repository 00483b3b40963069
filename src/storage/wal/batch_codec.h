// Plaintext of the sealed WAL payloads (see doc/format/wal.md): write batches reference series
// by catalog id (the catalog entry is durable before any record naming it), so no series key,
// tag or measurement name is ever in the WAL, not even sealed.
//
//   batch       varint count, then per entry:
//               varint zigzag(id - previous id) | varint zigzag(ts - previous ts) | type (1) |
//               value: float 8 bytes LE IEEE-754 | int varint zigzag | bool 1 byte |
//                      string varint length + bytes
//   delete      varint zigzag(from) | varint zigzag(to) | varint count | count x varint id
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/types.h"

namespace verbund::storage::wal {

// Appends batch entries incrementally.
class BatchEncoder {
 public:
  explicit BatchEncoder(size_t expected_entries);
  void Add(SeriesId id, TimestampNs ts, const Value& value);
  // Returns the finished plaintext; the encoder is empty afterwards.
  std::string Finish();

 private:
  std::string body_;
  uint64_t count_ = 0;
  SeriesId prev_id_ = 0;
  TimestampNs prev_ts_ = 0;
};

// Calls fn(id, ts, value) per entry. Corruption on malformed input (checked before any call
// only for framing; callers apply entries after a successful full decode if they need atomicity).
struct DecodedEntry {
  SeriesId id;
  TimestampNs ts;
  Value value;
};
Result<std::vector<DecodedEntry>> DecodeBatch(std::string_view plaintext);

struct DeleteRecord {
  TimestampNs from = 0, to = 0;
  std::vector<SeriesId> ids;
};
std::string EncodeDelete(const DeleteRecord& d);
Result<DeleteRecord> DecodeDelete(std::string_view plaintext);

}  // namespace verbund::storage::wal
