#include "security/directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "keys/aead.h"
#include "keys/password.h"
#include "security/names.h"
#include "security/pattern.h"

namespace verbund::security {
namespace {

constexpr size_t kMaxPasswordBytes = 1024;

Status ErrnoStatus(std::string_view what, const std::string& path) {
  return IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Reads the whole file; nullopt when it does not exist.
Result<std::optional<std::string>> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoStatus("open", path);
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = ErrnoStatus("read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(out));
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync directory", dir);
  return Status::OK();
}

// path.tmp, fsync, rename over path, fsync the parent directory.
Status WriteFileDurably(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create", tmp);
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = ErrnoStatus("write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) {
    Status st = ErrnoStatus("fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = ErrnoStatus("rename", tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  size_t slash = path.rfind('/');
  return SyncDir(slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash));
}

std::string Who(std::string_view tenant, std::string_view name) {
  return std::string(tenant) + "/" + std::string(name);
}

Status CheckExistingTenant(const DirectoryState& s, std::string_view tenant) {
  RETURN_IF_ERROR(CheckTenantOrOperator(tenant));
  if (tenant != kOperatorTenant && !s.tenants.contains(tenant)) {
    return NotFound("tenant '" + std::string(tenant) + "' does not exist");
  }
  return Status::OK();
}

Result<PrincipalRecord*> FindPrincipal(DirectoryState& s, std::string_view tenant,
                                       std::string_view name) {
  RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
  RETURN_IF_ERROR(CheckPrincipalName(name));
  auto it = s.principals.find(PrincipalKey{std::string(tenant), std::string(name)});
  if (it == s.principals.end()) {
    return NotFound("principal '" + Who(tenant, name) + "' does not exist");
  }
  return &it->second;
}

void Bump(DirectoryState& s, PrincipalRecord* p) { p->generation = s.next_generation++; }

// Removes the certificate identities and tokens of principals matching `match`.
template <typename Match>
void RemoveCredentials(DirectoryState& s, Match match) {
  std::erase_if(s.certificates,
                [&](const auto& kv) { return match(kv.second.tenant, kv.second.principal); });
  std::erase_if(s.tokens,
                [&](const auto& kv) { return match(kv.second.tenant, kv.second.principal); });
}

ChangeEvent Event(ChangeKind kind, std::string_view tenant, std::string_view principal = {}) {
  return ChangeEvent{kind, std::string(tenant), std::string(principal), "", 0};
}

}  // namespace

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kTenantCreated:
      return "tenant_created";
    case ChangeKind::kTenantDeleted:
      return "tenant_deleted";
    case ChangeKind::kTenantQuotas:
      return "tenant_quotas";
    case ChangeKind::kPrincipalCreated:
      return "principal_created";
    case ChangeKind::kPrincipalDeleted:
      return "principal_deleted";
    case ChangeKind::kPasswordChanged:
      return "password_changed";
    case ChangeKind::kPrincipalDisabled:
      return "principal_disabled";
    case ChangeKind::kPrincipalEnabled:
      return "principal_enabled";
    case ChangeKind::kPrincipalQuotas:
      return "principal_quotas";
    case ChangeKind::kCertificateAdded:
      return "certificate_added";
    case ChangeKind::kCertificateRemoved:
      return "certificate_removed";
    case ChangeKind::kTokenIssued:
      return "token_issued";
    case ChangeKind::kTokenRevoked:
      return "token_revoked";
    case ChangeKind::kRulesChanged:
      return "rules_changed";
  }
  return "?";
}

Directory::Directory(DirectoryOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Directory>> Directory::Open(DirectoryOptions options) {
  if (options.path.empty()) return InvalidArgument("directory: no path");
  if (static_cast<bool>(options.seal) != static_cast<bool>(options.open)) {
    return InvalidArgument("directory: give both seal and open functions, or neither");
  }
  if (!options.random) options.random = keys::RandomBytes;
  if (!options.now_ms) {
    options.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<Directory> d(new Directory(std::move(options)));
  const std::string& path = d->options_.path;
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, ReadFile(path));
  if (!bytes) {
    RETURN_IF_ERROR(d->Persist(d->state_));
  } else {
    ASSIGN_OR_RETURN(DirectoryFile file, DecodeDirectoryFile(*bytes));
    std::string opened;
    std::string_view payload = file.body;
    if (file.flags & kFlagSealed) {
      if (!d->options_.open) {
        return FailedPrecondition("directory " + path +
                                  ": the file is sealed but no key was given");
      }
      auto plain = d->options_.open(kDirectoryAad, file.body);
      if (!plain.ok()) return plain.status().Annotate("directory " + path + ": cannot open");
      opened = std::move(plain).value();
      payload = opened;
    } else if (d->options_.seal) {
      return FailedPrecondition("directory " + path +
                                ": the file is in clear but sealing is configured (refusing a "
                                "possibly substituted file)");
    }
    auto state = DecodeDirectoryPayload(payload);
    if (!state.ok()) return state.status().Annotate(path);
    d->state_ = std::move(state).value();
  }
  d->snapshot_.store(d->Build(d->state_, nullptr, ""));
  return d;
}

Status Directory::Persist(const DirectoryState& state) {
  std::string payload = EncodeDirectoryPayload(state);
  uint32_t flags = 0;
  std::string body;
  if (options_.seal) {
    ASSIGN_OR_RETURN(body, options_.seal(kDirectoryAad, payload));
    flags |= kFlagSealed;
  } else {
    body = std::move(payload);
  }
  return WriteFileDurably(options_.path, EncodeDirectoryFile(flags, body));
}

std::shared_ptr<const Snapshot> Directory::Build(const DirectoryState& state,
                                                 const Snapshot* previous,
                                                 std::string_view changed) const {
  auto snap = std::make_shared<Snapshot>();
  snap->version_ = state.version;
  auto build_tenant = [&](const std::string& tenant, const Quotas& quotas) {
    if (previous != nullptr && !changed.empty() && tenant != changed) {
      auto it = previous->tenants_.find(tenant);
      if (it != previous->tenants_.end()) {
        snap->tenants_.emplace(tenant, it->second);
        return;
      }
    }
    auto view = std::make_shared<Snapshot::TenantView>();
    view->quotas = quotas;
    for (auto it = state.principals.lower_bound(PrincipalKey{tenant, ""});
         it != state.principals.end() && it->first.first == tenant; ++it) {
      const PrincipalRecord& p = it->second;
      view->principals.emplace(
          p.name, Snapshot::PrincipalView{p.kind, p.tenant_admin, p.disabled, p.generation,
                                          p.password_hash, p.quotas});
    }
    std::vector<Rule> rules;
    for (const auto& [id, rule] : state.rules) {
      if (rule.tenant == tenant) rules.push_back(rule);
    }
    view->policy = TenantPolicy::Compile(rules);
    snap->tenants_.emplace(tenant, std::move(view));
  };
  build_tenant(std::string(kOperatorTenant), Quotas{});
  for (const auto& [name, t] : state.tenants) build_tenant(name, t.quotas);
  for (const auto& [id, t] : state.tokens) {
    snap->tokens_.emplace(
        id, Snapshot::TokenView{t.tenant, t.principal, t.rights, t.expires_ms, t.hash});
  }
  for (const auto& [identity, c] : state.certificates) {
    snap->certificates_.emplace(identity, Snapshot::CertificateView{c.tenant, c.principal});
  }
  return snap;
}

Status Directory::Mutate(const Mutation& m) {
  std::unique_lock lock(mu_);
  DirectoryState next = state_;
  ASSIGN_OR_RETURN(ChangeEvent event, m(next));
  next.version = state_.version + 1;
  event.version = next.version;
  RETURN_IF_ERROR(Persist(next));
  auto snap = Build(next, snapshot_.load().get(), event.tenant);
  state_ = std::move(next);
  snapshot_.store(std::move(snap));
  std::unique_lock notify(notify_mu_);
  lock.unlock();
  Notify(event);
  return Status::OK();
}

void Directory::Notify(const ChangeEvent& event) {
  std::vector<std::shared_ptr<std::function<void(const ChangeEvent&)>>> copy;
  {
    std::lock_guard lock(listeners_mu_);
    for (const auto& [id, fn] : listeners_) copy.push_back(fn);
  }
  for (const auto& fn : copy) (*fn)(event);
}

int Directory::AddListener(std::function<void(const ChangeEvent&)> listener) {
  std::lock_guard lock(listeners_mu_);
  int id = next_listener_++;
  listeners_.emplace(
      id, std::make_shared<std::function<void(const ChangeEvent&)>>(std::move(listener)));
  return id;
}

void Directory::RemoveListener(int id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

// ---- tenants

Status Directory::CreateTenant(std::string_view tenant) {
  RETURN_IF_ERROR(CheckTenantName(tenant));
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    std::string name(tenant);
    if (s.tenants.contains(name)) return AlreadyExists("tenant '" + name + "' exists");
    s.tenants.emplace(name, TenantRecord{name, Quotas{}});
    return Event(ChangeKind::kTenantCreated, tenant);
  });
}

Status Directory::DeleteTenant(std::string_view tenant) {
  RETURN_IF_ERROR(CheckTenantName(tenant));
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
    s.tenants.erase(std::string(tenant));
    std::erase_if(s.principals, [&](const auto& kv) { return kv.first.first == tenant; });
    RemoveCredentials(s, [&](const std::string& t, const std::string&) { return t == tenant; });
    std::erase_if(s.rules, [&](const auto& kv) { return kv.second.tenant == tenant; });
    return Event(ChangeKind::kTenantDeleted, tenant);
  });
}

