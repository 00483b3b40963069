#include "http/access.h"

#include <openssl/sha.h>

#include "security/names.h"

namespace verbund::http {
namespace {

using security::Right;

constexpr int64_t kVerifiedTtlNs = 300'000'000'000;  // 5 minutes
constexpr size_t kMaxVerified = 10'000;

std::string CredentialKey(std::string_view user, std::string_view password) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, user.data(), user.size());
  SHA256_Update(&ctx, "\0", 1);
  SHA256_Update(&ctx, password.data(), password.size());
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx);
  return out;
}

}  // namespace

std::shared_ptr<Access::Scoped> Access::ScopedFor(const security::Identity& id) const {
  auto scoped = std::make_shared<Scoped>();
  scoped->identity = id;
  if (options_.directory != nullptr) {
    scoped->policy = options_.directory->snapshot()->PolicyFor(id, "");
  }
  return scoped;
}

Access::Access(AccessOptions options)
    : options_(options),
      clock_(options.clock ? options.clock : SystemClock::Default()),
      throttle_(options.throttle),
      sessions_(options.sessions) {}

Result<security::OpenedSession> Access::OpenSession(const Caller& c) {
  if (c.anonymous()) return Unauthenticated("log in with a user name and password or a token");
  return sessions_.Open(*c.identity, clock_->MonotonicNs());
}

Result<Caller> Access::Authenticate(const Credentials& c, std::string_view peer,
                                    int64_t* retry_after_ms) {
  Caller caller;
  caller.peer = std::string(peer);
  if (c.empty()) {
    if (options_.auth_required) return Unauthenticated("authentication required");
    return caller;
  }
  if (options_.directory == nullptr) return Unauthenticated("authorization failed");
  auto snap = options_.directory->snapshot();
  if (c.session) {
    // Only what the directory still holds as it was at the login (a disabled principal, a
    // changed password or a revoked token ends its sessions).
    auto s = sessions_.Use(*c.session, clock_->MonotonicNs());
    if (!s || !snap->IsCurrentAt(s->identity, clock_->NowNs() / 1'000'000)) {
      if (s) sessions_.Close(*c.session);
      return Unauthenticated("session expired: log in again");
    }
    caller.identity = std::move(s->identity);
    caller.session_csrf = std::move(s->csrf);
    return caller;
  }
  if (c.token) {
    security::AuthResult r = snap->AuthenticateToken(*c.token, clock_->NowNs() / 1'000'000);
    if (!r.ok()) return Unauthenticated("authorization failed");
    caller.identity = std::move(r.identity);
    return caller;
  }
  const std::string user = c.username.value_or("");
  const std::string password = c.password.value_or("");
  const int64_t now = clock_->MonotonicNs();
  const std::string key = CredentialKey(user, password);
  {
    std::lock_guard lock(mu_);
    auto it = verified_.find(key);
    if (it != verified_.end()) {
      if (it->second.expires_ns > now && snap->IsCurrent(it->second.identity)) {
        caller.identity = it->second.identity;
        return caller;
      }
      verified_.erase(it);
    }
  }
  security::ThrottleDecision d = throttle_.Check(user, peer, now);
  if (!d.allowed) {
    if (retry_after_ms) *retry_after_ms = d.retry_after_ms;
    return ResourceExhausted("too many failed logins: retry later");
  }
  security::AuthResult r = snap->AuthenticatePassword(user, password);
  if (!r.ok()) {
    // Only wrong guesses back off (a disabled principal's password was right).
    if (r.error != security::AuthError::kDisabled) throttle_.RecordFailure(user, peer, now);
    return Unauthenticated("authorization failed");
  }
  throttle_.RecordSuccess(user, peer, now);
  {
    std::lock_guard lock(mu_);
    if (verified_.size() >= kMaxVerified) verified_.clear();
    verified_[key] = Cached{*r.identity, now + kVerifiedTtlNs};
  }
  caller.identity = std::move(r.identity);
  return caller;
}

std::shared_ptr<const query::QueryScope> Access::QueryScopeFor(const Caller& c) const {
  if (c.anonymous()) return nullptr;
  std::shared_ptr<const Scoped> scoped = ScopedFor(*c.identity);
  auto scope = std::make_shared<query::QueryScope>();
  const security::Identity& id = scoped->identity;
  const bool may_query = !id.IsOperator() && (id.rights & security::Bit(Right::kQuery)) != 0;
  const bool may_write = !id.IsOperator() && (id.rights & security::Bit(Right::kWrite)) != 0;
  scope->database = [scoped, may_query](std::string_view db) {
    return may_query && security::TenantOwnsDatabase(scoped->identity.tenant, db);
  };
  scope->read = [scoped](std::string_view db, std::string_view m) {
    return scoped->policy.Allowed(Right::kQuery, std::string(db) + '/' + std::string(m));
  };
  scope->create = [scoped, may_write](std::string_view db) {
    return may_write && security::TenantOwnsDatabase(scoped->identity.tenant, db);
  };
  scope->remove = [scoped](std::string_view db, std::string_view m) {
    return scoped->policy.Allowed(Right::kWrite, std::string(db) + '/' + std::string(m));
  };
  return scope;
}

Result<std::function<bool(std::string_view)>> Access::WriteCheck(const Caller& c,
                                                                 std::string_view db) const {
  if (c.anonymous()) return std::function<bool(std::string_view)>();
  const security::Identity& id = *c.identity;
  if (id.IsOperator() || (id.rights & security::Bit(Right::kWrite)) == 0 ||
      !security::TenantOwnsDatabase(id.tenant, db)) {
    return PermissionDenied("not authorized to write to database " + std::string(db));
  }
  std::shared_ptr<const Scoped> scoped = ScopedFor(id);
  std::string prefix = std::string(db) + '/';
  return std::function<bool(std::string_view)>(
      [scoped, prefix = std::move(prefix)](std::string_view m) {
        return scoped->policy.Allowed(Right::kWrite, prefix + std::string(m));
      });
}

Status Access::Charge(const Caller& c, uint64_t messages, uint64_t bytes, int64_t* retry_after_ms) {
  if (c.anonymous() || options_.usage == nullptr || options_.directory == nullptr) {
    return Status::OK();
  }
  const security::Identity& id = *c.identity;
  auto meters = options_.usage->MetersFor(*options_.directory->snapshot(), id.tenant, id.principal);
  security::QuotaRefusal why;
  if (meters->Charge(messages, bytes, clock_->MonotonicNs(), &why)) return Status::OK();
  if (retry_after_ms) *retry_after_ms = why.retry_after_ms;
  return ResourceExhausted(why.what + " exceeded");
}

Status Access::CheckStored(std::string_view db) const {
  // The database's owner: the caller's tenant once WriteCheck passed, and with auth off too.
  std::optional<std::string_view> owner = security::TenantOfDatabase(db);
  if (options_.usage == nullptr || !owner) return Status::OK();
  return options_.usage->CheckStored(*owner);
}

bool Access::MayReadMetrics(const Caller& c) const {
  if (c.anonymous()) return !options_.auth_required;
  return c.identity->IsOperator();
}

bool Access::MayReadAudit(const Caller& c, std::string_view tenant) const {
  if (c.anonymous()) return !options_.auth_required;
  const security::Identity& id = *c.identity;
  if (id.IsOperator()) return (id.rights & security::Bit(Right::kAdmin)) != 0;
  return id.tenant_admin && (id.rights & security::Bit(Right::kAdmin)) != 0 &&
         (tenant == id.tenant || tenant == "*");
}

}  // namespace verbund::http
