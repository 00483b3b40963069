// Rendering statement results as InfluxDB 1.x /query JSON. Internal to src/query.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"
#include "query/json_format.h"
#include "query/rows.h"

namespace verbund::query {

// Appends rows [row_begin, row_end) of `s` as one series object ("partial":true if `partial`).
void AppendSeries(std::string* out, const SeriesOut& s, size_t row_begin, size_t row_end,
                  bool partial, EpochUnit epoch);

// {"error":"error parsing query: ..."}
std::string ParseErrorBody(const Status& st);

}  // namespace verbund::query
