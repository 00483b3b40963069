#include "http/session_routes.h"

#include <nlohmann/json.hpp>

#include "http/responses.h"

namespace verbund::http {
namespace {

using nlohmann::json;

std::string Cookie(std::string_view value, int64_t max_age_s, bool secure) {
  std::string c(kSessionCookie);
  c += '=';
  c += value;
  c += "; Path=/; HttpOnly; SameSite=Strict; Max-Age=";
  c += std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

// `csrf`: the session's token, when the caller holds a session ("" otherwise).
json Who(const Caller& caller, std::string_view csrf) {
  if (caller.anonymous()) return json{{"anonymous", true}};
  const security::Identity& id = *caller.identity;
  json j{{"tenant", id.tenant},
         {"principal", id.principal},
         {"kind", std::string(security::PrincipalKindName(id.kind))},
         {"operator", id.IsOperator()},
         {"tenant_admin", id.tenant_admin}};
  if (!csrf.empty()) j["csrf_token"] = csrf;
  return j;
}

}  // namespace

Result<Credentials> LoginCredentials(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("a login is a JSON object: {\"username\",\"password\"} or {\"token\"}");
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  Credentials c;
  if (auto token = text("token")) {
    c.token = std::move(token);
  } else if (auto user = text("username")) {
    c.username = std::move(user);
    c.password = text("password").value_or("");
  }
  if (c.empty())
    return InvalidArgument("a login needs \"username\" and \"password\", or \"token\"");
  return c;
}

Response SessionOpened(const Caller& caller, const security::OpenedSession& session,
                       int64_t max_age_s, bool secure) {
  json j = Who(caller, session.csrf);
  j["expires_in_s"] = max_age_s;
  Response r = Json(200, j.dump());
  r.headers.emplace_back("Set-Cookie", Cookie(session.id, max_age_s, secure));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response SessionInfo(const Caller& caller) {
  Response r = Json(200, Who(caller, caller.session_csrf).dump());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response SessionClosed(bool secure) {
  Response r = Json(200, json{{"logged_out", true}}.dump());
  r.headers.emplace_back("Set-Cookie", Cookie("", 0, secure));
  return r;
}

}  // namespace verbund::http
