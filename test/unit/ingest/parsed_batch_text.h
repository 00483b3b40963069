// A canonical text of everything a ParsedBatch holds (points with tags, typed fields bit for
// bit, timestamps, line numbers, series texts and indexes; errors), for tests and the fuzz
// target that check the parser's fast path against its general path.
#pragma once

#include <cstring>
#include <string>

#include "ingest/line_protocol.h"

namespace verbund::ingest {

inline std::string ParsedBatchText(const ParsedBatch& b) {
  std::string out;
  auto add = [&out](std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
    out += ' ';
  };
  for (const Point& p : b.points()) {
    out += "point " + std::to_string(p.line) + " " + std::to_string(p.ts) + " #" +
           std::to_string(p.series_index) + " ";
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
  for (const LineError& e : b.errors())
    out += "error " + std::to_string(e.line) + " " + e.message + "\n";
  out += "series " + std::to_string(b.series_count()) + "\n";
  return out;
}

}  // namespace verbund::ingest
