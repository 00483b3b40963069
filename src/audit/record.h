// Framing of one audit record (see audit_format.h): encode, and decode from the front of a
// buffer, plus the segment and export header payloads. The decoders are fuzzed (fuzz/audit): any
// input yields a result, never a crash.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "audit/audit_format.h"
#include "core/framing.h"
#include "core/status.h"

namespace verbund::audit {

// Appends a framed record to *out.
void AppendRecord(std::string* out, RecordType type, std::string_view payload);

// kOk, kTruncated (the buffer ends inside the record) or kBad (checksum mismatch, unknown type,
// length above kMaxRecordPayload).
using DecodeOutcome = framing::Outcome;

struct Record {
  RecordType type = RecordType::kEntry;
  std::string_view payload;  // points into the decoded buffer
  size_t size = 0;           // header + payload bytes
};

// Decodes the record at the front of `in`. On kBad, *why says what was wrong.
DecodeOutcome DecodeRecord(std::string_view in, Record* record, std::string* why);

struct SegmentHeader {
  uint64_t segment = 0;
  uint64_t first_index = 0;  // log index of the segment's first entry
};
std::string EncodeSegmentHeader(const SegmentHeader& h);
Result<SegmentHeader> DecodeSegmentHeader(std::string_view payload);

// Export header: the log index of the export's first entry (0: a whole log).
std::string EncodeExportHeader(uint64_t first_index);
Result<uint64_t> DecodeExportHeader(std::string_view payload);

std::string EncodeSthLogHeader();
Status DecodeSthLogHeader(std::string_view payload);

// Scans a file of records. Calls fn(offset, record) for each, in order. A bad or truncated
// record is Corruption naming `file` and the offset, except that with `tolerate_torn_tail` a bad
// record with no valid record anywhere after it ends the scan (a torn tail: never acknowledged).
// *valid_bytes receives the length of the good prefix.
using RecordFn = std::function<Status(uint64_t offset, const Record& record)>;
Status ScanRecords(std::string_view bytes, std::string_view file, bool tolerate_torn_tail,
                   const RecordFn& fn, uint64_t* valid_bytes);

}  // namespace verbund::audit
