// /api/v1/session: the web console's login (POST), who is logged in (GET) and logout (DELETE).
// The session itself is security::WebSessions behind http::Access; the cookie is HttpOnly,
// SameSite=Strict, Path=/, Secure over TLS, and lives as long as the session's absolute
// lifetime. Documented in doc/api.md ("Console sessions").
#pragma once

#include <string_view>

#include "core/status.h"
#include "http/api.h"
#include "http/caller.h"
#include "http/credentials.h"
#include "security/web_sessions.h"

namespace verbund::http {

inline constexpr std::string_view kSessionPath = "/api/v1/session";

// The credentials of a login body: {"username": "...", "password": "..."} or {"token": "..."}
// (JSON); InvalidArgument otherwise.
Result<Credentials> LoginCredentials(std::string_view body);

// 200 with who logged in and the session's CSRF token, and the cookie.
Response SessionOpened(const Caller& caller, const security::OpenedSession& session,
                       int64_t max_age_s, bool secure);
// 200 with who the caller is (and the CSRF token when it came with a session cookie).
Response SessionInfo(const Caller& caller);
// 200, and the cookie cleared.
Response SessionClosed(bool secure);

}  // namespace verbund::http