Status Directory::SetTenantQuotas(std::string_view tenant, const Quotas& quotas) {
  RETURN_IF_ERROR(CheckTenantName(tenant));
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
    s.tenants.find(tenant)->second.quotas = quotas;
    return Event(ChangeKind::kTenantQuotas, tenant);
  });
}

// ---- principals

Status Directory::CreatePrincipal(std::string_view tenant, std::string_view name,
                                  PrincipalKind kind, bool tenant_admin) {
  RETURN_IF_ERROR(CheckTenantOrOperator(tenant));
  RETURN_IF_ERROR(CheckPrincipalName(name));
  bool is_operator_tenant = tenant == kOperatorTenant;
  if (kind != PrincipalKind::kDevice && kind != PrincipalKind::kUser &&
      kind != PrincipalKind::kService && kind != PrincipalKind::kOperator) {
    return InvalidArgument("principal kind: unknown");
  }
  if (is_operator_tenant != (kind == PrincipalKind::kOperator)) {
    return InvalidArgument("operators, and only operators, belong to the pseudo-tenant _hub");
  }
  if (is_operator_tenant && tenant_admin) {
    return InvalidArgument("operators cannot be tenant admins");
  }
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
    PrincipalKey key{std::string(tenant), std::string(name)};
    if (s.principals.contains(key)) {
      return AlreadyExists("principal '" + Who(tenant, name) + "' exists");
    }
    PrincipalRecord p;
    p.tenant = key.first;
    p.name = key.second;
    p.kind = kind;
    p.tenant_admin = tenant_admin;
    p.generation = s.next_generation++;
    s.principals.emplace(std::move(key), std::move(p));
    return Event(ChangeKind::kPrincipalCreated, tenant, name);
  });
}

