// RequestEvents: what the HTTP layer reports about each /write and /query, for the hub's audit
// log (server/audit_events.h). ServerDeps::request_events is null when nothing is recorded.
//
// Threading: called on the server's worker threads (or the pipeline's writer thread, for a
// /write's outcome); must not block. The string views are valid only for the call. `done` must be
// called exactly once, from any thread, when the event is durable (OK) or cannot be recorded (the
// error); the response is sent only then, and an error turns it into a 503.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace verbund::http {

struct WriteEvent {
  std::string_view peer;  // "ip:port"
  std::string_view database;
  uint64_t measurements = 0;  // distinct measurements among the points written
  uint64_t points = 0;        // points made durable
  uint64_t rejected = 0;      // lines or points not written
  unsigned status = 0;        // the HTTP status about to be sent
  std::string_view error;     // the error sent with it ("" on success)
  std::string_view tenant;    // the caller's ("" when anonymous)
  std::string_view principal;  // the caller's name ("" when anonymous)
};

struct SessionEvent {
  std::string_view peer;       // "ip:port"
  std::string_view action;     // "login" or "logout"
  std::string_view method;     // "password" or "token"
  bool ok = true;              // false: a refused login
  std::string_view error;      // why it was refused
  std::string_view tenant;     // the principal's ("" for a refused login)
  std::string_view principal;  // its name (a refused login: the claimed user name, if any)
};

struct QueryEvent {
  std::string_view peer;
  std::string_view database;   // the `db` parameter
  std::string_view statement;  // the query text as received
  uint64_t rows = 0;           // rows in the response, over every statement and series
  unsigned status = 0;
  std::string_view error;  // a parse error or the first statement error
  std::string_view tenant;     // the caller's ("" when anonymous)
  std::string_view principal;  // the caller's name ("" when anonymous)
  // What its SELECTs read: measurements joined by ',' ("" = none), and the union of their time
  // ranges in ns (nullopt: unbounded on that side).
  std::string_view measurements;
  std::optional<int64_t> from, to;
};

class RequestEvents {
 public:
  using Done = std::function<void(const Status&)>;
  virtual ~RequestEvents() = default;
  virtual void Write(const WriteEvent& e, Done done) = 0;
  virtual void Query(const QueryEvent& e, Done done) = 0;
  // A console login (ok or refused) or logout; a login's session is handed out only once its
  // entry is durable. The default records nothing.
  virtual void Session(const SessionEvent& e, Done done) { done(Status::OK()); }
};

}  // namespace verbund::http
