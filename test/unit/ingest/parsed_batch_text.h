// A canonical text of everything a ParsedBatch holds (points with tags, typed fields bit for
// bit, timestamps, line numbers, series texts and indexes; errors), for tests and the fuzz
// target that check the parser's fast path against its general path.
#pragma once

#include <cstring>
#include <string>

#include "ingest/line_protocol.h"

namespace verbund::ingest {

// positions = false leaves out what depends on where the body starts (line numbers, series
// indexes), so the texts of consecutive pieces of a body add up to the body's.
inline std::string ParsedPointsText(const ParsedBatch& b, bool positions = true) {
  std::string out;
  auto add = [&out](std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
    out += ' ';
  };
  for (const Point& p : b.points()) {
    out += "point " + std::to_string(p.ts) + " ";
    if (positions) out += std::to_string(p.line) + " #" + std::to_string(p.series_index) + " ";
    add(p.series);
    add(p.measurement);
    for (const Tag& t : p.tags) {
      add(t.key);
      add(t.value);
    }
    out += "| ";
    for (const Field& f : p.fields) {
      add(f.key);
      uint64_t bits = 0;
      switch (f.type) {
        case FieldType::kFloat:
          std::memcpy(&bits, &f.f, sizeof bits);
          break;
        case FieldType::kInteger:
          bits = static_cast<uint64_t>(f.i);
          break;
        case FieldType::kUnsigned:
          bits = f.u;
          break;
        case FieldType::kBoolean:
          bits = f.b ? 1 : 0;
          break;
        case FieldType::kString:
          add(f.s);
          break;
      }
      out += std::to_string(static_cast<int>(f.type)) + "=" + std::to_string(bits) + " ";
    }
    out += "\n";
  }
  return out;
}

inline std::string ParsedErrorsText(const ParsedBatch& b, bool positions = true) {
  std::string out;
  for (const LineError& e : b.errors())
    out += "error " + (positions ? std::to_string(e.line) + " " : "") + e.message + "\n";
  return out;
}

inline std::string ParsedBatchText(const ParsedBatch& b) {
  return ParsedPointsText(b) + ParsedErrorsText(b) + "series " + std::to_string(b.series_count()) +
         "\n";
}

}  // namespace verbund::ingest
