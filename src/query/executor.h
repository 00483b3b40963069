// Runs InfluxQL against a storage::Engine and renders InfluxDB 1.x /query JSON:
//   {"results":[{"statement_id":0,"series":[{"name":"m","tags":{..},"columns":[..],"values":[..]}]}]}
// Empty results are {"statement_id":N}; statement failures {"statement_id":N,"error":"..."};
// a query that does not parse is {"error":"error parsing query: ..."} (HTTP 400).
//
// Engine use: FindSeries for the catalog (views cached while CatalogVersion() is unchanged),
// Aggregate for count/sum/mean/min/max/first/last/spread/ stddev over numeric fields when the WHERE
// clause needs no per-point evaluation, Read for everything else (raw selects, median, percentile,
// field conditions, strings and booleans).
//
// Thread-safety: an Executor holds no per-query state (only a cache of catalog views, internally
// locked); Run/RunChunked may be called from any thread concurrently as long as the Engine allows
// it (it does).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "query/ast.h"
#include "query/json_format.h"
#include "storage/engine.h"

namespace verbund::query {

struct ExecutorOptions {
  const Clock* clock = nullptr;  // now() in queries; nullptr = system clock; not owned
  // Databases that exist besides the engine's tenants (e.g. created by CREATE DATABASE but
  // still empty). May be empty.
  std::function<std::vector<std::string>()> list_databases;
  // Called by CREATE DATABASE; may be empty (then the statement is only acknowledged).
  std::function<Status(std::string_view name)> create_database;
  // Upper bound on GROUP BY time buckets per statement (0 = unlimited), like InfluxDB's
  // max-select-buckets; protects against `GROUP BY time(1s)` over years.
  size_t max_select_buckets = 1'000'000;
  // Upper bound on points read per statement (0 = unlimited), like max-select-point.
  size_t max_select_points = 0;
};

// What one caller may see and change (its tenant's databases, its rules' measurements). An
// empty function allows everything. Denials do not depend on whether a database or
// measurement exists, so they reveal nothing about other tenants' data.
struct QueryScope {
  // May use the database at all (SELECT, SHOW ... ON, DELETE); also filters SHOW DATABASES.
  std::function<bool(std::string_view db)> database;
  // May read the measurement (SELECT, SHOW MEASUREMENTS/TAG KEYS/...): a regex FROM skips
  // the ones it may not; naming one is an error.
  std::function<bool(std::string_view db, std::string_view measurement)> read;
  // CREATE DATABASE.
  std::function<bool(std::string_view db)> create;
  // DELETE from the measurement.
  std::function<bool(std::string_view db, std::string_view measurement)> remove;
};

struct QueryOptions {
  std::string_view database;               // the `db` parameter ("" = none given)
  const QueryScope* scope = nullptr;       // null = everything; not owned
  EpochUnit epoch = EpochUnit::kRfc3339;   // the `epoch` parameter
  size_t chunk_size = 10000;               // rows per chunk for RunChunked (`chunk_size`)
};

// What a query answered, for the audit log.
struct QuerySummary {
  size_t rows = 0;    // rows of every series of every statement
  std::string error;  // the parse error or the first statement error ("" = none)
  // What its SELECTs read: the measurements (after scopes) and the union of their WHERE time
  // ranges; a side without a bound is nullopt. `read` false: no SELECT read a measurement.
  std::set<std::string> measurements;
  bool read = false;
  std::optional<int64_t> from, to;  // ns, inclusive

  void NoteRead(const std::string& measurement, std::optional<int64_t> min,
                std::optional<int64_t> max) {
    measurements.insert(measurement);
    if (!read) {
      read = true;
      from = min;
      to = max;
      return;
    }
    from = from && min ? std::optional<int64_t>(std::min(*from, *min)) : std::nullopt;
    to = to && max ? std::optional<int64_t>(std::max(*to, *max)) : std::nullopt;
  }
};

struct QueryResponse {
  bool parse_error = false;  // true: body is {"error":"error parsing query: ..."}, send HTTP 400
  std::string body;          // one JSON document (no trailing newline)
  QuerySummary summary;
};

class MeasurementCache;
struct StatementResult;

class Executor {
 public:
  // `engine` is not owned and must outlive the executor.
  Executor(storage::Engine* engine, ExecutorOptions options);
  ~Executor();

  // Parses and runs every statement; the whole response as one document.
  QueryResponse Run(std::string_view text, const QueryOptions& options) const;

  // `chunked=true`: emits one document per series chunk (at most chunk_size rows), each
  // {"results":[{"statement_id":N,"series":[...]}]} with InfluxDB's "partial":true markers, and
  // one document per statement without series. Stops early when emit returns false. Returns
  // false if the query did not parse (the error document was emitted; send HTTP 400).
  bool RunChunked(std::string_view text, const QueryOptions& options,
                  const std::function<bool(std::string&& document)>& emit) const {
    return RunChunked(text, options, nullptr, emit);
  }
  // The same; `summary` (optional) receives the rows emitted and the error.
  bool RunChunked(std::string_view text, const QueryOptions& options, QuerySummary* summary,
                  const std::function<bool(std::string&& document)>& emit) const;

  // The same for an already parsed query (used by tests and by callers that parse once).
  QueryResponse Run(const Query& query, const QueryOptions& options) const;

 private:
  StatementResult Execute(const Statement& st, const QueryOptions& options,
                          QuerySummary* summary) const;

  storage::Engine* engine_;
  ExecutorOptions options_;
  // Catalog views reused while the engine's CatalogVersion() is unchanged (internally locked).
  std::unique_ptr<MeasurementCache> measurements_;
};

}  // namespace verbund::query
