#include "query/render.h"

namespace verbund::query {

namespace {

void AppendCell(std::string* out, const Cell& c, EpochUnit epoch) {
  switch (c.index()) {
    case 0:
      *out += "null";
      break;
    case 1:
      AppendJsonFloat(out, std::get<1>(c));
      break;
    case 2:
      *out += std::to_string(std::get<2>(c));
      break;
    case 3:
      *out += std::get<3>(c) ? "true" : "false";
      break;
    case 4:
      AppendJsonString(out, std::get<4>(c));
      break;
    case 5:
      AppendJsonTime(out, std::get<5>(c).ns, epoch);
      break;
  }
}

}  // namespace

void AppendSeries(std::string* out, const SeriesOut& s, size_t row_begin, size_t row_end,
                  bool partial, EpochUnit epoch) {
  *out += '{';
  bool comma = false;
  if (!s.name.empty()) {
    *out += "\"name\":";
    AppendJsonString(out, s.name);
    comma = true;
  }
  if (!s.tags.empty()) {
    if (comma) *out += ',';
    *out += "\"tags\":{";
    for (size_t i = 0; i < s.tags.size(); ++i) {
      if (i) *out += ',';
      AppendJsonString(out, s.tags[i].first);
      *out += ':';
      AppendJsonString(out, s.tags[i].second);
    }
    *out += '}';
    comma = true;
  }
  if (comma) *out += ',';
  *out += "\"columns\":[";
  for (size_t i = 0; i < s.columns.size(); ++i) {
    if (i) *out += ',';
    AppendJsonString(out, s.columns[i]);
  }
  *out += ']';
  if (row_end > row_begin) {
    *out += ",\"values\":[";
    for (size_t r = row_begin; r < row_end; ++r) {
      if (r != row_begin) *out += ',';
      *out += '[';
      const auto& row = s.values[r];
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) *out += ',';
        AppendCell(out, row[i], epoch);
      }
      *out += ']';
    }
    *out += ']';
  }
  if (partial) *out += ",\"partial\":true";
  *out += '}';
}

std::string ParseErrorBody(const Status& st) {
  std::string out = "{\"error\":";
  AppendJsonString(&out, "error parsing query: " + st.message());
  out += '}';
  return out;
}

}  // namespace verbund::query
