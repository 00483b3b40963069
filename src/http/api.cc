#include "http/api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "http/access.h"
#include "http/admin_routes.h"
#include "http/audit_routes.h"
#include "http/console_assets.h"
#include "http/console_routes.h"
#include "http/credentials.h"
#include "http/gzip.h"
#include "http/live_stats.h"
#include "http/point_mapping.h"
#include "http/responses.h"
#include "http/session_routes.h"
#include "ingest/line_protocol.h"
#include "ingest/pipeline.h"
#include "mqtt/broker.h"
#include "query/executor.h"
#include "query/json_format.h"
#include "query/parser.h"
#include "storage/engine.h"

namespace verbund::http {

namespace {

bool IsPlainIdent(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// InfluxDB answers statements that change state over GET with a deprecation message; done here
// for CREATE DATABASE (the only such statement clients send over GET in practice).
void AddGetDeprecations(std::string_view text, std::string* body) {
  Result<query::Query> parsed = query::ParseQuery(text);
  if (!parsed.ok()) return;
  for (size_t i = 0; i < parsed->statements.size(); ++i) {
    const auto* create = std::get_if<query::CreateDatabaseStatement>(&parsed->statements[i]);
    if (!create) continue;
    std::string name = create->name;
    if (!IsPlainIdent(name)) {
      std::string quoted = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      name = quoted + "\"";
    }
    std::string plain = "{\"statement_id\":" + std::to_string(i) + "}";
    size_t at = body->find(plain);
    if (at == std::string::npos) continue;
    std::string with = "{\"statement_id\":" + std::to_string(i) +
                       ",\"messages\":[{\"level\":\"warning\",\"text\":";
    query::AppendJsonString(&with, "deprecated use of 'CREATE DATABASE " + name +
                                       "' in a read only context, please use a POST request instead");
    with += "}]}";
    body->replace(at, plain.size(), with);
  }
}

bool IsTrue(std::string_view s) { return s == "true" || s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "True"; }

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

namespace {
constexpr std::string_view kAuditPrefix = "/api/v1/audit/";
}  // namespace

std::string_view RouteName(Route r) {
  switch (r) {
    case Route::kPing: return "ping";
    case Route::kHealth: return "health";
    case Route::kWrite: return "write";
    case Route::kQuery: return "query";
    case Route::kMetrics: return "metrics";
    case Route::kApiSeries: return "api_v1_series";
    case Route::kApiRead: return "api_v1_read";
    case Route::kApiLatest: return "api_v1_latest";
    case Route::kApiAudit:
      return "api_v1_audit";
    case Route::kApiAdmin:
      return "api_v1_admin";
    case Route::kApiSession:
      return "api_v1_session";
    case Route::kApiConsoleStats:
      return "api_v1_console_stats";
    case Route::kApiConsoleTopics:
      return "api_v1_console_topics";
    case Route::kApiPublish:
      return "api_v1_publish";
    case Route::kConsole:
      return "console";
    case Route::kOther:
    case Route::kCount: break;
  }
  return "other";
}

Route RouteOf(std::string_view path) {
  if (ConsoleAssets::Handles(path)) return Route::kConsole;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/ping") return Route::kPing;
  if (path == "/health") return Route::kHealth;
  if (path == "/write") return Route::kWrite;
  if (path == "/query") return Route::kQuery;
  if (path == "/metrics") return Route::kMetrics;
  if (path == "/api/v1/series") return Route::kApiSeries;
  if (path == "/api/v1/read") return Route::kApiRead;
  if (path == "/api/v1/latest") return Route::kApiLatest;
  if (path.starts_with(kAuditPrefix)) return Route::kApiAudit;
  if (AdminRoutes::Handles(path)) return Route::kApiAdmin;
  if (path == kSessionPath) return Route::kApiSession;
  if (path == "/api/v1/console/stats") return Route::kApiConsoleStats;
  if (path == "/api/v1/console/topics") return Route::kApiConsoleTopics;
  if (path == "/api/v1/publish") return Route::kApiPublish;
  return Route::kOther;
}

void HttpMetrics::Count(Route r, unsigned status) {
  size_t i = 0;
  while (i + 1 < kStatuses.size() && kStatuses[i] != status) ++i;
  requests[static_cast<size_t>(r)][i].Inc();
}

std::string InfluxError(std::string_view message) {
  std::string out = "{\"error\":";
  query::AppendJsonString(&out, message);
  out += "}";
  return out;
}

std::string ApiError(std::string_view code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":";
  query::AppendJsonString(&out, code);
  out += ",\"message\":";
  query::AppendJsonString(&out, message);
  out += "}}";
  return out;
}

std::string PrettyJson(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  int depth = 0;
  bool in_string = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<size_t>(depth) * 4, ' ');
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < in.size()) {
        out += in[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        if (i + 1 < in.size() && (in[i + 1] == '}' || in[i + 1] == ']')) {
          out += c;
          out += in[++i];
          break;
        }
        out += c;
        ++depth;
        newline();
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      case ' ':
      case '\n':
      case '\t':
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<int64_t> ParseTimeParam(std::string_view s) {
  int64_t ns = 0;
  if (ParseInt64(s, &ns)) return ns;
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  auto bad = [&] { return InvalidArgument("invalid time '" + std::string(s) + "': want RFC 3339 or integer nanoseconds"); };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return bad();
  }
  auto num = [&](size_t pos, size_t len, int64_t* v) {
    return ParseInt64(s.substr(pos, len), v);
  };
  int64_t y, mo, d, h, mi, se;
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &se)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return bad();
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return bad();
    for (; digits < 9; ++digits) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int64_t oh, om;
    if (!num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om)) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1'000'000'000 + frac;
}

Api::Api(ServerDeps deps, uint32_t max_body_bytes, RunAsync run_async, size_t write_parallelism)
    : deps_(std::move(deps)),
      max_body_bytes_(max_body_bytes),
      run_async_(std::move(run_async)),
      write_parallelism_(std::max<size_t>(1, write_parallelism)) {
  if (!deps_.clock) deps_.clock = SystemClock::Default();
  if (!deps_.audit_authorize && deps_.access != nullptr) {
    // Operators read everything; a tenant admin its own tenant's entries.
    deps_.audit_authorize = [access = deps_.access](const Request& req, std::string_view tenant) {
      return req.caller != nullptr && access->MayReadAudit(*req.caller, tenant);
    };
  }
  if (deps_.audit_log && deps_.audit_signer) {
    audit_routes_ =
        std::make_unique<AuditRoutes>(deps_.audit_log, deps_.audit_signer, deps_.audit_authorize);
  }
  LiveStatsOptions live;
  live.sample = [this] {
    StatsSample s;
    s.time_ms = deps_.clock->NowNs() / 1'000'000;
    if (const mqtt::BrokerMetrics* b = deps_.broker_metrics) {
      s.connections = b->connections_active.load(std::memory_order_relaxed);
      for (int q = 0; q < 3; ++q) {
        s.messages_in += b->messages_in[q].load(std::memory_order_relaxed);
        s.messages_out += b->messages_out[q].load(std::memory_order_relaxed);
      }
    }
    if (deps_.tenant_mqtt) s.tenants = deps_.tenant_mqtt();
    if (deps_.pipeline) s.points_written = deps_.pipeline->metrics().points_written.load();
    s.databases = deps_.engine->Usage();
    s.disk_bytes = deps_.engine->DiskBytes();
    return s;
  };
  live_stats_ = std::make_unique<LiveStats>(std::move(live));
}

Api::~Api() = default;

bool Api::DatabaseExists(std::string_view db) {
  if (deps_.database_exists) return deps_.database_exists(db);
  if (deps_.list_databases) {
    for (const auto& n : deps_.list_databases()) {
      if (n == db) return true;
    }
    return false;
  }
  for (const auto& n : deps_.engine->Tenants()) {
    if (n == db) return true;
  }
  return false;
}

namespace {

// 401 (with the challenge Basic-auth clients expect), or 429 (ResourceExhausted: logins back
// off, a quota is exceeded) with Retry-After.
// `challenge`: with WWW-Authenticate (InfluxDB routes, for clients that answer it with Basic).
Response AuthRefusal(bool native, const Status& st, int64_t retry_after_ms,
                     bool challenge = false) {
  if (st.code() == StatusCode::kResourceExhausted) {
    return TooManyRequests(native, st.message(), retry_after_ms);
  }
  Response r =
      native ? NativeError(401, "unauthenticated", st.message()) : Error(401, st.message());
  if (challenge) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"InfluxDB\"");
  return r;
}

}  // namespace

