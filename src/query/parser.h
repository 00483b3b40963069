// InfluxQL parser: query text -> AST (query/ast.h). Never throws; syntax errors come back as
// InvalidArgument with InfluxDB 1.x wording, e.g.
//   "found FROM, expected identifier, string, number, bool at line 1, char 8"
// (the HTTP layer prefixes "error parsing query: "). Grammar subset in doc/query.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "query/ast.h"

namespace verbund::query {

// Parses one or more statements separated by ';'.
Result<Query> ParseQuery(std::string_view text);

// Parses an InfluxQL duration literal ("1h30m", "10ms", "5µs", "2w") into nanoseconds.
Result<int64_t> ParseDuration(std::string_view text);

// Formats nanoseconds like InfluxQL does ("1h30m", "0s").
std::string FormatDuration(int64_t ns);

// Parses the time string forms InfluxQL accepts in comparisons with `time`: RFC 3339 with
// optional fractional seconds and zone offset, "2006-01-02 15:04:05[.fff]" and "2006-01-02".
Result<int64_t> ParseTimeString(std::string_view text);

}  // namespace verbund::query
