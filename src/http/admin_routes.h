// The admin API over HTTP (doc/api.md, "Admin API"): tenants, principals, credentials
// (passwords, certificate identities, API tokens), access rules, quotas and MQTT sessions, in
// JSON under /api/v1/admin.
//
// Who may do what: anonymous callers get 401. Operators (the admin right in their identity's
// rights) manage every tenant and the operator tenant `_hub`; tenant admins (tenant_admin and the
// admin right) only /tenants/<their tenant>/... and their tenant's sessions, and never quotas of
// the tenant; anything else is 403, before any lookup, so another tenant's existence is never
// revealed. Nothing here reads tenant data (readings, messages).
//
// Directory mutations fsync and hash passwords (scrypt): call Handle on a worker thread, never
// on an I/O thread. The sessions routes answer from the broker's thread.
// Thread-safety: Handle may be called concurrently; the directory and broker are borrowed and
// must outlive the AdminRoutes and every reply still pending.
#pragma once

#include <functional>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "http/api.h"
#include "http/caller.h"
#include "http/url.h"

namespace verbund::security {
class Directory;
}
namespace verbund::mqtt {
class Broker;
}

namespace verbund::http {

inline constexpr std::string_view kAdminPrefix = "/api/v1/admin";

struct AdminDeps {
  security::Directory* directory = nullptr;  // required
  mqtt::Broker* broker = nullptr;            // optional: sessions routes answer 503 when null
  // Called after each successful or refused state-changing call, for the audit log (kind
  // admin_change): `action` e.g. "tenant.create", `tenant` ("" hub-wide), `target` (principal
  // name, rule ids, token id, certificate identity, client id; "" for the tenant itself).
  std::function<void(const Caller&, std::string_view action, std::string_view tenant,
                     std::string_view target, const Status& outcome)>
      on_change;
  const Clock* clock = nullptr;  // token expiry: now; nullptr = the system clock
};

class AdminRoutes {
 public:
  explicit AdminRoutes(AdminDeps deps);

  // True when `path` is /api/v1/admin or below it.
  static bool Handles(std::string_view path);

  // `caller` is already authenticated (or anonymous). Replies exactly once, from any thread.
  // Path segments are taken from req.target (raw) and percent-decoded one by one, so a
  // certificate identity may hold an encoded '/'.
  void Handle(const Request& req, const Target& target, const Caller& caller, Reply reply);

 private:
  struct Call;
  Response Dispatch(Call& call);
  void ListSessions(const Caller& caller, std::string tenant, bool all, Reply reply);
  void KickSession(const Caller& caller, std::string tenant, std::string client_id, Reply reply);
  void Report(const Caller& caller, std::string_view action, std::string_view tenant,
              std::string_view target, const Status& outcome) const;
  int64_t NowMs() const;

  AdminDeps deps_;
};

}  // namespace verbund::http
