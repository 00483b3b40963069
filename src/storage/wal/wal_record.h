// Framing of one WAL record (see wal_format.h): encode, and decode from the front of a buffer.
// The decoder is the fuzzed surface (fuzz/wal): any input yields a result, never a crash.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/wal/wal_format.h"

namespace verbund::storage::wal {

// Appends a framed record to *out.
void AppendRecord(std::string* out, RecordType type, std::string_view payload);

enum class DecodeOutcome {
  kOk,         // *record holds a record with a valid checksum
  kTruncated,  // the buffer ends inside the header or payload
  kBadRecord,  // checksum mismatch, unknown type or absurd length
};

struct Record {
  RecordType type = RecordType::kBatch;
  std::string_view payload;  // points into the decoded buffer
  size_t size = 0;           // header + payload bytes
};

// Decodes the record at the front of `in`. On kBadRecord, *why says what was wrong.
DecodeOutcome DecodeRecord(std::string_view in, Record* record, std::string* why);

// True if some complete record with a valid checksum starts anywhere in `rest`.
bool ValidRecordFollows(std::string_view rest);

// Segment header payload.
std::string EncodeSegmentHeader(uint64_t segment);
Status DecodeSegmentHeader(std::string_view payload, uint64_t* segment);

// Sealed payload helpers: | key id (4) | sealed |. AAD is type || key id.
std::string SealedAad(RecordType type, uint32_t key_id);

}  // namespace verbund::storage::wal
