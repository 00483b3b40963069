// Who sent an HTTP request, once authenticated (see server/http_access.h for how): the
// directory identity, or none when `[http] auth = false` lets anonymous callers in.
#pragma once

#include <optional>
#include <string>

#include "security/types.h"

namespace verbund::http {

struct Caller {
  std::optional<security::Identity> identity;  // nullopt: anonymous (only with auth off)
  std::string peer;                            // "ip:port"
  // Authenticated by a web console session cookie: the session's CSRF token, which every
  // request that changes something must present (X-CSRF-Token); "" otherwise.
  std::string session_csrf;

  bool anonymous() const { return !identity.has_value(); }
};

}  // namespace verbund::http
