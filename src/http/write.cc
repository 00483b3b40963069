// POST /write: InfluxDB 1.x line protocol into the durable ingest pipeline.
//
// A large body is cut at line ends (ingest::SplitLines) and its pieces are parsed and mapped on
// the worker threads at once; the thread that finishes the last piece submits one batch. With one
// client connection (a client that waits for each answer) the request's latency is the
// throughput, and parsing and mapping are most of it. No thread ever waits for another: every
// piece is posted to the pool and also tried by the request's own thread, and whoever claims a
// piece first runs it, so a busy pool degrades to the serial path instead of deadlocking.
//
// Pieces resolve new series concurrently: when two pieces of one body create the same new series
// with different types, the point that loses the race is rejected as a type conflict, where a
// serial parse would reject the later one (InfluxDB decides such races between requests the same
// way).
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "http/access.h"
#include "http/api.h"
#include "http/gzip.h"
#include "http/point_mapping.h"
#include "http/responses.h"
#include "ingest/line_protocol.h"
#include "ingest/pipeline.h"

namespace verbund::http {
namespace {

// Smaller pieces are not worth a thread hand-off (a TSBS line is ~230 bytes: ~280 lines).
constexpr size_t kMinPieceBytes = 64 << 10;

struct PieceResult {
  size_t parse_errors = 0;
  std::string parse_error_text;  // ParsedBatch::ErrorText() of the piece
  bool parsed_points = false;
  MappedWrite mapped;
  std::vector<std::string> measurements;  // distinct, with request events only
  std::string denied;                     // a measurement the caller may not write ("" = none)
};

// What the audit entry of a /write says besides its answer (request events only).
struct WriteReport {
  std::string peer;
  std::string tenant;
  std::string principal;
  std::string db;
  uint64_t measurements = 0;
  uint64_t points = 0;  // durable
  uint64_t rejected = 0;
};

// The distinct measurements of `parsed` (series texts are memoised by index).
std::vector<std::string> Measurements(const ingest::ParsedBatch& parsed) {
  std::vector<bool> seen(parsed.series_count());
  std::unordered_set<std::string_view> names;
  for (const ingest::Point& p : parsed.points()) {
    if (seen[p.series_index]) continue;
    seen[p.series_index] = true;
    names.insert(p.measurement);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

// Lines of a line-protocol body (a last line without '\n' included).
uint64_t CountLines(std::string_view body) {
  uint64_t n = static_cast<uint64_t>(std::count(body.begin(), body.end(), '\n'));
  return n + (!body.empty() && body.back() != '\n' ? 1 : 0);
}

// Series and stored bytes change slowly (data ages out, a quota is raised): retry after a while.
constexpr int64_t kStoredRetryMs = 60'000;

}  // namespace

struct Api::WriteJob {
  std::string body;  // as received, or inflated
  std::string db;
  ingest::ParseOptions options;
  Reply reply;
  int64_t start = 0;
  std::vector<std::string_view> pieces;  // into body
  std::vector<PieceResult> results;
  std::unique_ptr<std::atomic<bool>[]> claimed;
  std::atomic<size_t> remaining{0};
  std::shared_ptr<WriteReport> report;  // request events only
  std::function<bool(std::string_view measurement)> may_write;  // empty: everything
};

void Api::Write(Request req, const Params& params, const Reply& unreported) {
  const int64_t start = deps_.clock->MonotonicNs();
  std::string_view db = params.Get("db");
  // Every answer waits for its audit entry (which the pipeline's acknowledgement precedes).
  std::shared_ptr<WriteReport> report;
  Reply reply = unreported;
  if (RequestEvents* events = deps_.request_events) {
    report = std::make_shared<WriteReport>();
    report->peer = req.peer;
    report->db = std::string(db);
    if (req.caller && req.caller->identity) {
      report->tenant = req.caller->identity->tenant;
      report->principal = req.caller->identity->principal;
    }
    reply = AfterReport(
        [events, report](const Response& r, RequestEvents::Done done) {
          events->Write(
              {report->peer, report->db, report->measurements, report->points, report->rejected,
               r.status, r.error_message, report->tenant, report->principal},
              std::move(done));
        },
        unreported);
  }
  if (db.empty()) return reply(Error(400, ("database is required")));
  // Before the existence check: another tenant's database and none look the same.
  std::function<bool(std::string_view)> may_write;
  if (deps_.access != nullptr && req.caller) {
    auto check = deps_.access->WriteCheck(*req.caller, db);
    if (!check.ok()) return reply(Error(403, check.status().message()));
    may_write = std::move(*check);
    // The stored-bytes figure is refreshed every few seconds: retry after a while.
    Status stored = deps_.access->CheckStored(db);
    if (!stored.ok()) return reply(TooManyRequests(false, stored.message(), kStoredRetryMs));
  }
  if (!DatabaseExists(db)) {
    return reply(Error(404, ("database not found: \"" + std::string(db) + "\"")));
  }
  auto job = std::make_shared<WriteJob>();
  if (req.content_encoding == "gzip") {
    Result<std::string> r = GunzipBounded(req.body, max_body_bytes_);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kResourceExhausted) {
        return reply(Error(413, ("Request Entity Too Large")));
      }
      return reply(Error(400, (r.status().message())));
    }
    job->body = std::move(r).value();
  } else if (!req.content_encoding.empty() && req.content_encoding != "identity") {
    return reply(Error(415, ("unsupported Content-Encoding: " + req.content_encoding)));
  } else {
    job->body = std::move(req.body);
  }
  if (deps_.access != nullptr && req.caller) {
    // Rate quotas: one message per line, the inflated body's bytes.
    int64_t retry_after_ms = 0;
    Status charged =
        deps_.access->Charge(*req.caller, CountLines(job->body), job->body.size(), &retry_after_ms);
    if (!charged.ok()) return reply(TooManyRequests(false, charged.message(), retry_after_ms));
  }
  job->db = std::string(db);
  job->options.precision = ingest::ParsePrecision(params.Get("precision"));
  job->options.now = deps_.clock->NowNs();
  job->reply = reply;
  job->start = start;
  job->report = std::move(report);
  job->may_write = std::move(may_write);
  job->pieces = ingest::SplitLines(job->body, write_parallelism_, kMinPieceBytes);
  const size_t n = job->pieces.size();
  job->results.resize(n);
  job->claimed = std::make_unique<std::atomic<bool>[]>(n);
  job->remaining.store(n, std::memory_order_relaxed);
  for (size_t i = 1; i < n; ++i) run_async_([this, job, i] { RunWritePiece(job, i); });
  for (size_t i = 0; i < n; ++i) RunWritePiece(job, i);
}

void Api::RunWritePiece(const std::shared_ptr<WriteJob>& job, size_t i) {
  if (job->claimed[i].exchange(true, std::memory_order_acq_rel)) return;  // another thread has it
  PieceResult& r = job->results[i];
  ingest::ParsedBatch parsed = ingest::ParseLineProtocol(job->pieces[i], job->options);
  r.parse_errors = parsed.errors().size();
  if (r.parse_errors > 0) r.parse_error_text = parsed.ErrorText();
  r.parsed_points = !parsed.points().empty();
  // The distinct measurements, once, for the caller's write check and the audit report.
  std::vector<std::string> measurements;
  if (r.parsed_points && (job->may_write || job->report)) measurements = Measurements(parsed);
  if (job->may_write) {
    for (const std::string& m : measurements) {
      if (!job->may_write(m)) {
        r.denied = m;
        break;
      }
    }
  }
  if (r.parsed_points && r.denied.empty()) {
    r.mapped = MapPoints(parsed, job->db, deps_.engine, deps_.series_cache);
  }
  if (job->report) r.measurements = std::move(measurements);
  if (job->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) FinishWrite(*job);
}

void Api::FinishWrite(WriteJob& job) {
  const Reply& reply = job.reply;
  size_t parse_errors = 0;
  std::string parse_text;
  bool parsed_points = false;
  for (const PieceResult& r : job.results) {
    parse_errors += r.parse_errors;
    if (!r.parse_error_text.empty()) {
      if (!parse_text.empty()) parse_text += '\n';
      parse_text += r.parse_error_text;
    }
    parsed_points = parsed_points || r.parsed_points;
  }
  // A body with a measurement the caller may not write is refused whole: nothing of it is
  // stored, so nothing is acknowledged that was not written.
  for (const PieceResult& r : job.results) {
    if (r.denied.empty()) continue;
    if (job.report) job.report->rejected = 0;
    return reply(Error(403, "not authorized to write measurement " + r.denied + " in " + job.db));
  }
  if (job.report) {
    std::unordered_set<std::string_view> names;
    for (const PieceResult& r : job.results)
      names.insert(r.measurements.begin(), r.measurements.end());
    job.report->measurements = names.size();
    job.report->rejected = parse_errors;
    for (const PieceResult& r : job.results) job.report->rejected += r.mapped.rejected;
  }
  if (!parsed_points) {
    if (parse_errors > 0) {
      metrics_.points_rejected.Inc(parse_errors);
      return reply(Error(400, std::move(parse_text)));
    }
    return reply(Empty(204));
  }
  MappedWrite mapped = std::move(job.results[0].mapped);
  for (size_t i = 1; i < job.results.size(); ++i) {
    MappedWrite& m = job.results[i].mapped;
    mapped.batch.Append(std::move(m.batch));
    mapped.points += m.points;
    mapped.rejected += m.rejected;
    mapped.over_quota += m.over_quota;
    for (std::string& e : m.errors) mapped.errors.push_back(std::move(e));
  }
  metrics_.points_rejected.Inc(parse_errors + mapped.rejected);
  // The partial-write answer sent after the good points are durable ("" = none).
  std::string partial;
  if (!mapped.errors.empty()) {
    partial = ingest::PartialWriteError(mapped.errors.front(), mapped.rejected);
  } else if (parse_errors > 0) {
    // InfluxDB 1.x reports dropped=0 here (it counts only points dropped by the store).
    partial = ingest::PartialWriteError(parse_text, 0);
  }
  // New series beyond the tenant's quota: 429, so the client retries the batch later (its
  // other points are written now; writing them again is idempotent).
  auto refusal = [over_quota = mapped.over_quota](std::string message) {
    return over_quota > 0 ? TooManyRequests(false, message, kStoredRetryMs)
                          : Error(400, std::move(message));
  };
  if (mapped.batch.empty()) {
    return reply(refusal(partial));
  }
  const size_t points = mapped.points;
  deps_.pipeline->Submit(
      std::move(mapped.batch), [this, reply, partial = std::move(partial), points, refusal,
                                start = job.start, report = job.report](Status st) {
        metrics_.write_seconds.Observe(Seconds(deps_.clock->MonotonicNs() - start));
        if (!st.ok()) {
          metrics_.points_rejected.Inc(points);
          if (report) report->rejected += points;
          unsigned code = 500;
          switch (st.code()) {
            case StatusCode::kInvalidArgument:
              code = 400;
              break;
            case StatusCode::kResourceExhausted:
            case StatusCode::kUnavailable:
            case StatusCode::kFailedPrecondition:
              code = 503;
              break;
            default:
              break;
          }
          Response r = Error(code, (st.message()));
          if (code == 503) r.headers.emplace_back("Retry-After", "1");
          return reply(std::move(r));
        }
        metrics_.points_written.Inc(points);
        if (report) report->points = points;
        if (!partial.empty()) return reply(refusal(partial));
        reply(Empty(204));
      });
}

}  // namespace verbund::http
