// The record framing shared by Verbund's append-only files (WAL segments, audit log segments,
// audit exports; see doc/format/wal.md and audit.md):
//
//   | masked CRC32C (4) | length (4) | type (1) | payload (length bytes) |
//
// little-endian; CRC32C over type and payload, masked as in LevelDB. Each format keeps its own
// record types and payload limit; this is only the frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace verbund::framing {

inline constexpr size_t kHeaderBytes = 9;

// Appends a framed record to *out.
void Append(std::string* out, uint8_t type, std::string_view payload);

enum class Outcome {
  kOk,         // *frame holds a record with a valid checksum and a known type
  kTruncated,  // the buffer ends inside the header or payload
  kBad,        // checksum mismatch, unknown type or a length above the format's limit
};

struct Frame {
  uint8_t type = 0;
  std::string_view payload;  // points into the decoded buffer
  size_t size = 0;           // header + payload bytes
};

// What a format accepts: its payload limit and its record types.
struct Rules {
  uint32_t max_payload;
  bool (*known_type)(uint8_t type);
};

// Decodes the record at the front of `in`. On kBad, *why says what was wrong.
Outcome Decode(std::string_view in, const Rules& rules, Frame* frame, std::string* why);

// True if a complete, valid record starts anywhere in `rest`: the test that tells a torn tail
// (nothing valid after the damage) from damage in the middle of a file.
bool ValidRecordFollows(std::string_view rest, const Rules& rules);

}  // namespace verbund::framing
