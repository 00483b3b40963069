#include "http/admin_routes.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/logging.h"
#include "http/responses.h"
#include "mqtt/broker.h"
#include "mqtt/codec/reason_code.h"
#include "security/directory.h"
#include "security/names.h"

namespace verbund::http {
namespace {

using nlohmann::json;
using security::Right;
using security::Rights;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}
Response Ok(unsigned status, const json& j) { return Json(status, Dump(j)); }

Response FromStatus(const Status& st) { return NativeStatusError(st); }

// Who may call a route (besides being authenticated with the admin right).
enum class Who : uint8_t {
  kOperator,  // operators only
  kTenant,    // operators, and the admins of the route's tenant
  kAnyAdmin,  // operators, and any tenant admin (answer confined to its tenant)
};

enum class Op : uint8_t {
  kListTenants,
  kCreateTenant,
  kDeleteTenant,
  kGetTenantQuotas,
  kSetTenantQuotas,
  kListPrincipals,
  kCreatePrincipal,
  kDeletePrincipal,
  kSetPassword,
  kClearPassword,
  kSetDisabled,
  kGetPrincipalQuotas,
  kSetPrincipalQuotas,
  kListCertificates,
  kAddCertificate,
  kRemoveCertificate,
  kListTokens,
  kIssueToken,
  kRevokeToken,
  kListRules,
  kAddRules,
  kRemoveRule,
  kListAllSessions,
  kListSessions,
  kKickSession,
};

struct RouteSpec {
  std::string_view pattern;  // below /api/v1/admin/, "{}" captures one segment
  std::string_view method;
  Op op;
  std::string_view action;  // "" for reads (not reported)
  Who access;
};

// The route of tenant `{}` (captures[0]) is checked against the caller before anything else.
constexpr RouteSpec kRoutes[] = {
    {"tenants", "GET", Op::kListTenants, "", Who::kOperator},
    {"tenants", "POST", Op::kCreateTenant, "tenant.create", Who::kOperator},
    {"tenants/{}", "DELETE", Op::kDeleteTenant, "tenant.delete", Who::kOperator},
    {"tenants/{}/quotas", "GET", Op::kGetTenantQuotas, "", Who::kOperator},
    {"tenants/{}/quotas", "PUT", Op::kSetTenantQuotas, "tenant.quotas", Who::kOperator},
    {"tenants/{}/principals", "GET", Op::kListPrincipals, "", Who::kTenant},
    {"tenants/{}/principals", "POST", Op::kCreatePrincipal, "principal.create", Who::kTenant},
    {"tenants/{}/principals/{}", "DELETE", Op::kDeletePrincipal, "principal.delete", Who::kTenant},
    {"tenants/{}/principals/{}/password", "PUT", Op::kSetPassword, "principal.password.set",
     Who::kTenant},
    {"tenants/{}/principals/{}/password", "DELETE", Op::kClearPassword, "principal.password.clear",
     Who::kTenant},
    {"tenants/{}/principals/{}/disabled", "PUT", Op::kSetDisabled, "principal.disabled",
     Who::kTenant},
    {"tenants/{}/principals/{}/quotas", "GET", Op::kGetPrincipalQuotas, "", Who::kTenant},
    {"tenants/{}/principals/{}/quotas", "PUT", Op::kSetPrincipalQuotas, "principal.quotas",
     Who::kTenant},
    {"tenants/{}/certificates", "GET", Op::kListCertificates, "", Who::kTenant},
    {"tenants/{}/principals/{}/certificates", "POST", Op::kAddCertificate, "certificate.add",
     Who::kTenant},
    {"tenants/{}/certificates/{}", "DELETE", Op::kRemoveCertificate, "certificate.remove",
     Who::kTenant},
    {"tenants/{}/tokens", "GET", Op::kListTokens, "", Who::kTenant},
    {"tenants/{}/principals/{}/tokens", "POST", Op::kIssueToken, "token.issue", Who::kTenant},
    {"tenants/{}/tokens/{}", "DELETE", Op::kRevokeToken, "token.revoke", Who::kTenant},
    {"tenants/{}/rules", "GET", Op::kListRules, "", Who::kTenant},
    {"tenants/{}/rules", "POST", Op::kAddRules, "rule.add", Who::kTenant},
    {"tenants/{}/rules/{}", "DELETE", Op::kRemoveRule, "rule.remove", Who::kTenant},
    {"sessions", "GET", Op::kListAllSessions, "", Who::kAnyAdmin},
    {"tenants/{}/sessions", "GET", Op::kListSessions, "", Who::kTenant},
    {"tenants/{}/sessions/{}", "DELETE", Op::kKickSession, "session.kick", Who::kTenant},
};

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Matches decoded segments against a pattern; the captures on success.
std::optional<std::vector<std::string>> MatchPattern(std::string_view pattern,
                                                     const std::vector<std::string>& segments) {
  std::vector<std::string_view> parts = SplitPath(pattern);
  if (parts.size() != segments.size()) return std::nullopt;
  std::vector<std::string> captures;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "{}") {
      if (segments[i].empty()) return std::nullopt;
      captures.push_back(segments[i]);
    } else if (parts[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return captures;
}

// --- JSON bodies ---------------------------------------------------------------------------

Result<json> ParseBody(const Request& req, bool want_object) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the request body is not valid JSON");
  if (want_object && !j.is_object()) {
    return InvalidArgument("the request body must be a JSON object");
  }
  return j;
}

template <typename T>
Result<std::optional<T>> Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<T>();
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return InvalidArgument(std::string("\"") + key + "\" must be a string");
    return std::optional<T>(it->template get<std::string>());
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) {
      return InvalidArgument(std::string("\"") + key + "\" must be true or false");
    }
    return std::optional<T>(it->template get<bool>());
  } else {
    static_assert(std::is_same_v<T, uint64_t>);
    if (!it->is_number_unsigned()) {
      return InvalidArgument(std::string("\"") + key + "\" must be a non-negative integer");
    }
    return std::optional<T>(it->template get<uint64_t>());
  }
}