Status Directory::DeletePrincipal(std::string_view tenant, std::string_view name) {
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(FindPrincipal(s, tenant, name).status());
    s.principals.erase(PrincipalKey{std::string(tenant), std::string(name)});
    RemoveCredentials(
        s, [&](const std::string& t, const std::string& n) { return t == tenant && n == name; });
    return Event(ChangeKind::kPrincipalDeleted, tenant, name);
  });
}

Status Directory::SetPassword(std::string_view tenant, std::string_view name,
                              std::string_view password) {
  if (password.empty() || password.size() > kMaxPasswordBytes) {
    return InvalidArgument("password: must be 1 to 1024 bytes");
  }
  {
    // Fail fast on a bad name before spending scrypt's time.
    std::lock_guard lock(mu_);
    DirectoryState& s = state_;
    RETURN_IF_ERROR(FindPrincipal(s, tenant, name).status());
  }
  std::string hash = keys::HashPassword(password);
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    ASSIGN_OR_RETURN(PrincipalRecord * p, FindPrincipal(s, tenant, name));
    p->password_hash = hash;
    Bump(s, p);
    return Event(ChangeKind::kPasswordChanged, tenant, name);
  });
}

Status Directory::ClearPassword(std::string_view tenant, std::string_view name) {
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    ASSIGN_OR_RETURN(PrincipalRecord * p, FindPrincipal(s, tenant, name));
    p->password_hash.clear();
    Bump(s, p);
    return Event(ChangeKind::kPasswordChanged, tenant, name);
  });
}

