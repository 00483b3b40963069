#include "security/snapshot.h"

#include "keys/password.h"
#include "security/names.h"
#include "security/topic_filter.h"

namespace verbund::security {
namespace {

// A well-formed hash of the production parameters that no password matches in practice; an
// unknown user's password is checked against it so that the failure takes scrypt's time.
constexpr std::string_view kDummyHash =
    "$scrypt$16384$8$1$dmVyYnVuZC1kdW1teS1zYQ==$"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

AuthResult Fail(AuthError e) { return AuthResult{std::nullopt, e}; }

}  // namespace

std::string_view AuthErrorName(AuthError e) {
  switch (e) {
    case AuthError::kNone:
      return "none";
    case AuthError::kMalformed:
      return "malformed";
    case AuthError::kUnknown:
      return "unknown";
    case AuthError::kBadCredential:
      return "bad credential";
    case AuthError::kDisabled:
      return "disabled";
    case AuthError::kExpired:
      return "expired";
  }
  return "?";
}

const Snapshot::TenantView* Snapshot::FindTenant(std::string_view tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : it->second.get();
}

const Snapshot::PrincipalView* Snapshot::FindPrincipal(std::string_view tenant,
                                                       std::string_view name) const {
  const TenantView* t = FindTenant(tenant);
  if (t == nullptr) return nullptr;
  auto it = t->principals.find(name);
  return it == t->principals.end() ? nullptr : &it->second;
}

Identity Snapshot::MakeIdentity(std::string_view tenant, std::string_view name,
                                const PrincipalView& p, AuthMethod method) const {
  Identity id;
  id.tenant = std::string(tenant);
  id.principal = std::string(name);
  id.kind = p.kind;
  id.tenant_admin = p.tenant_admin;
  id.rights = kAllRights;
  id.generation = p.generation;
  id.method = method;
  return id;
}

AuthResult Snapshot::AuthenticatePassword(std::string_view username,
                                          std::string_view password) const {
  auto q = SplitQualifiedName(username);
  const PrincipalView* p = q ? FindPrincipal(q->tenant, q->name) : nullptr;
  if (p == nullptr || p->password_hash.empty()) {
    (void)keys::VerifyPassword(password, kDummyHash);
    if (!q) return Fail(AuthError::kMalformed);
    return Fail(p == nullptr ? AuthError::kUnknown : AuthError::kBadCredential);
  }
  if (!keys::VerifyPassword(password, p->password_hash)) return Fail(AuthError::kBadCredential);
  if (p->disabled) return Fail(AuthError::kDisabled);
  return AuthResult{MakeIdentity(q->tenant, q->name, *p, AuthMethod::kPassword)};
}

AuthResult Snapshot::AuthenticateToken(std::string_view token, int64_t now_ms) const {
  auto parsed = ParseToken(token);
  if (!parsed.ok()) return Fail(AuthError::kMalformed);
  // The id is public, so finding it takes no care about time; the secret is compared in
  // constant time.
  auto it = tokens_.find(parsed->id);
  if (it == tokens_.end()) return Fail(AuthError::kUnknown);
  const TokenView& t = it->second;
  if (!SecretHashEquals(HashSecret(parsed->secret), t.hash)) {
    return Fail(AuthError::kBadCredential);
  }
  if (t.expires_ms != 0 && now_ms >= t.expires_ms) return Fail(AuthError::kExpired);
  const PrincipalView* p = FindPrincipal(t.tenant, t.principal);
  if (p == nullptr) return Fail(AuthError::kUnknown);
  if (p->disabled) return Fail(AuthError::kDisabled);
  Identity id = MakeIdentity(t.tenant, t.principal, *p, AuthMethod::kToken);
  id.rights = t.rights;
  id.token_id = std::string(parsed->id);
  return AuthResult{std::move(id)};
}

AuthResult Snapshot::AuthenticateCertificate(std::string_view identity) const {
  auto it = certificates_.find(identity);
  if (it == certificates_.end()) return Fail(AuthError::kUnknown);
  const PrincipalView* p = FindPrincipal(it->second.tenant, it->second.principal);
  if (p == nullptr) return Fail(AuthError::kUnknown);
  if (p->disabled) return Fail(AuthError::kDisabled);
  return AuthResult{
      MakeIdentity(it->second.tenant, it->second.principal, *p, AuthMethod::kCertificate)};
}

bool Snapshot::Allowed(const Identity& who, Right right, std::string_view subject,
                       std::string_view client_id) const {
  if ((who.rights & Bit(right)) == 0) return false;
  const TenantView* t = FindTenant(who.tenant);
  if (t == nullptr) return false;
  auto pit = t->principals.find(who.principal);
  if (pit == t->principals.end() || pit->second.disabled) return false;
  const PrincipalView& p = pit->second;
  bool is_operator = p.kind == PrincipalKind::kOperator;
  if (right == Right::kAdmin) {
    return is_operator || (p.tenant_admin && subject == who.tenant);
  }
  if (is_operator) return false;
  if (Bit(right) & kTopicRights) {
    if (subject.empty() || HasWildcardOrNul(subject)) {
      return false;
    }
  } else if (!TenantOwnsDatabase(who.tenant, subject.substr(0, subject.find('/')))) {
    return false;
  }
  const TenantPolicy& policy = *t->policy;
  return policy.Evaluate(policy.SelectorOf(who.principal), who.principal, client_id, right,
                         subject);
}

bool Snapshot::CanSubscribe(const Identity& who, std::string_view filter,
                            std::string_view client_id) const {
  if ((who.rights & Bit(Right::kSubscribe)) == 0 || !ValidTopicFilter(filter)) return false;
  const TenantView* t = FindTenant(who.tenant);
  if (t == nullptr) return false;
  auto pit = t->principals.find(who.principal);
  if (pit == t->principals.end() || pit->second.disabled) return false;
  if (pit->second.kind == PrincipalKind::kOperator) return false;
  const TenantPolicy& policy = *t->policy;
  return policy.EvaluateSubscribe(policy.SelectorOf(who.principal), who.principal, client_id,
                                  filter);
}

SessionPolicy Snapshot::PolicyFor(const Identity& who, std::string_view client_id) const {
  SessionPolicy s;
  const TenantView* t = FindTenant(who.tenant);
  if (t == nullptr) return s;
  auto pit = t->principals.find(who.principal);
  if (pit == t->principals.end() || pit->second.disabled) return s;
  s.policy_ = t->policy;
  s.tenant_ = who.tenant;
  s.principal_ = who.principal;
  s.client_id_ = std::string(client_id);
  s.selector_ = t->policy->SelectorOf(who.principal);
  s.rights_ = who.rights;
  s.operator_ = pit->second.kind == PrincipalKind::kOperator;
  s.tenant_admin_ = pit->second.tenant_admin;
  s.version_ = version_;
  if (!t->policy->placeholder_topics_.empty() || !t->policy->placeholder_data_.empty()) {
    s.specialized_ = t->policy->Specialize(s.selector_, who.principal, client_id);
  }
  return s;
}

bool Snapshot::IsCurrent(const Identity& who) const {
  const PrincipalView* p = FindPrincipal(who.tenant, who.principal);
  if (p == nullptr || p->disabled || p->generation != who.generation) return false;
  if (who.method == AuthMethod::kToken && !tokens_.contains(who.token_id)) return false;
  return true;
}

bool Snapshot::IsCurrentAt(const Identity& who, int64_t now_ms) const {
  if (!IsCurrent(who)) return false;
  if (who.method != AuthMethod::kToken) return true;
  const TokenView& t = tokens_.find(who.token_id)->second;
  return t.expires_ms == 0 || now_ms < t.expires_ms;
}

bool Snapshot::HasTenant(std::string_view tenant) const {
  return tenant != kOperatorTenant && FindTenant(tenant) != nullptr;
}

std::optional<Quotas> Snapshot::TenantQuotas(std::string_view tenant) const {
  const TenantView* t = FindTenant(tenant);
  if (t == nullptr) return std::nullopt;
  return t->quotas;
}

std::optional<Quotas> Snapshot::PrincipalQuotas(std::string_view tenant,
                                                std::string_view name) const {
  const PrincipalView* p = FindPrincipal(tenant, name);
  if (p == nullptr) return std::nullopt;
  return p->quotas;
}

}  // namespace verbund::security