template <typename T>
Result<T> Required(const json& obj, const char* key) {
  ASSIGN_OR_RETURN(std::optional<T> v, Field<T>(obj, key));
  if (!v) return InvalidArgument(std::string("\"") + key + "\" is required");
  return std::move(*v);
}

constexpr std::pair<std::string_view, Right> kRightNames[] = {
    {"publish", Right::kPublish}, {"subscribe", Right::kSubscribe}, {"write", Right::kWrite},
    {"query", Right::kQuery},     {"admin", Right::kAdmin},
};

json RightsJson(Rights rights) {
  json a = json::array();
  for (const auto& [name, right] : kRightNames) {
    if (rights & security::Bit(right)) a.push_back(name);
  }
  return a;
}

Result<Rights> ParseRights(const json& obj) {
  auto it = obj.find("rights");
  if (it == obj.end()) return InvalidArgument("\"rights\" is required");
  if (!it->is_array() || it->empty()) {
    return InvalidArgument("\"rights\" must be a non-empty array of rights");
  }
  Rights rights = 0;
  for (const json& r : *it) {
    if (!r.is_string()) return InvalidArgument("\"rights\" must hold strings");
    const std::string name = r.get<std::string>();
    auto found = std::find_if(std::begin(kRightNames), std::end(kRightNames),
                              [&](const auto& p) { return p.first == name; });
    if (found == std::end(kRightNames)) {
      return InvalidArgument("unknown right '" + name +
                             "' (publish, subscribe, write, query or admin)");
    }
    rights |= security::Bit(found->second);
  }
  return rights;
}

json QuotasJson(const security::Quotas& q) {
  return json{{"max_connections", q.max_connections},
              {"messages_per_s", q.messages_per_s},
              {"bytes_per_s", q.bytes_per_s},
              {"max_series", q.max_series},
              {"max_stored_bytes", q.max_stored_bytes}};
}

// Fields absent from `obj` keep their value in `current`.
Result<security::Quotas> ParseQuotas(const json& obj, security::Quotas current) {
  const std::pair<const char*, uint64_t*> fields[] = {
      {"max_connections", &current.max_connections},   {"messages_per_s", &current.messages_per_s},
      {"bytes_per_s", &current.bytes_per_s},           {"max_series", &current.max_series},
      {"max_stored_bytes", &current.max_stored_bytes},
  };
  for (const auto& [key, slot] : fields) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> v, Field<uint64_t>(obj, key));
    if (v) *slot = *v;
  }
  for (const auto& item : obj.items()) {
    bool known = std::any_of(std::begin(fields), std::end(fields),
                             [&](const auto& f) { return item.key() == f.first; });
    if (!known) return InvalidArgument("unknown quota \"" + item.key() + "\"");
  }
  return current;
}

