// Seams for identity and access: the Authenticator decides who connects, the Authorizer what a
// principal may publish, subscribe to and receive (checked on publish, subscribe and every
// delivery, retained and queued messages included). Later issues plug in tenants and ACLs;
// for now: anonymous access (configurable) and an optional password file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/status.h"
#include "keys/password.h"
#include "mqtt/codec/reason_code.h"

namespace verbund::mqtt {

struct ConnectInfo {
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string peer;                            // "ip:port"
  // Mutual TLS: the verified client certificate's subject CN, then its SAN DNS, e-mail and URI
  // names (net::Transport::peer_names); empty without one.
  std::vector<std::string> cert_names;
  std::string transport;                       // tcp, tls, ws, wss
};

struct Principal {
  std::string name;        // username, certificate identity, or "" when anonymous
  bool anonymous = true;
  // Tenant namespaces (doc/architecture.md, "Tenants on the broker"): a principal of a tenant
  // sees only topics under its mount. The broker prefixes every topic and filter the client
  // sends with `mount` and strips it from every topic it delivers, so no filter, wildcard,
  // `$share` group, retained or queued message reaches another tenant's topics. Session keys
  // are `tenant/client id`, so equal client ids of two tenants never take over each other.
  // Both empty on a single-tenant hub. Operators have a tenant ("_hub") and no mount: the
  // authorizer gives them `$SYS/#` only.
  std::string tenant;
  std::string mount;      // "acme/" (tenant + '/'), or ""
  std::string client_id;  // as the client sent it (for %c in rules)
  // Authorizer state for this principal (e.g. its compiled rules); opaque to the broker.
  std::shared_ptr<const void> policy;
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // On success the principal; on failure kBadUserNameOrPassword or kNotAuthorized.
  virtual std::variant<Principal, ReasonCode> Authenticate(const ConnectInfo& info) = 0;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual bool CanPublish(const Principal& p, std::string_view topic) = 0;
  virtual bool CanSubscribe(const Principal& p, std::string_view filter) = 0;
  virtual bool CanReceive(const Principal& p, std::string_view topic) = 0;

  // Quotas; the defaults admit everything. AdmitConnection: a lease the connection holds until
  // it ends (may be null), or nullopt when the principal is at its connection quota. A client
  // refused while its client id has a session is asked again once it took the session over
  // (its old connection, if any, gave its lease back then).
  virtual std::optional<std::shared_ptr<void>> AdmitConnection(const Principal& p) {
    return std::shared_ptr<void>();
  }
  // Each PUBLISH before it is routed, `bytes` = topic + payload. False when over a rate quota,
  // with *retry_after_ms (>= 1) when the same PUBLISH would be admitted.
  virtual bool AdmitPublish(const Principal& p, size_t bytes, int64_t* retry_after_ms) {
    return true;
  }
};

class AllowAllAuthorizer final : public Authorizer {
 public:
  bool CanPublish(const Principal&, std::string_view) override { return true; }
  bool CanSubscribe(const Principal&, std::string_view) override { return true; }
  bool CanReceive(const Principal&, std::string_view) override { return true; }
};

// Accepts certificate identities (mutual TLS), usernames from a password file, and anonymous
// clients when allowed. Password file lines: `user:$scrypt$<N>$<r>$<p>$<salt-b64>$<hash-b64>`
// (written by `verbund --hash-password`); '#' comments and blank lines ignored.
class PasswordAuthenticator final : public Authenticator {
 public:
  static Result<std::unique_ptr<PasswordAuthenticator>> Create(const std::string& password_file,
                                                               bool allow_anonymous);
  std::variant<Principal, ReasonCode> Authenticate(const ConnectInfo& info) override;

 private:
  std::unordered_map<std::string, std::string> users_;  // user -> encoded hash
  bool allow_anonymous_ = true;
};

// The password encoding lives in keys/password.h; these forwards keep the mqtt spelling.
inline std::string HashPassword(std::string_view password) { return keys::HashPassword(password); }
inline bool VerifyPassword(std::string_view password, std::string_view encoded) {
  return keys::VerifyPassword(password, encoded);
}

}  // namespace verbund::mqtt
