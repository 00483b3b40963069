// Snapshot: an immutable view of the directory for the hot path - authentication (password,
// token, client certificate) and policy evaluation. Directory::snapshot() hands out the current
// one; it is never modified, so any number of threads use it without locks.
//
// Subjects are relative to the identity's tenant: a topic inside the tenant's namespace (the
// broker strips the mount point), or "db/measurement" where db is a full database name the
// tenant must own (`<tenant>` or `<tenant>_*`). Operators are never allowed publish, subscribe,
// write or query on tenant data (the broker itself lets them subscribe to `$SYS/#`).
//
// Thread-safety: all methods are const and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "security/filter_trie.h"
#include "security/policy.h"
#include "security/token.h"
#include "security/types.h"

namespace verbund::security {

enum class AuthError : uint8_t {
  kNone = 0,
  kMalformed,      // the username or token is not of the expected form
  kUnknown,        // no such principal, token or certificate identity
  kBadCredential,  // wrong password or token secret (or no password set)
  kDisabled,       // correct credential, principal disabled
  kExpired,        // token past its expiry
};
std::string_view AuthErrorName(AuthError e);

struct AuthResult {
  std::optional<Identity> identity;
  AuthError error = AuthError::kNone;
  bool ok() const { return identity.has_value(); }
};

class Snapshot {
 public:
  uint64_t version() const { return version_; }

  // `username` is "tenant/name" ("_hub/name" for operators). Unknown users cost one scrypt run
  // against a dummy hash, like a wrong password, so the two cannot be told apart by time; a
  // disabled principal is reported only after its password verified.
  AuthResult AuthenticatePassword(std::string_view username, std::string_view password) const;
  // `now_ms`: unix milliseconds, compared with the token's expiry.
  AuthResult AuthenticateToken(std::string_view token, int64_t now_ms) const;
  // A verified client certificate's subject CN or SAN, as mapped by AddCertificateIdentity.
  AuthResult AuthenticateCertificate(std::string_view identity) const;

  // See SessionPolicy::Allowed; substitutes placeholders on each call (the broker should hold a
  // SessionPolicy instead). False when the principal is gone or disabled in this snapshot.
  bool Allowed(const Identity& who, Right right, std::string_view subject,
               std::string_view client_id) const;
  bool CanSubscribe(const Identity& who, std::string_view filter, std::string_view client_id) const;
  bool CanReceive(const Identity& who, std::string_view topic, std::string_view client_id) const {
    return Allowed(who, Right::kSubscribe, topic, client_id);
  }
  // Operators administer every tenant (and the hub), tenant admins their own tenant; both
  // need the admin right in their mask.
  bool CanAdminister(const Identity& who, std::string_view tenant) const {
    return Allowed(who, Right::kAdmin, tenant, "");
  }

  // Compiles the rules that apply to this principal and client id (cheap: microseconds).
  SessionPolicy PolicyFor(const Identity& who, std::string_view client_id) const;

  // False once the identity's principal is deleted, disabled, its generation moved on (its
  // credentials changed: password, certificate identity removed, a token revoked), or its token
  // was revoked. Rule changes keep identities current: holders rebuild their SessionPolicy.
  bool IsCurrent(const Identity& who) const;
  // IsCurrent, and a token identity's token has not expired by `now_ms` (wall clock, ms).
  bool IsCurrentAt(const Identity& who, int64_t now_ms) const;

  bool HasTenant(std::string_view tenant) const;
  std::optional<Quotas> TenantQuotas(std::string_view tenant) const;
  std::optional<Quotas> PrincipalQuotas(std::string_view tenant, std::string_view name) const;

 private:
  friend class Directory;
  struct PrincipalView {
    PrincipalKind kind = PrincipalKind::kDevice;
    bool tenant_admin = false;
    bool disabled = false;
    uint64_t generation = 0;
    std::string password_hash;
    Quotas quotas;
  };
  struct TenantView {
    Quotas quotas;
    StringMap<PrincipalView> principals;
    std::shared_ptr<const TenantPolicy> policy;
  };
  struct TokenView {
    std::string tenant;
    std::string principal;
    Rights rights = 0;
    int64_t expires_ms = 0;
    SecretHash hash{};
  };
  struct CertificateView {
    std::string tenant;
    std::string principal;
  };

  const TenantView* FindTenant(std::string_view tenant) const;
  const PrincipalView* FindPrincipal(std::string_view tenant, std::string_view name) const;
  Identity MakeIdentity(std::string_view tenant, std::string_view name, const PrincipalView& p,
                        AuthMethod method) const;

  uint64_t version_ = 0;
  StringMap<std::shared_ptr<const TenantView>> tenants_;  // includes the operator tenant
  StringMap<TokenView> tokens_;
  StringMap<CertificateView> certificates_;
};

}  // namespace verbund::security