void Api::Handle(Request req, Reply reply) {
  Result<Target> target = ParseTarget(req.target);
  if (!target.ok()) {
    metrics_.Count(Route::kOther, 400);
    reply(Error(400, (target.status().message())));
    return;
  }
  Route route = RouteOf(target->path);
  // Count every answer by route and status.
  Reply counted = [this, route, reply = std::move(reply)](Response r) {
    metrics_.Count(route, r.status);
    if (!r.error_message.empty()) {
      std::string v = std::move(r.error_message);
      for (char& c : v) {
        if (c == '\n' || c == '\r' || (static_cast<unsigned char>(c) < 0x20 && c != '\t')) c = ' ';
      }
      if (v.size() > 1024) v.resize(1024);
      r.headers.emplace_back("X-Influxdb-Error", std::move(v));
    }
    reply(std::move(r));
  };
  const bool open_route = route == Route::kPing || route == Route::kHealth ||
                          route == Route::kConsole || route == Route::kOther ||
                          route == Route::kCount;
  if (deps_.access == nullptr || open_route) {
    req.caller = std::make_shared<const Caller>(Caller{std::nullopt, req.peer});
    return Dispatch(std::move(req), std::move(*target), std::move(counted));
  }
  const bool native = target->path.starts_with("/api/");
  // No WWW-Authenticate on the native API or to the console (its cookie): a browser would answer
  // a script's 401 with its own password dialog instead of the console's login page.
  const bool challenge = !native && !SessionCookie(req.cookie);
  if (route == Route::kApiSession && req.method == "POST") return Login(std::move(req), counted);
  Result<Credentials> credentials = ExtractCredentials(target->params, req.authorization);
  if (!credentials.ok()) {
    return counted(
        AuthRefusal(native, Unauthenticated(credentials.status().message()), 0, challenge));
  }
  if (credentials->empty()) credentials->session = SessionCookie(req.cookie);
  // Passwords cost a scrypt run: authenticate on a worker thread, then route.
  auto shared = std::make_shared<std::tuple<Request, Target, Credentials>>(
      std::move(req), std::move(*target), std::move(*credentials));
  run_async_([this, shared, counted, native, challenge] {
    auto& [request, tgt, creds] = *shared;
    int64_t retry_after_ms = 0;
    Result<Caller> caller = deps_.access->Authenticate(creds, request.peer, &retry_after_ms);
    if (!caller.ok()) {
      return counted(AuthRefusal(native, caller.status(), retry_after_ms, challenge));
    }
    // A browser session changes nothing without its CSRF token (SameSite=Strict already keeps
    // other sites' requests from carrying the cookie; this also stops same-site ones).
    const std::string& method = request.method;
    if (!caller->session_csrf.empty() && method != "GET" && method != "HEAD" &&
        !security::WebSessions::CsrfMatches(request.csrf_token, caller->session_csrf)) {
      const char* why = "missing or wrong X-CSRF-Token for this session";
      return counted(native ? NativeError(403, "csrf", why) : Error(403, why));
    }
    // Rate quotas: a request is one message (a /write one per line, charged by Write once the
    // body is inflated), its bytes are the target and body.
    if (RouteOf(tgt.path) != Route::kWrite) {
      Status charged = deps_.access->Charge(*caller, 1, request.target.size() + request.body.size(),
                                            &retry_after_ms);
      if (!charged.ok()) return counted(AuthRefusal(native, charged, retry_after_ms));
    }
    request.caller = std::make_shared<const Caller>(std::move(*caller));
    Dispatch(std::move(request), std::move(tgt), counted);
  });
}