Status Directory::SetDisabled(std::string_view tenant, std::string_view name, bool disabled) {
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    ASSIGN_OR_RETURN(PrincipalRecord * p, FindPrincipal(s, tenant, name));
    p->disabled = disabled;
    Bump(s, p);
    return Event(disabled ? ChangeKind::kPrincipalDisabled : ChangeKind::kPrincipalEnabled, tenant,
                 name);
  });
}

Status Directory::SetPrincipalQuotas(std::string_view tenant, std::string_view name,
                                     const Quotas& quotas) {
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    ASSIGN_OR_RETURN(PrincipalRecord * p, FindPrincipal(s, tenant, name));
    p->quotas = quotas;
    return Event(ChangeKind::kPrincipalQuotas, tenant, name);
  });
}

// ---- certificate identities

Status Directory::AddCertificateIdentity(std::string_view identity, std::string_view tenant,
                                         std::string_view name) {
  if (!ValidCertificateIdentity(identity)) {
    return InvalidArgument(
        "certificate identity: must be 1 to 1024 bytes of UTF-8 without control characters");
  }
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(FindPrincipal(s, tenant, name).status());
    auto it = s.certificates.find(identity);
    if (it != s.certificates.end()) {
      return AlreadyExists("certificate identity is already mapped to '" +
                           Who(it->second.tenant, it->second.principal) + "'");
    }
    std::string id(identity);
    s.certificates.emplace(id, CertificateRecord{id, std::string(tenant), std::string(name)});
    return Event(ChangeKind::kCertificateAdded, tenant, name);
  });
}

Status Directory::RemoveCertificateIdentity(std::string_view identity) {
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    auto it = s.certificates.find(identity);
    if (it == s.certificates.end()) return NotFound("certificate identity is not mapped");
    CertificateRecord c = it->second;
    s.certificates.erase(it);
    auto p = s.principals.find(PrincipalKey{c.tenant, c.principal});
    if (p != s.principals.end()) Bump(s, &p->second);
    return Event(ChangeKind::kCertificateRemoved, c.tenant, c.principal);
  });
}

// ---- tokens

Result<IssuedToken> Directory::IssueToken(std::string_view tenant, std::string_view name,
                                          Rights rights, int64_t expires_ms) {
  if (rights == 0 || (rights & ~kAllRights) != 0) {
    return InvalidArgument(
        "token rights: a non-empty set of publish, subscribe, write, query, admin");
  }
  if (expires_ms < 0) return InvalidArgument("token expiry: unix ms, or 0 for never");
  ASSIGN_OR_RETURN(NewToken t, MakeToken(options_.random));
  int64_t now = options_.now_ms();
  RETURN_IF_ERROR(Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(FindPrincipal(s, tenant, name).status());
    if (s.tokens.contains(t.id)) return Internal("token id collision; issue again");
    s.tokens.emplace(t.id, TokenRecord{t.id, std::string(tenant), std::string(name), rights,
                                       expires_ms, now, t.hash});
    ChangeEvent e = Event(ChangeKind::kTokenIssued, tenant, name);
    e.token_id = t.id;
    return e;
  }));
  return IssuedToken{std::move(t.token), std::move(t.id)};
}

Status Directory::RevokeToken(std::string_view id) {
  if (!ValidTokenId(id)) return InvalidArgument("token id: 16 lower-case hex characters");
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    auto it = s.tokens.find(id);
    if (it == s.tokens.end()) return NotFound("token " + std::string(id) + " does not exist");
    TokenRecord t = it->second;
    s.tokens.erase(it);
    auto p = s.principals.find(PrincipalKey{t.tenant, t.principal});
    if (p != s.principals.end()) Bump(s, &p->second);
    ChangeEvent e = Event(ChangeKind::kTokenRevoked, t.tenant, t.principal);
    e.token_id = t.id;
    return e;
  });
}

// ---- rules

