// What an HTTP client presents to prove who it is, in every form InfluxDB 1.x clients use:
// `u`/`p` query (or form) parameters (the influx CLI, Grafana's InfluxDB source), HTTP Basic
// (Telegraf's username/password, curl -u), `Authorization: Token <t>` (InfluxDB 1.8/2.x
// clients, Telegraf's token) and `Authorization: Bearer <t>` (Prometheus' bearer_token).
// Header credentials win over parameters, as in InfluxDB.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/url.h"

namespace verbund::http {

struct Credentials {
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> token;
  std::optional<std::string> session;  // the web console's session cookie

  bool empty() const { return !username && !token && !session; }
};

// The web console's session cookie (security/web_sessions.h).
inline constexpr std::string_view kSessionCookie = "verbund_session";

// The value of the session cookie in a Cookie header (RFC 6265 `name=value; name=value`), if
// any. It counts only when the request carries no other credentials.
std::optional<std::string> SessionCookie(std::string_view cookie_header);

// InvalidArgument for an Authorization header that is malformed or of an unknown scheme (the
// client meant to authenticate and would otherwise be treated as anonymous).
Result<Credentials> ExtractCredentials(const Params& params, std::string_view authorization);

}  // namespace verbund::http