void Api::Login(Request req, Reply counted) {
  if (deps_.access == nullptr) {
    return counted(NativeError(404, "not_found", "sessions need the hub's directory"));
  }
  // A password costs a scrypt run: on a worker thread.
  auto shared = std::make_shared<Request>(std::move(req));
  run_async_([this, shared, counted] {
    Result<Credentials> creds = LoginCredentials(shared->body);
    if (!creds.ok()) return counted(NativeError(400, "bad_request", creds.status().message()));
    int64_t retry_after_ms = 0;
    Result<Caller> caller = deps_.access->Authenticate(*creds, shared->peer, &retry_after_ms);
    const std::string_view method = creds->token ? "token" : "password";
    if (!caller.ok()) {
      const std::string claimed = creds->username.value_or("");
      return RecordSession(
          {shared->peer, "login", method, false, caller.status().message(), "", claimed},
          AuthRefusal(true, caller.status(), retry_after_ms), counted);
    }
    Result<security::OpenedSession> session = deps_.access->OpenSession(*caller);
    if (!session.ok()) {
      return counted(NativeError(500, "internal", session.status().message()));
    }
    const security::Identity& id = *caller->identity;
    RecordSession(
        {shared->peer, "login", method, true, "", id.tenant, id.principal},
        SessionOpened(*caller, *session, deps_.access->session_lifetime_s(), shared->secure),
        counted);
  });
}