Result<security::PrincipalKind> ParseKind(std::string_view name) {
  using security::PrincipalKind;
  if (name == "device") return PrincipalKind::kDevice;
  if (name == "user") return PrincipalKind::kUser;
  if (name == "service") return PrincipalKind::kService;
  if (name == "operator") return PrincipalKind::kOperator;
  return InvalidArgument("unknown principal kind '" + std::string(name) +
                         "' (device, user, service or operator)");
}

json PrincipalJson(const security::PrincipalInfo& p) {
  return json{{"tenant", p.tenant},
              {"name", p.name},
              {"kind", security::PrincipalKindName(p.kind)},
              {"tenant_admin", p.tenant_admin},
              {"disabled", p.disabled},
              {"has_password", p.has_password},
              {"generation", p.generation},
              {"quotas", QuotasJson(p.quotas)}};
}

json RuleJson(const security::Rule& r) {
  return json{{"id", r.id},
              {"effect", r.effect == security::Effect::kAllow ? "allow" : "deny"},
              {"rights", RightsJson(r.rights)},
              {"principal", r.principal},
              {"pattern", r.pattern}};
}

Result<security::Rule> ParseRule(const json& obj, std::string_view tenant) {
  if (!obj.is_object()) return InvalidArgument("a rule must be a JSON object");
  security::Rule rule;
  rule.tenant = std::string(tenant);
  ASSIGN_OR_RETURN(std::optional<std::string> effect, Field<std::string>(obj, "effect"));
  if (!effect || *effect == "allow") {
    rule.effect = security::Effect::kAllow;
  } else if (*effect == "deny") {
    rule.effect = security::Effect::kDeny;
  } else {
    return InvalidArgument("\"effect\" must be \"allow\" or \"deny\", got '" + *effect + "'");
  }
  ASSIGN_OR_RETURN(rule.rights, ParseRights(obj));
  ASSIGN_OR_RETURN(std::optional<std::string> principal, Field<std::string>(obj, "principal"));
  if (principal) rule.principal = std::move(*principal);
  ASSIGN_OR_RETURN(rule.pattern, Required<std::string>(obj, "pattern"));
  return rule;
}

json SessionJson(const mqtt::ClientInfo& c) {
  return json{{"client_id", c.client_id},
              {"tenant", c.tenant},
              {"principal", c.principal},
              {"peer", c.peer},
              {"transport", c.transport},
              {"protocol", c.protocol},
              {"subscriptions", c.subscriptions},
              {"inflight", c.inflight},
              {"queued", c.queued}};
}

Result<uint64_t> ParseId(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return InvalidArgument("rule id must be a non-negative integer, got '" + std::string(text) +
                           "'");
  }
  return v;
}

}  // namespace

// One matched request: the route, its captures and the caller.
struct AdminRoutes::Call {
  const Request& req;
  const Caller& caller;
  const RouteSpec& route;
  std::vector<std::string> captures;
  std::string tenant;  // captures[0] for /tenants/{t}/..., else ""
  std::string target;  // for Report; set by the handler
  std::string action;  // route.action, refined by the handler (enable/disable)
  Status outcome;      // for Report
  bool IsOperator() const { return caller.identity->IsOperator(); }
};

AdminRoutes::AdminRoutes(AdminDeps deps) : deps_(std::move(deps)) {}

bool AdminRoutes::Handles(std::string_view path) {
  if (path.substr(0, kAdminPrefix.size()) != kAdminPrefix) return false;
  return path.size() == kAdminPrefix.size() || path[kAdminPrefix.size()] == '/';
}

