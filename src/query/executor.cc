// The executor's parts, by concern (each an internal header of src/query):
//   rows.h             result cells and series
//   catalog_view       measurements' tag sets and fields, cached per catalog version
//   eval               expression evaluation over rows and tag sets
//   time_range         the time bounds of a WHERE clause
//   read_plan          reading a tag set's fields as joined rows, pre-selected on field filters
//   select_compiler    field list -> leaves and named columns
//   aggregate          reducing buckets, merging engine aggregate states, fill
//   transform          derivative() and friends over built rows
//   select_runner      SELECT: grouping, raw rows, buckets, ordering and limits
//   meta_statements    statement dispatch; SHOW, CREATE DATABASE, DELETE
//   render             InfluxDB 1.x JSON
#include "query/executor.h"

#include <algorithm>
#include <memory>
#include <string>

#include "query/catalog_view.h"
#include "query/meta_statements.h"
#include "query/parser.h"
#include "query/render.h"

namespace verbund::query {

Executor::Executor(storage::Engine* engine, ExecutorOptions options)
    : engine_(engine),
      options_(std::move(options)),
      measurements_(std::make_unique<MeasurementCache>()) {
  if (!options_.clock) options_.clock = SystemClock::Default();
}

Executor::~Executor() = default;

StatementResult Executor::Execute(const Statement& st, const QueryOptions& q,
                                  QuerySummary* summary) const {
  return ExecuteStatement(
      StatementContext{engine_, &options_, std::string(q.database), options_.clock->NowNs(),
                       measurements_.get(), q.scope, summary},
      st);
}

QueryResponse Executor::Run(std::string_view text, const QueryOptions& options) const {
  auto q = ParseQuery(text);
  if (!q.ok()) {
    QueryResponse r{true, ParseErrorBody(q.status()), {}};
    r.summary.error = "error parsing query: " + q.status().message();
    return r;
  }
  return Run(*q, options);
}

QueryResponse Executor::Run(const Query& query, const QueryOptions& options) const {
  QueryResponse resp;
  std::string& out = resp.body;
  out = "{\"results\":[";
  for (size_t i = 0; i < query.statements.size(); ++i) {
    StatementResult so = Execute(query.statements[i], options, &resp.summary);
    if (i) out += ',';
    out += "{\"statement_id\":" + std::to_string(i);
    if (!so.error.empty()) {
      resp.summary.error = so.error;
      // InfluxDB 1.x stops at the first failing statement; when statements remain, its
      // response carries only "not executed" under the failing statement's id.
      out += ",\"error\":";
      AppendJsonString(&out, i + 1 < query.statements.size() ? "not executed" : so.error);
      out += "}]}";
      return resp;
    }
    if (!so.series.empty()) {
      out += ",\"series\":[";
      for (size_t k = 0; k < so.series.size(); ++k) {
        if (k) out += ',';
        AppendSeries(&out, so.series[k], 0, so.series[k].values.size(), false, options.epoch);
        resp.summary.rows += so.series[k].values.size();
      }
      out += ']';
    }
    out += '}';
  }
  out += "]}";
  return resp;
}

bool Executor::RunChunked(std::string_view text, const QueryOptions& options, QuerySummary* summary,
                          const std::function<bool(std::string&&)>& emit) const {
  QuerySummary ignored;
  if (summary == nullptr) summary = &ignored;
  auto q = ParseQuery(text);
  if (!q.ok()) {
    summary->error = "error parsing query: " + q.status().message();
    emit(ParseErrorBody(q.status()));
    return false;
  }
  const size_t chunk = options.chunk_size == 0 ? 10000 : options.chunk_size;
  for (size_t i = 0; i < q->statements.size(); ++i) {
    StatementResult so = Execute(q->statements[i], options, summary);
    std::string head = "{\"results\":[{\"statement_id\":" + std::to_string(i);
    if (!so.error.empty()) {
      summary->error = so.error;
      // Like InfluxDB 1.x: the error, then "not executed" (under the same id) per remaining one.
      std::string doc = head + ",\"error\":";
      AppendJsonString(&doc, so.error);
      doc += "}]}";
      if (!emit(std::move(doc))) return true;
      for (size_t rest = i + 1; rest < q->statements.size(); ++rest) {
        if (!emit(head + ",\"error\":\"not executed\"}]}")) return true;
      }
      return true;
    }
    if (so.series.empty()) {
      if (!emit(head + "}]}")) return true;
      continue;
    }
    for (size_t k = 0; k < so.series.size(); ++k) {
      const SeriesOut& s = so.series[k];
      size_t n = s.values.size();
      size_t begin = 0;
      do {
        size_t end = std::min(n, begin + chunk);
        bool series_partial = end < n;
        bool result_partial = series_partial || k + 1 < so.series.size();
        std::string doc = head + ",\"series\":[";
        AppendSeries(&doc, s, begin, end, series_partial, options.epoch);
        summary->rows += end - begin;
        doc += ']';
        if (result_partial) doc += ",\"partial\":true";
        doc += "}]}";
        if (!emit(std::move(doc))) return true;
        begin = end;
      } while (begin < n);
    }
  }
  return true;
}

}  // namespace verbund::query