Result<uint64_t> Directory::AddRule(Rule rule) {
  std::vector<Rule> rules;
  rules.push_back(std::move(rule));
  ASSIGN_OR_RETURN(std::vector<uint64_t> ids, AddRules(std::move(rules)));
  return ids[0];
}

Result<std::vector<uint64_t>> Directory::AddRules(std::vector<Rule> rules) {
  if (rules.empty()) return InvalidArgument("rules: none given");
  const std::string tenant = rules[0].tenant;
  RETURN_IF_ERROR(CheckTenantName(tenant));
  for (const Rule& rule : rules) {
    if (rule.tenant != tenant) return InvalidArgument("rules: all must be of one tenant");
    RETURN_IF_ERROR(CheckRule(rule));
  }
  std::vector<uint64_t> ids;
  RETURN_IF_ERROR(Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
    ids.clear();
    std::string_view principal = rules[0].principal;
    for (Rule& rule : rules) {
      rule.id = s.next_rule_id++;
      ids.push_back(rule.id);
      if (rule.principal != principal) principal = "*";
      s.rules.emplace(rule.id, rule);
    }
    return Event(ChangeKind::kRulesChanged, tenant,
                 principal == "*" ? std::string_view() : principal);
  }));
  return ids;
}

Status Directory::RemoveRule(std::string_view tenant, uint64_t id) {
  RETURN_IF_ERROR(CheckTenantName(tenant));
  return Mutate([&](DirectoryState& s) -> Result<ChangeEvent> {
    RETURN_IF_ERROR(CheckExistingTenant(s, tenant));
    auto it = s.rules.find(id);
    if (it == s.rules.end() || it->second.tenant != tenant) {
      return NotFound("tenant '" + std::string(tenant) + "' has no rule " + std::to_string(id));
    }
    Rule rule = it->second;
    s.rules.erase(it);
    return Event(ChangeKind::kRulesChanged, tenant,
                 rule.principal == "*" ? std::string_view() : std::string_view(rule.principal));
  });
}

// ---- lists

std::vector<TenantInfo> Directory::ListTenants() const {
  std::lock_guard lock(mu_);
  std::vector<TenantInfo> out;
  for (const auto& [name, t] : state_.tenants) out.push_back({name, t.quotas, 0, 0});
  for (auto& info : out) {
    for (auto it = state_.principals.lower_bound(PrincipalKey{info.name, ""});
         it != state_.principals.end() && it->first.first == info.name; ++it) {
      ++info.principals;
    }
  }
  for (const auto& [id, r] : state_.rules) {
    for (auto& info : out) {
      if (info.name == r.tenant) ++info.rules;
    }
  }
  return out;
}

Result<std::vector<PrincipalInfo>> Directory::ListPrincipals(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(CheckExistingTenant(state_, tenant));
  std::vector<PrincipalInfo> out;
  std::string t(tenant);
  for (auto it = state_.principals.lower_bound(PrincipalKey{t, ""});
       it != state_.principals.end() && it->first.first == t; ++it) {
    const PrincipalRecord& p = it->second;
    out.push_back({p.tenant, p.name, p.kind, p.tenant_admin, p.disabled, !p.password_hash.empty(),
                   p.generation, p.quotas});
  }
  return out;
}

std::vector<CertificateInfo> Directory::ListCertificateIdentities(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  std::vector<CertificateInfo> out;
  for (const auto& [identity, c] : state_.certificates) {
    if (tenant.empty() || c.tenant == tenant) out.push_back({c.identity, c.tenant, c.principal});
  }
  return out;
}

std::vector<TokenInfo> Directory::ListTokens(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  std::vector<TokenInfo> out;
  for (const auto& [id, t] : state_.tokens) {
    if (tenant.empty() || t.tenant == tenant) {
      out.push_back({t.id, t.tenant, t.principal, t.rights, t.expires_ms, t.created_ms});
    }
  }
  return out;
}

Result<std::vector<Rule>> Directory::ListRules(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(CheckTenantName(tenant));
  RETURN_IF_ERROR(CheckExistingTenant(state_, tenant));
  std::vector<Rule> out;
  for (const auto& [id, r] : state_.rules) {
    if (r.tenant == tenant) out.push_back(r);
  }
  return out;
}

}  // namespace verbund::security