void Api::RecordSession(const SessionEvent& e, Response response, const Reply& counted) {
  if (deps_.request_events == nullptr) return counted(std::move(response));
  auto held = std::make_shared<Response>(std::move(response));
  deps_.request_events->Session(e, [held, counted](const Status& st) {
    // Nothing is handed out that the audit log does not hold.
    if (!st.ok()) return counted(NativeError(503, "unavailable", "audit log: " + st.message()));
    counted(std::move(*held));
  });
}

void Api::Dispatch(Request req, Target target_value, Reply counted) {
  Target* target = &target_value;
  const Route route = RouteOf(target->path);
  const Caller& caller = *req.caller;
  const std::string& m = req.method;
  bool get = m == "GET" || m == "HEAD";
  auto not_allowed = [&](std::string allow) {
    Response r = Error(405, ("method " + m + " not allowed"));
    r.headers.emplace_back("Allow", std::move(allow));
    counted(std::move(r));
  };
  switch (route) {
    case Route::kPing:
      if (!get && m != "POST") return not_allowed("GET, HEAD");
      return Ping(req, target->params, counted);
    case Route::kHealth: {
      if (!get) return not_allowed("GET, HEAD");
      std::string body = "{\"name\":\"verbund\",\"message\":\"ready for queries and writes\",";
      body += "\"status\":\"pass\",\"checks\":[],\"version\":\"";
      body += kInfluxVersion;
      body += "\"}";
      return counted(Json(200, std::move(body)));
    }
    case Route::kWrite: {
      if (m != "POST") return not_allowed("POST");
      auto shared = std::make_shared<std::pair<Request, Params>>(std::move(req),
                                                                 std::move(target->params));
      run_async_(
          [this, shared, counted] { Write(std::move(shared->first), shared->second, counted); });
      return;
    }
    case Route::kQuery: {
      if (!get && m != "POST") return not_allowed("GET, POST");
      auto shared = std::make_shared<std::pair<Request, Params>>(std::move(req),
                                                                 std::move(target->params));
      run_async_([this, shared, counted] {
        Query(shared->first, std::move(shared->second), counted);
      });
      return;
    }
    case Route::kMetrics:
      if (!get) return not_allowed("GET");
      if (deps_.access != nullptr && !deps_.access->MayReadMetrics(caller)) {
        return counted(Error(403, "the hub's metrics are for operators"));
      }
      run_async_([this, counted] {
        Response r;
        r.status = 200;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = RenderMetrics();
        counted(std::move(r));
      });
      return;
    case Route::kApiSeries:
    case Route::kApiRead:
    case Route::kApiLatest: {
      if (!get) {
        Response r = NativeError(405, "method_not_allowed", "method " + m + " not allowed");
        r.headers.emplace_back("Allow", "GET");
        return counted(std::move(r));
      }
      auto params = std::make_shared<Params>(std::move(target->params));
      run_async_([this, route, params, counted, who = req.caller] {
        if (route == Route::kApiSeries)
          ApiSeries(*who, *params, counted);
        else if (route == Route::kApiRead)
          ApiRead(*who, *params, counted);
        else
          ApiLatest(*who, *params, counted);
      });
      return;
    }
    case Route::kApiAdmin: {
      if (deps_.admin == nullptr) {
        return counted(NativeError(404, "not_found", "administration is not enabled"));
      }
      // Changes fsync the directory and hash passwords: off the I/O thread.
      auto shared =
          std::make_shared<std::pair<Request, Target>>(std::move(req), std::move(*target));
      run_async_([this, shared, counted] {
        deps_.admin->Handle(shared->first, shared->second, *shared->first.caller, counted);
      });
      return;
    }
    case Route::kApiConsoleStats:
      return counted(ConsoleStats(*live_stats_, caller, m));
    case Route::kApiConsoleTopics:
      return counted(WatchTopics(deps_.topics, caller, m, target->params));
    case Route::kApiPublish:
      return PublishMessage(deps_.topics, caller, req, counted);
    case Route::kConsole:
      if (deps_.console == nullptr) {
        return counted(NativeError(404, "not_found", "the web console is not enabled"));
      }
      return counted(deps_.console->Serve(m, target->path, req.if_none_match));
    case Route::kApiSession:
      if (get) return counted(SessionInfo(caller));
      if (m == "DELETE") {
        std::optional<std::string> id = SessionCookie(req.cookie);
        if (caller.session_csrf.empty() || !id) {
          return counted(NativeError(400, "no_session", "not logged in with a session cookie"));
        }
        deps_.access->CloseSession(*id);
        const security::Identity& who = *caller.identity;
        return RecordSession({req.peer, "logout", "session", true, "", who.tenant, who.principal},
                             SessionClosed(req.secure), counted);
      }
      {
        Response r = NativeError(405, "method_not_allowed", "method " + m + " not allowed");
        r.headers.emplace_back("Allow", "GET, POST, DELETE");
        return counted(std::move(r));
      }
    case Route::kApiAudit: {
      if (!get) {
        Response r = NativeError(405, "method_not_allowed", "method " + m + " not allowed");
        r.headers.emplace_back("Allow", "GET");
        return counted(std::move(r));
      }
      if (!audit_routes_) {
        return counted(NativeError(404, "not_found", "the audit log is not enabled"));
      }
      std::string path = target->path.substr(kAuditPrefix.size());
      if (!path.empty() && path.back() == '/') path.pop_back();
      auto shared =
          std::make_shared<std::pair<Request, Params>>(std::move(req), std::move(target->params));
      run_async_([this, shared, path = std::move(path), counted] {
        audit_routes_->Handle(shared->first, path, shared->second, counted);
      });
      return;
    }
    case Route::kOther:
    case Route::kCount:
      break;
  }
  Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "404 page not found\n";
  counted(std::move(r));
}

