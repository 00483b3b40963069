// Authentication and scopes of HTTP callers, InfluxDB 1.x style: credentials from `u`/`p`,
// Basic or `Authorization: Token|Bearer` (http/credentials.h) are checked against the
// directory; a caller then sees only its tenant's databases (`<tenant>`, `<tenant>_*`), as its
// rules allow, and operators see none (they administer, they do not read tenant data).
//
// `auth_required` (`[http] auth`): without credentials a request is refused (401); when false,
// requests without credentials are anonymous and see everything (the demo), and requests with
// credentials are still checked and scoped.
//
// Passwords cost a scrypt run (tens of milliseconds), so a verified (user, password) pair is
// remembered for a few minutes by its SHA-256, as long as the directory still holds the identity
// (a password change, disable or deletion ends it at once).
//
// Thread-safety: every method may be called from any thread concurrently. Authenticate may run
// scrypt: call it on a worker thread, never on an I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"
#include "http/caller.h"
#include "http/credentials.h"
#include "query/executor.h"
#include "security/directory.h"
#include "security/login_throttle.h"
#include "security/usage.h"
#include "security/web_sessions.h"

namespace verbund::http {

struct AccessOptions {
  security::Directory* directory = nullptr;  // not owned; null: every caller is anonymous
  bool auth_required = true;
  const Clock* clock = nullptr;  // null: system clock
  security::LoginThrottleOptions throttle;
  security::Usage* usage = nullptr;  // not owned; null: no quotas
  security::WebSessionOptions sessions;
};

class Access {
 public:
  explicit Access(AccessOptions options);

  bool auth_required() const { return options_.auth_required; }

  // Unauthenticated (send 401) for missing or wrong credentials; ResourceExhausted (send 429
  // with *retry_after_ms) while the principal or address backs off after failures.
  Result<Caller> Authenticate(const Credentials& c, std::string_view peer, int64_t* retry_after_ms);

  // A web console session for an authenticated (not anonymous, not session) caller.
  Result<security::OpenedSession> OpenSession(const Caller& c);
  // Ends the session `id` (the cookie value); false when there was none.
  bool CloseSession(std::string_view id) { return sessions_.Close(id); }
  int64_t session_lifetime_s() const { return options_.sessions.absolute_ttl_ns / 1'000'000'000; }

  // What the caller may see and change in InfluxQL; null for an anonymous caller (everything).
  std::shared_ptr<const query::QueryScope> QueryScopeFor(const Caller& c) const;

  // For /write into `db`: PermissionDenied when the caller may not write there at all; else a
  // check per measurement (empty function: everything).
  Result<std::function<bool(std::string_view measurement)>> WriteCheck(const Caller& c,
                                                                       std::string_view db) const;

  // Charges a request to the caller's and its tenant's rate quotas (messages/s, bytes/s):
  // ResourceExhausted (send 429 with *retry_after_ms) when over; anonymous callers have none.
  Status Charge(const Caller& c, uint64_t messages, uint64_t bytes, int64_t* retry_after_ms);
  // Before data is written into `db`: ResourceExhausted while the tenant owning it is at its
  // stored-bytes quota (after WriteCheck, the caller's tenant; with auth off, too).
  Status CheckStored(std::string_view db) const;

  // Hub metrics and audit log: operators (and anonymous callers when auth is off); a tenant
  // admin reads its own tenant's audit entries (`tenant`), and tree heads and proofs (`*`).
  bool MayReadMetrics(const Caller& c) const;
  bool MayReadAudit(const Caller& c, std::string_view tenant) const;

 private:
  // A caller's compiled rules, kept alive by the closures that use them.
  struct Scoped {
    security::Identity identity;
    security::SessionPolicy policy;
  };
  std::shared_ptr<Scoped> ScopedFor(const security::Identity& id) const;

  struct Cached {
    security::Identity identity;
    int64_t expires_ns = 0;
  };

  const AccessOptions options_;
  const Clock* clock_;
  security::LoginThrottle throttle_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> verified_;  // SHA-256(user \0 password); guarded by mu_
  security::WebSessions sessions_;
};

}  // namespace verbund::http
