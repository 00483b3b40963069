// Runs a SELECT statement: per measurement of FROM, series grouped by GROUP BY tags, raw rows or
// aggregate buckets, fill, transforms, ORDER BY, LIMIT/OFFSET and SLIMIT/SOFFSET. Internal to
// src/query.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "query/ast.h"
#include "query/catalog_view.h"
#include "query/executor.h"
#include "query/rows.h"
#include "storage/engine.h"

namespace verbund::query {

// Everything one statement needs while running.
struct StatementContext {
  storage::Engine* engine;
  const ExecutorOptions* options;
  std::string db;
  int64_t now;
  MeasurementCache* measurements;
  const QueryScope* scope = nullptr;  // null = everything
  QuerySummary* summary = nullptr;    // null = not wanted; SELECTs note what they read
};

// Keeps the measurements of `names` the scope lets the caller read; PermissionDenied when a
// source names one it may not (a regex source just skips them).
Status ApplyReadScope(const StatementContext& ctx, const std::vector<Source>& sources,
                      std::vector<std::string>* names);

// Appends the series `s` produces to `out`; on error `out` may hold a part of them.
Status RunSelect(const StatementContext& ctx, const SelectStatement& s,
                 std::vector<SeriesOut>* out);

}  // namespace verbund::query