void Api::Ping(const Request& req, const Params& params, const Reply& reply) {
  if (IsTrue(params.Get("verbose"))) {
    reply(Json(200, "{\"version\":\"" + std::string(kInfluxVersion) + "\"}"));
    return;
  }
  reply(Empty(204));
}

namespace {

// What the audit entry of a /query says besides its answer (request events only).
struct QueryReport {
  std::string peer;
  std::string tenant;
  std::string principal;
  std::string db;
  std::string statement;
  query::QuerySummary summary;
  std::string measurements;  // summary.measurements joined, for the event

  QueryEvent Event(unsigned status, std::string_view error) {
    measurements.clear();
    for (const std::string& m : summary.measurements) {
      if (!measurements.empty()) measurements += ',';
      measurements += m;
    }
    return {peer,   db,        statement,    summary.rows, status,    error,
            tenant, principal, measurements, summary.from, summary.to};
  }
};

}  // namespace

void Api::Query(const Request& req, Params params, const Reply& unreported) {
  int64_t start = deps_.clock->MonotonicNs();
  // Every answer waits for its audit entry.
  std::shared_ptr<QueryReport> report;
  Reply reply = unreported;
  RequestEvents* events = deps_.request_events;
  if (events) {
    report = std::make_shared<QueryReport>();
    report->peer = req.peer;
    if (req.caller && req.caller->identity) {
      report->tenant = req.caller->identity->tenant;
      report->principal = req.caller->identity->principal;
    }
    reply = AfterReport(
        [events, report](const Response& r, RequestEvents::Done done) {
          const std::string& error =
              report->summary.error.empty() ? r.error_message : report->summary.error;
          events->Query(report->Event(r.status, error), std::move(done));
        },
        unreported);
  }
  auto note_request = [&] {
    if (!report) return;
    report->db = std::string(params.Get("db"));
    report->statement = std::string(params.Get("q"));
  };
  note_request();
  if (req.method == "POST" &&
      req.content_type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    Result<Params> form = ParseQueryString(req.body);
    if (!form.ok()) return reply(Error(400, (form.status().message())));
    params.PrependAll(*form);
    note_request();
  }
  std::string_view q = params.Get("q");
  if (q.empty()) return reply(Error(400, ("missing required parameter \"q\"")));
  query::QueryOptions qo;
  qo.database = params.Get("db");
  std::shared_ptr<const query::QueryScope> scope;
  if (deps_.access != nullptr && req.caller) scope = deps_.access->QueryScopeFor(*req.caller);
  qo.scope = scope.get();
  qo.epoch = query::ParseEpoch(params.Get("epoch"));
  bool pretty = IsTrue(params.Get("pretty"));
  bool chunked = IsTrue(params.Get("chunked"));
  if (chunked) {
    int64_t n = 0;
    if (ParseInt64(params.Get("chunk_size"), &n) && n > 0) qo.chunk_size = static_cast<size_t>(n);
  }
  if (!chunked) {
    query::QueryResponse resp = deps_.executor->Run(q, qo);
    metrics_.query_seconds.Observe(Seconds(deps_.clock->MonotonicNs() - start));
    if (report) report->summary = std::move(resp.summary);
    if (req.method == "GET" && !resp.parse_error) AddGetDeprecations(q, &resp.body);
    std::string body = pretty ? PrettyJson(resp.body) : std::move(resp.body);
    body += '\n';
    return reply(Json(resp.parse_error ? 400 : 200, std::move(body)));
  }
  // The first document is held back until a second one shows the query parsed (a parse error
  // emits exactly one document and is answered 400 without chunking).
  std::string first;
  bool have_first = false;
  std::shared_ptr<ChunkStream> stream;
  query::QuerySummary summary;
  bool ok = deps_.executor->RunChunked(q, qo, &summary, [&](std::string&& doc) {
    if (pretty) doc = PrettyJson(doc);
    doc += '\n';
    if (!have_first) {
      first = std::move(doc);
      have_first = true;
      return true;
    }
    if (!stream) {
      stream = std::make_shared<ChunkStream>();
      stream->Push(std::move(first));
      Response r = Json(200, "");
      r.stream = stream;
      unreported(std::move(r));  // its entry is made, and waited for, when the query ends
    }
    return stream->Push(std::move(doc));
  });
  metrics_.query_seconds.Observe(Seconds(deps_.clock->MonotonicNs() - start));
  if (report) report->summary = std::move(summary);
  if (stream && report) {
    // The 200 is out: the response ends once the entry is durable (with an error document
    // instead if it cannot be recorded).
    events->Query(report->Event(200, report->summary.error), [stream, report](const Status& st) {
      if (!st.ok()) stream->Push(InfluxError("audit log unavailable: " + st.message()) + "\n");
      stream->Finish();
    });
    return;
  }
  if (stream) {
    stream->Finish();
    return;
  }
  reply(Json(ok ? 200 : 400, std::move(first)));
}

}  // namespace verbund::http
