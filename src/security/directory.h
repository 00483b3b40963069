// Directory: the durable store of tenants, principals, credentials (password hashes,
// certificate identities, API token hashes), access rules and quotas - and the source of the
// immutable Snapshot the hot path reads.
//
// Durability: every mutation writes the whole directory to a new file (sealed with the
// options' seal function when given), fsyncs it, renames it over the old one and fsyncs the
// directory before it returns OK; on any error nothing changed. Format: doc/format/directory.md.
// Open refuses a corrupt file, a sealed file without an open function and a clear file when a
// seal function is given (Corruption / FailedPrecondition); it never resets silently.
//
// Thread-safety: every method may be called from any thread. Mutations are serialised by one
// mutex; snapshot() is a lock-free-for-readers atomic load of a shared_ptr. Listeners run on the
// mutating thread after the new snapshot is published, one mutation at a time, in order; they
// may read the directory but must not mutate it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "security/directory_format.h"
#include "security/snapshot.h"
#include "security/token.h"
#include "security/types.h"

namespace verbund::security {

using SealFunction =
    std::function<Result<std::string>(std::string_view aad, std::string_view plaintext)>;
using OpenFunction =
    std::function<Result<std::string>(std::string_view aad, std::string_view sealed)>;

struct DirectoryOptions {
  std::string path;  // the directory file; created (empty) if missing
  // The hub passes storage::Catalog::SealSystem / OpenSystem (AES-256-GCM). Both empty: the
  // file is stored in clear (tests).
  SealFunction seal;
  OpenFunction open;
  // Randomness for token ids and secrets; empty: keys::RandomBytes (OpenSSL).
  RandomSource random;
  // Unix milliseconds for tokens' creation times; empty: the system clock.
  std::function<int64_t()> now_ms;
};

enum class ChangeKind : uint8_t {
  kTenantCreated,
  kTenantDeleted,
  kTenantQuotas,
  kPrincipalCreated,
  kPrincipalDeleted,
  kPasswordChanged,
  kPrincipalDisabled,
  kPrincipalEnabled,
  kPrincipalQuotas,
  kCertificateAdded,
  kCertificateRemoved,
  kTokenIssued,
  kTokenRevoked,
  kRulesChanged,
};
std::string_view ChangeKindName(ChangeKind kind);

struct ChangeEvent {
  ChangeKind kind;
  std::string tenant;
  std::string principal;  // empty when the change concerns the whole tenant
  std::string token_id;   // kTokenIssued / kTokenRevoked
  uint64_t version = 0;   // the directory version after the change
};

struct TenantInfo {
  std::string name;
  Quotas quotas;
  size_t principals = 0;
  size_t rules = 0;
};
struct PrincipalInfo {
  std::string tenant;
  std::string name;
  PrincipalKind kind = PrincipalKind::kDevice;
  bool tenant_admin = false;
  bool disabled = false;
  bool has_password = false;
  uint64_t generation = 0;
  Quotas quotas;
};
struct CertificateInfo {
  std::string identity;
  std::string tenant;
  std::string principal;
};
struct TokenInfo {
  std::string id;
  std::string tenant;
  std::string principal;
  Rights rights = 0;
  int64_t expires_ms = 0;
  int64_t created_ms = 0;
};
struct IssuedToken {
  std::string token;  // `vbt_<id>_<secret>`: shown once, never stored
  std::string id;
};

class Directory {
 public:
  static Result<std::unique_ptr<Directory>> Open(DirectoryOptions options);
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }
  uint64_t version() const { return snapshot()->version(); }

  // Tenants. DeleteTenant removes its principals, their certificate identities and tokens, and
  // its rules.
  Status CreateTenant(std::string_view tenant);
  Status DeleteTenant(std::string_view tenant);
  Status SetTenantQuotas(std::string_view tenant, const Quotas& quotas);

  // Principals. `tenant` is a tenant or kOperatorTenant; kind kOperator exactly in the latter.
  // DeletePrincipal removes its certificate identities and tokens.
  Status CreatePrincipal(std::string_view tenant, std::string_view name, PrincipalKind kind,
                         bool tenant_admin = false);
  Status DeletePrincipal(std::string_view tenant, std::string_view name);
  // Hashes with scrypt (outside the lock). 1..1024 bytes.
  Status SetPassword(std::string_view tenant, std::string_view name, std::string_view password);
  Status ClearPassword(std::string_view tenant, std::string_view name);
  Status SetDisabled(std::string_view tenant, std::string_view name, bool disabled);
  Status SetPrincipalQuotas(std::string_view tenant, std::string_view name, const Quotas& quotas);

  // Certificate identities are globally unique: AlreadyExists if mapped to any principal.
  Status AddCertificateIdentity(std::string_view identity, std::string_view tenant,
                                std::string_view name);
  Status RemoveCertificateIdentity(std::string_view identity);

  // `rights` non-empty subset of kAllRights; `expires_ms` unix ms, 0 = never.
  Result<IssuedToken> IssueToken(std::string_view tenant, std::string_view name, Rights rights,
                                 int64_t expires_ms);
  Status RevokeToken(std::string_view id);

  // The rule's id field is ignored and assigned; returns it. See CheckRule for what is valid.
  Result<uint64_t> AddRule(Rule rule);
  // Adds all rules of one tenant in one durable write (all or nothing); ids in order.
  Result<std::vector<uint64_t>> AddRules(std::vector<Rule> rules);
  Status RemoveRule(std::string_view tenant, uint64_t id);

  // Lists, sorted by name (rules by id). Never return password hashes or token secrets.
  std::vector<TenantInfo> ListTenants() const;
  Result<std::vector<PrincipalInfo>> ListPrincipals(std::string_view tenant) const;
  // `tenant` empty: all.
  std::vector<CertificateInfo> ListCertificateIdentities(std::string_view tenant = {}) const;
  std::vector<TokenInfo> ListTokens(std::string_view tenant = {}) const;
  Result<std::vector<Rule>> ListRules(std::string_view tenant) const;

  // Returns an id for RemoveListener.
  int AddListener(std::function<void(const ChangeEvent&)> listener);
  void RemoveListener(int id);

 private:
  explicit Directory(DirectoryOptions options);

  using Mutation = std::function<Result<ChangeEvent>(DirectoryState&)>;
  // Applies `m` to a copy of the state, persists it, publishes a new snapshot and notifies.
  Status Mutate(const Mutation& m);
  Status Persist(const DirectoryState& state);
  // A snapshot of `state`, reusing the tenant views of `previous` except `changed` ("" = all).
  std::shared_ptr<const Snapshot> Build(const DirectoryState& state, const Snapshot* previous,
                                        std::string_view changed) const;
  void Notify(const ChangeEvent& event);

  const DirectoryOptions options_;
  mutable std::mutex mu_;  // serialises mutations; guards state_
  DirectoryState state_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;

  std::mutex notify_mu_;  // held while listeners run, so events arrive in order
  std::mutex listeners_mu_;
  std::map<int, std::shared_ptr<std::function<void(const ChangeEvent&)>>> listeners_;
  int next_listener_ = 1;
};

}  // namespace verbund::security
