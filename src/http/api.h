// The HTTP API without the network: routes a decoded request to its handler and produces a
// response, InfluxDB 1.x compatible for /ping /health /write /query, Prometheus text for /metrics,
// and Verbund's native JSON under /api/v1 (doc/api.md).
//
// Handlers that touch storage, parse bodies or run queries run on the `run_async` executor (the
// server's worker threads), never on the I/O thread that called Handle.
//
// Thread-safety: Handle may be called from any thread concurrently; `reply` is called exactly
// once per request, from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"
#include "http/caller.h"
#include "http/chunk_stream.h"
#include "http/deps.h"
#include "http/url.h"
#include "query/executor.h"

namespace verbund::http {

// The InfluxDB version we answer as (X-Influxdb-Version, /ping?verbose, /health).
inline constexpr std::string_view kInfluxVersion = "1.8.10";

struct Request {
  std::string method;            // "GET", "POST", "HEAD", ...
  std::string target;            // raw request-target: "/query?db=x&q=..."
  std::string body;              // as received (possibly gzip-compressed)
  std::string content_type;
  std::string content_encoding;
  std::string peer;  // the client's "ip:port" ("" when unknown)
  std::string authorization;  // the Authorization header ("" when none)
  std::string cookie;         // the Cookie header ("" when none)
  std::string csrf_token;     // the X-CSRF-Token header ("" when none)
  std::string if_none_match;  // the If-None-Match header ("" when none)
  bool secure = false;        // received over TLS
  // Set by Api::Handle once the caller is authenticated (null before, and for open routes).
  std::shared_ptr<const Caller> caller;
};

struct Response {
  unsigned status = 200;
  std::string content_type;  // "" = no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::shared_ptr<ChunkStream> stream;  // set: body streamed with chunked transfer encoding
  std::string error_message;  // InfluxDB routes: also sent as the X-Influxdb-Error header
};

using Reply = std::function<void(Response)>;

enum class Route : uint8_t {
  kPing,
  kHealth,
  kWrite,
  kQuery,
  kMetrics,
  kApiSeries,
  kApiRead,
  kApiLatest,
  kApiAudit,
  kApiAdmin,
  kApiSession,
  kApiConsoleStats,
  kApiConsoleTopics,
  kApiPublish,
  kConsole,  // the console's files: /, /console, /console/...
  kOther,
  kCount
};
std::string_view RouteName(Route r);
Route RouteOf(std::string_view path);

// Request and latency metrics of the HTTP layer (exported on /metrics).
struct HttpMetrics {
  static constexpr std::array<unsigned, 13> kStatuses = {200, 204, 400, 401, 403, 404, 405,
                                                         408, 413, 415, 500, 503, 0};
  metrics::Counter requests[static_cast<size_t>(Route::kCount)][kStatuses.size()];
  metrics::Counter connections_total;
  metrics::Gauge connections_active;
  metrics::Counter connections_rejected;
  metrics::Histogram query_seconds = metrics::Histogram::LatencySeconds();
  metrics::Histogram write_seconds = metrics::Histogram::LatencySeconds();
  metrics::Counter points_written;    // points accepted by /write and durable
  metrics::Counter points_rejected;   // lines/points of /write bodies that were not written

  void Count(Route r, unsigned status);
};

class AuditRoutes;
class LiveStats;

class Api {
 public:
  using RunAsync = std::function<void(std::function<void()>)>;
  // `deps` must be complete (engine, pipeline, executor, database functions, clock).
  // `write_parallelism`: how many of the executor's threads may parse one /write body at once.
  Api(ServerDeps deps, uint32_t max_body_bytes, RunAsync run_async, size_t write_parallelism = 1);
  ~Api();

  // Authenticates the caller (off the I/O thread when that costs a password hash) and routes.
  void Handle(Request req, Reply reply);

  HttpMetrics& metrics() { return metrics_; }
  // The /metrics page.
  std::string RenderMetrics();

 private:
  // Routes a request whose caller is established (req.caller set unless the route is open).
  void Dispatch(Request req, Target target, Reply counted);
  // POST /api/v1/session: credentials in the body, a console session in the reply.
  void Login(Request req, Reply counted);
  // Records a login or logout (ServerDeps::request_events), then sends `response`.
  void RecordSession(const SessionEvent& e, Response response, const Reply& counted);
  void Ping(const Request& req, const Params& params, const Reply& reply);
  struct WriteJob;  // one /write body being parsed in pieces (write.cc)
  void Write(Request req, const Params& params, const Reply& reply);
  void RunWritePiece(const std::shared_ptr<WriteJob>& job, size_t piece);
  void FinishWrite(WriteJob& job);
  void Query(const Request& req, Params params, const Reply& reply);
  void ApiSeries(const Caller& caller, const Params& params, const Reply& reply);
  void ApiRead(const Caller& caller, const Params& params, const Reply& reply);
  void ApiLatest(const Caller& caller, const Params& params, const Reply& reply);
  // The caller's scope (null: everything); a 403 response when it may not use `db`.
  std::shared_ptr<const query::QueryScope> NativeScope(const Caller& caller, std::string_view db,
                                                       std::optional<Response>* refusal) const;
  bool DatabaseExists(std::string_view db);

  ServerDeps deps_;
  const uint32_t max_body_bytes_;
  RunAsync run_async_;
  const size_t write_parallelism_;
  HttpMetrics metrics_;
  std::unique_ptr<AuditRoutes> audit_routes_;  // /api/v1/audit/...
  std::unique_ptr<LiveStats> live_stats_;      // /api/v1/console/stats; last: stops first
};

// InfluxDB-style error body: {"error":"..."} (JSON-escaped).
std::string InfluxError(std::string_view message);
// Native API error body: {"error":{"code":"...","message":"..."}}.
std::string ApiError(std::string_view code, std::string_view message);
// Re-indents compact JSON the way Go's json.MarshalIndent(v, "", "    ") does (pretty=true).
std::string PrettyJson(std::string_view compact);
// "2024-01-01T00:00:00Z", "...+02:00" with optional fraction, or integer nanoseconds.
Result<int64_t> ParseTimeParam(std::string_view s);

}  // namespace verbund::http