int64_t AdminRoutes::NowMs() const {
  if (deps_.clock != nullptr) return deps_.clock->NowNs() / 1'000'000;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AdminRoutes::Report(const Caller& caller, std::string_view action, std::string_view tenant,
                         std::string_view target, const Status& outcome) const {
  if (deps_.on_change && !action.empty()) deps_.on_change(caller, action, tenant, target, outcome);
}

void AdminRoutes::Handle(const Request& req, const Target& target, const Caller& caller,
                         Reply reply) {
  // Segments from the raw target, each decoded on its own (an identity may hold "%2F").
  std::string_view raw = req.target;
  raw = raw.substr(0, raw.find('?'));
  if (!Handles(raw)) raw = target.path;  // already decoded by the caller: best effort
  raw.remove_prefix(std::min(raw.size(), kAdminPrefix.size()));
  if (!raw.empty() && raw.front() == '/') raw.remove_prefix(1);
  if (!raw.empty() && raw.back() == '/') raw.remove_suffix(1);
  std::vector<std::string> segments;
  for (std::string_view s : SplitPath(raw)) {
    Result<std::string> decoded = PercentDecode(s, false);
    if (!decoded.ok()) {
      return reply(NativeError(400, "invalid_argument", "bad percent-escape in the path"));
    }
    segments.push_back(std::move(*decoded));
  }

  const RouteSpec* route = nullptr;
  std::vector<std::string> captures;
  std::string allow;
  for (const RouteSpec& r : kRoutes) {
    auto c = MatchPattern(r.pattern, segments);
    if (!c) continue;
    if (!allow.empty()) allow += ", ";
    allow += r.method;
    if (r.method == req.method) {
      route = &r;
      captures = std::move(*c);
    }
  }
  if (caller.anonymous()) {
    Status st = Unauthenticated("the admin API needs an authenticated caller");
    if (route != nullptr) {
      Report(caller, route->action, captures.empty() ? "" : captures[0], "", st);
    }
    return reply(FromStatus(st));
  }
  if (allow.empty()) {
    return reply(NativeError(404, "not_found", "unknown admin route: " + std::string(raw)));
  }
  if (route == nullptr) {
    Response r = NativeError(405, "method_not_allowed",
                             req.method + " is not allowed here (allowed: " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return reply(std::move(r));
  }

  Call call{req,         caller, *route, std::move(captures), "", "", std::string(route->action),
            Status::OK()};
  if (std::string_view(route->pattern).substr(0, 10) == "tenants/{}")
    call.tenant = call.captures[0];

  // Authorization, before any lookup: a tenant admin learns nothing about other tenants.
  const security::Identity& who = *caller.identity;
  std::shared_ptr<const security::Snapshot> snap = deps_.directory->snapshot();
  bool allowed = false;
  const bool admin_right = (who.rights & security::Bit(Right::kAdmin)) != 0;
  switch (route->access) {
    case Who::kOperator:
      allowed = admin_right && who.IsOperator() && snap->CanAdminister(who, call.tenant);
      break;
    case Who::kTenant:
      allowed = snap->CanAdminister(who, call.tenant);
      break;
    case Who::kAnyAdmin:
      allowed = who.IsOperator() ? snap->CanAdminister(who, "")
                                 : who.tenant_admin && snap->CanAdminister(who, who.tenant);
      break;
  }
  if (!allowed) {
    Status st = PermissionDenied(
        route->access == Who::kOperator
            ? "only operators may do this"
            : (call.tenant.empty() ? std::string("not allowed")
                                   : "not allowed to administer tenant '" + call.tenant + "'"));
    Report(caller, route->action, call.tenant, call.captures.size() > 1 ? call.captures[1] : "",
           st);
    return reply(FromStatus(st));
  }

  if (route->op == Op::kListAllSessions) {
    return ListSessions(caller, who.IsOperator() ? "" : who.tenant, who.IsOperator(),
                        std::move(reply));
  }
  if (route->op == Op::kListSessions) return ListSessions(caller, call.tenant, false, reply);
  if (route->op == Op::kKickSession) {
    return KickSession(caller, call.tenant, call.captures[1], std::move(reply));
  }

  Response response;
  try {
    response = Dispatch(call);
  } catch (const std::exception& e) {  // nlohmann on an unexpected input: never crash
    call.outcome = Internal(std::string("admin request failed: ") + e.what());
    response = FromStatus(call.outcome);
  }
  Report(caller, call.action, call.tenant, call.target, call.outcome);
  reply(std::move(response));
}

Response AdminRoutes::Dispatch(Call& call) {
  security::Directory& dir = *deps_.directory;
  const std::string& t = call.tenant;
  const std::string p = call.captures.size() > 1 ? call.captures[1] : "";
  // Sets the outcome and answers it (204 on success).
  auto done = [&](Status st) {
    call.outcome = std::move(st);
    return FromStatus(call.outcome);
  };
  auto body = [&](bool object) { return ParseBody(call.req, object); };

  switch (call.route.op) {
    case Op::kListTenants: {
      json a = json::array();
      for (const security::TenantInfo& info : dir.ListTenants()) {
        a.push_back(json{{"name", info.name},
                         {"principals", info.principals},
                         {"rules", info.rules},
                         {"quotas", QuotasJson(info.quotas)}});
      }
      return Ok(200, json{{"tenants", std::move(a)}});
    }
    case Op::kCreateTenant: {
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<std::string> name = Required<std::string>(*j, "name");
      if (!name.ok()) return done(name.status());
      call.tenant = *name;
      Status st = dir.CreateTenant(*name);
      if (!st.ok()) return done(st);
      call.outcome = Status::OK();
      return Ok(201, json{{"name", *name}});
    }
    case Op::kDeleteTenant:
      return done(dir.DeleteTenant(t));
    case Op::kGetTenantQuotas: {
      std::optional<security::Quotas> q = dir.snapshot()->TenantQuotas(t);
      if (!q || t == security::kOperatorTenant) {
        return done(NotFound("no tenant '" + t + "'"));
      }
      return Ok(200, QuotasJson(*q));
    }
    case Op::kSetTenantQuotas: {
      std::optional<security::Quotas> current = dir.snapshot()->TenantQuotas(t);
      if (!current) return done(NotFound("no tenant '" + t + "'"));
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<security::Quotas> q = ParseQuotas(*j, *current);
      if (!q.ok()) return done(q.status());
      Status st = dir.SetTenantQuotas(t, *q);
      if (!st.ok()) return done(st);
      return Ok(200, QuotasJson(*q));
    }
    case Op::kListPrincipals: {
      Result<std::vector<security::PrincipalInfo>> list = dir.ListPrincipals(t);
      if (!list.ok()) return done(list.status());
      json a = json::array();
      for (const auto& info : *list) a.push_back(PrincipalJson(info));
      return Ok(200, json{{"principals", std::move(a)}});
    }
    case Op::kCreatePrincipal: {
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<std::string> name = Required<std::string>(*j, "name");
      if (!name.ok()) return done(name.status());
      call.target = *name;
      Result<std::string> kind_name = Required<std::string>(*j, "kind");
      if (!kind_name.ok()) return done(kind_name.status());
      Result<security::PrincipalKind> kind = ParseKind(*kind_name);
      if (!kind.ok()) return done(kind.status());
      Result<std::optional<bool>> admin = Field<bool>(*j, "tenant_admin");
      if (!admin.ok()) return done(admin.status());
      Result<std::optional<std::string>> password = Field<std::string>(*j, "password");
      if (!password.ok()) return done(password.status());
      const bool is_operator_kind = *kind == security::PrincipalKind::kOperator;
      if (is_operator_kind && !call.IsOperator()) {
        return done(PermissionDenied("only operators may create operators"));
      }
      if (is_operator_kind != (t == security::kOperatorTenant)) {
        return done(InvalidArgument(std::string("operators live in tenant '") +
                                    std::string(security::kOperatorTenant) +
                                    "', and only operators do"));
      }
      if (*password && ((*password)->empty() || (*password)->size() > 1024)) {
        return done(InvalidArgument("a password must have 1 to 1024 bytes"));
      }
      Status st = dir.CreatePrincipal(t, *name, *kind, admin->value_or(false));
      if (st.ok() && *password) {
        st = dir.SetPassword(t, *name, **password);
        if (!st.ok()) {
          Status undo = dir.DeletePrincipal(t, *name);  // all or nothing for the caller
          if (!undo.ok()) Logger("http")->warn("admin: cannot undo principal: {}", undo.ToString());
        }
      }
      if (!st.ok()) return done(st);
      call.outcome = Status::OK();
      security::PrincipalInfo info;
      info.tenant = t;
      info.name = *name;
      info.kind = *kind;
      info.tenant_admin = admin->value_or(false);
      info.has_password = password->has_value();
      Result<std::vector<security::PrincipalInfo>> list = dir.ListPrincipals(t);
      if (list.ok()) {
        for (const auto& pi : *list) {
          if (pi.name == *name) info = pi;
        }
      }
      return Ok(201, PrincipalJson(info));
    }
    case Op::kDeletePrincipal:
      call.target = p;
      return done(dir.DeletePrincipal(t, p));
    case Op::kSetPassword: {
      call.target = p;
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<std::string> password = Required<std::string>(*j, "password");
      if (!password.ok()) return done(password.status());
      return done(dir.SetPassword(t, p, *password));
    }
    case Op::kClearPassword:
      call.target = p;
      return done(dir.ClearPassword(t, p));
    case Op::kSetDisabled: {
      call.target = p;
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<bool> disabled = Required<bool>(*j, "disabled");
      if (!disabled.ok()) return done(disabled.status());
      call.action = *disabled ? "principal.disable" : "principal.enable";
      return done(dir.SetDisabled(t, p, *disabled));
    }
    case Op::kGetPrincipalQuotas: {
      std::optional<security::Quotas> q = dir.snapshot()->PrincipalQuotas(t, p);
      if (!q) return done(NotFound("no principal '" + t + "/" + p + "'"));
      return Ok(200, QuotasJson(*q));
    }
    case Op::kSetPrincipalQuotas: {
      call.target = p;
      std::optional<security::Quotas> current = dir.snapshot()->PrincipalQuotas(t, p);
      if (!current) return done(NotFound("no principal '" + t + "/" + p + "'"));
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<security::Quotas> q = ParseQuotas(*j, *current);
      if (!q.ok()) return done(q.status());
      Status st = dir.SetPrincipalQuotas(t, p, *q);
      if (!st.ok()) return done(st);
      return Ok(200, QuotasJson(*q));
    }
    case Op::kListCertificates: {
      if (!dir.snapshot()->HasTenant(t)) return done(NotFound("no tenant '" + t + "'"));
      json a = json::array();
      for (const auto& c : dir.ListCertificateIdentities(t)) {
        a.push_back(json{{"identity", c.identity}, {"principal", c.principal}});
      }
      return Ok(200, json{{"certificates", std::move(a)}});
    }
    case Op::kAddCertificate: {
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<std::string> identity = Required<std::string>(*j, "identity");
      if (!identity.ok()) return done(identity.status());
      call.target = *identity;
      Status st = dir.AddCertificateIdentity(*identity, t, p);
      if (!st.ok()) return done(st);
      return Ok(201, json{{"identity", *identity}, {"tenant", t}, {"principal", p}});
    }
    case Op::kRemoveCertificate: {
      call.target = p;  // the identity
      std::vector<security::CertificateInfo> mine = dir.ListCertificateIdentities(t);
      bool found =
          std::any_of(mine.begin(), mine.end(), [&](const auto& c) { return c.identity == p; });
      // Another tenant's identity is "not found" too: nothing about it is revealed.
      if (!found)
        return done(NotFound("no certificate identity '" + p + "' in tenant '" + t + "'"));
      return done(dir.RemoveCertificateIdentity(p));
    }
    case Op::kListTokens: {
      if (!dir.snapshot()->HasTenant(t)) return done(NotFound("no tenant '" + t + "'"));
      json a = json::array();
      for (const auto& tok : dir.ListTokens(t)) {
        a.push_back(json{{"id", tok.id},
                         {"principal", tok.principal},
                         {"rights", RightsJson(tok.rights)},
                         {"expires_ms", tok.expires_ms},
                         {"created_ms", tok.created_ms}});
      }
      return Ok(200, json{{"tokens", std::move(a)}});
    }
    case Op::kIssueToken: {
      call.target = p;
      Result<json> j = body(true);
      if (!j.ok()) return done(j.status());
      Result<Rights> rights = ParseRights(*j);
      if (!rights.ok()) return done(rights.status());
      Result<std::optional<uint64_t>> expires_in = Field<uint64_t>(*j, "expires_in_s");
      if (!expires_in.ok()) return done(expires_in.status());
      const uint64_t seconds = expires_in->value_or(0);
      if (seconds > 100ull * 365 * 24 * 3600) {
        return done(InvalidArgument("\"expires_in_s\" is more than 100 years"));
      }
      const int64_t expires_ms = seconds == 0 ? 0 : NowMs() + static_cast<int64_t>(seconds) * 1000;
      Result<security::IssuedToken> issued = dir.IssueToken(t, p, *rights, expires_ms);
      if (!issued.ok()) return done(issued.status());
      call.target = issued->id;
      call.outcome = Status::OK();
      return Ok(201, json{{"token", issued->token},
                          {"id", issued->id},
                          {"principal", p},
                          {"rights", RightsJson(*rights)},
                          {"expires_ms", expires_ms}});
    }
    case Op::kRevokeToken: {
      call.target = p;  // the token id
      std::vector<security::TokenInfo> mine = dir.ListTokens(t);
      bool found =
          std::any_of(mine.begin(), mine.end(), [&](const auto& tok) { return tok.id == p; });
      if (!found) return done(NotFound("no token '" + p + "' in tenant '" + t + "'"));
      return done(dir.RevokeToken(p));
    }
    case Op::kListRules: {
      Result<std::vector<security::Rule>> rules = dir.ListRules(t);
      if (!rules.ok()) return done(rules.status());
      json a = json::array();
      for (const auto& r : *rules) a.push_back(RuleJson(r));
      return Ok(200, json{{"rules", std::move(a)}});
    }
    case Op::kAddRules: {
      Result<json> j = body(false);
      if (!j.ok()) return done(j.status());
      if (j->is_object()) {
        Result<security::Rule> rule = ParseRule(*j, t);
        if (!rule.ok()) return done(rule.status());
        Result<uint64_t> id = dir.AddRule(std::move(*rule));
        if (!id.ok()) return done(id.status());
        call.target = std::to_string(*id);
        call.outcome = Status::OK();
        return Ok(201, json{{"id", *id}});
      }
      if (!j->is_array() || j->empty()) {
        return done(InvalidArgument("the body must be a rule object or a non-empty array of them"));
      }
      std::vector<security::Rule> rules;
      for (size_t i = 0; i < j->size(); ++i) {
        Result<security::Rule> rule = ParseRule((*j)[i], t);
        if (!rule.ok()) return done(rule.status().Annotate("rule " + std::to_string(i)));
        rules.push_back(std::move(*rule));
      }
      Result<std::vector<uint64_t>> ids = dir.AddRules(std::move(rules));
      if (!ids.ok()) return done(ids.status());
      for (uint64_t id : *ids) {
        if (!call.target.empty()) call.target += ',';
        call.target += std::to_string(id);
      }
      call.outcome = Status::OK();
      return Ok(201, json{{"ids", *ids}});
    }
    case Op::kRemoveRule: {
      call.target = p;
      Result<uint64_t> id = ParseId(p);
      if (!id.ok()) return done(id.status());
      return done(dir.RemoveRule(t, *id));
    }
    case Op::kListAllSessions:
    case Op::kListSessions:
    case Op::kKickSession:
      break;  // asynchronous, in Handle
  }
  return done(Internal("unhandled admin route"));
}

void AdminRoutes::ListSessions(const Caller& caller, std::string tenant, bool all, Reply reply) {
  (void)caller;
  if (deps_.broker == nullptr) {
    return reply(NativeError(503, "unavailable", "the MQTT broker is not running"));
  }
  deps_.broker->ListClients([tenant = std::move(tenant), all,
                             reply = std::move(reply)](std::vector<mqtt::ClientInfo> clients) {
    std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) {
      return std::tie(a.tenant, a.client_id) < std::tie(b.tenant, b.client_id);
    });
    json a = json::array();
    for (const auto& c : clients) {
      if (all || c.tenant == tenant) a.push_back(SessionJson(c));
    }
    reply(Ok(200, json{{"sessions", std::move(a)}}));
  });
}

void AdminRoutes::KickSession(const Caller& caller, std::string tenant, std::string client_id,
                              Reply reply) {
  if (deps_.broker == nullptr) {
    Status st = Unavailable("the MQTT broker is not running");
    Report(caller, "session.kick", tenant, client_id, st);
    return reply(FromStatus(st));
  }
  auto refuse = [tenant, client_id](const mqtt::Principal& p) -> std::optional<mqtt::Principal> {
    if (p.tenant == tenant && p.client_id == client_id) return std::nullopt;
    return p;
  };
  deps_.broker->Reauthorize(
      std::move(refuse), mqtt::ReasonCode::kAdministrativeAction,
      [this, caller, tenant, client_id, reply = std::move(reply)](size_t n) {
        Status st = n == 0 ? NotFound("no session '" + client_id + "' in tenant '" + tenant + "'")
                           : Status::OK();
        Report(caller, "session.kick", tenant, client_id, st);
        if (!st.ok()) return reply(FromStatus(st));
        reply(Ok(200, json{{"disconnected", n}}));
      });
}

}  // namespace verbund::http
