// InfluxDB 1.x line protocol parser for the HTTP /write hot path. Follows InfluxDB 1.x
// models/points.go byte for byte where behaviour is observable: the same line splitting (quoted
// string fields may span lines), escaping rules, number/boolean grammar and error wording, so that
// `partial write: unable to parse '...': ...` responses match.
//
//   line      = measurement ["," tag_set] " " field_set [" " timestamp]
//   escapes   = measurement: "\," "\ "; tag key/value: "\," "\ " "\="; field key: "\," "\ " "\="
//               "\""; string field value: "\"" "\\"
//   numbers   = float "1", "1.5", "-.5e3"; integer "1i"; unsigned "1u"
//   booleans  = t T true True TRUE f F false False FALSE
//   "#..." lines are comments; blank lines are skipped.
//
// Zero-copy: every string_view in a ParsedBatch points into the input buffer or into the batch's
// own storage (for values that had escapes). The input must outlive the batch.
// Thread-safety: ParseLineProtocol is pure; a ParsedBatch is a plain value.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace verbund::ingest {

// Timestamp unit of the `precision` write parameter.
enum class Precision { kNanosecond, kMicrosecond, kMillisecond, kSecond, kMinute, kHour };

// Maps "n"/"ns"/""/"u"/"us"/"µ"/"ms"/"s"/"m"/"h" to a Precision; like InfluxDB, anything else
// means nanoseconds.
Precision ParsePrecision(std::string_view s);
int64_t PrecisionNs(Precision p);

enum class FieldType : uint8_t { kFloat, kInteger, kUnsigned, kBoolean, kString };

struct Field {
  std::string_view key;  // unescaped
  FieldType type = FieldType::kFloat;
  union {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
  };
  std::string_view s;  // kString only; unescaped
  Field() : f(0) {}
};

struct Tag {
  std::string_view key;    // unescaped
  std::string_view value;  // unescaped
};

struct Point {
  std::string_view measurement;  // unescaped
  std::span<const Tag> tags;     // sorted by key, keys unique
  std::span<const Field> fields; // in line order; a repeated key keeps its last value only
  // Measurement and tags exactly as written (escaped, tags in line order): equal texts name the
  // same series (the converse need not hold). Points into the body.
  std::string_view series;
  // Equal `series` texts in one batch share this index (0 .. ParsedBatch::series_count() - 1),
  // so consumers can memoise per series without hashing the text again.
  uint32_t series_index = 0;
  TimestampNs ts = 0;
  uint32_t line = 0;             // 1-based line number in the body
};

struct LineError {
  uint32_t line = 0;     // 1-based line number where the failing line starts
  std::string message;   // "unable to parse '<line>': <reason>" (InfluxDB wording)
};

struct ParseOptions {
  TimestampNs now = 0;                 // timestamp of lines without one (truncated to precision)
  Precision precision = Precision::kNanosecond;
  size_t max_line_bytes = 1 << 20;     // longer lines are rejected ("line too long"); 0 = no limit
  // A line whose series text was seen before in the body, without quotes or backslashes, is
  // parsed in one pass that reuses the earlier line's tags (ParseLineProtocol's fast path).
  // Off only in tests that check the fast path against the general one.
  bool reuse_series = true;
};

// Result of parsing one request body: good points plus one error per bad line.
class ParsedBatch {
 public:
  ParsedBatch() = default;
  ParsedBatch(ParsedBatch&&) noexcept = default;
  ParsedBatch& operator=(ParsedBatch&&) noexcept = default;
  ParsedBatch(const ParsedBatch&) = delete;
  ParsedBatch& operator=(const ParsedBatch&) = delete;

  const std::vector<Point>& points() const { return points_; }
  const std::vector<LineError>& errors() const { return errors_; }
  size_t field_count() const { return fields_.size(); }
  // Number of distinct Point::series texts (Point::series_index is below it).
  size_t series_count() const { return series_count_; }

  // The errors joined by "\n", as InfluxDB reports them ("" when there are none).
  std::string ErrorText() const;

 private:
  friend class LineParser;
  std::vector<Point> points_;
  std::vector<Tag> tags_;
  std::vector<Field> fields_;
  std::deque<std::string> unescaped_;  // stable storage for values that contained escapes
  std::vector<LineError> errors_;
  size_t series_count_ = 0;
};

// Parses a whole body. Never fails as a whole: bad lines land in errors(), good ones in points().
ParsedBatch ParseLineProtocol(std::string_view body, const ParseOptions& options);

// Cuts `body` into at most `max_pieces` consecutive pieces of about equal size, each at least
// `min_piece_bytes` long, at line ends where ParseLineProtocol also ends a line, so parsing the
// pieces one after the other yields the same points and errors as parsing the body (apart from
// Point::line and LineError::line, which count from each piece's start). A newline ends a line
// for certain only when it is not escaped by a backslash and no quoted string value can hide it,
// so a body holding a double quote is never cut. The pieces cover the body exactly.
std::vector<std::string_view> SplitLines(std::string_view body, size_t max_pieces,
                                         size_t min_piece_bytes);

// The InfluxDB 1.x /write error text for a body that had parse errors but some good points:
// "partial write: <reason> dropped=<n>". When no point parsed at all InfluxDB sends the bare
// ErrorText() instead (HTTP 400 either way).
std::string PartialWriteError(std::string_view reason, size_t dropped);

}  // namespace verbund::ingest
