// Who an MQTT client is and what it may do, for the whole hub: the seams mqtt::Authenticator and
// mqtt::Authorizer filled from the hub's identities (security::Directory).
//
// Authentication, first match wins:
//  - a verified client certificate one of whose names (subject CN, then SAN DNS, e-mail and
//    URI names) the directory maps to a principal;
//  - a username `tenant/name` (operators: `_hub/name`) of a directory principal, with its
//    password; failures back off per principal and source network and per address
//    (security::LoginThrottle), answered with CONNACK 0x9F while backing off;
//  - the single-tenant set-up: `mqtt.password_file` users, other verified certificates, and
//    anonymous clients when `mqtt.allow_anonymous`. They belong to the default tenant, whose
//    readings land in the database of the same name (`ingest.tenant`), as before tenants
//    existed, and may do anything inside its namespace.
//
// Every principal lives in its tenant's topic namespace (mqtt::Principal::mount). Directory
// principals carry their compiled rules (security::SessionPolicy) in Principal::policy, so
// each publish, subscribe and delivery is one lookup without a lock. Operators have no
// namespace: they may subscribe to `$SYS/#` and nothing else. Other clients see `$SYS` only on
// a hub without tenants. Nobody publishes to `$SYS`.
//
// Quotas (security::Usage): a directory principal's connections and its PUBLISHes (messages/s,
// bytes/s of topic and payload) are charged to it and its tenant; single-tenant principals have
// none. What the broker does when one is exceeded: doc/security.md, "Quotas".
//
// Live changes: Reauthorize() (called by the hub on every directory change) refreshes the
// rules of affected sessions and returns the refused ones (deleted, disabled, credential
// revoked) for the broker to disconnect.
//
// Thread-safety: every method may be called from any I/O thread concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "mqtt/auth.h"
#include "security/directory.h"
#include "security/login_throttle.h"
#include "security/names.h"
#include "security/usage.h"

namespace verbund::server {

class MqttAccess final : public mqtt::Authenticator, public mqtt::Authorizer {
 public:
  // `directory` may be null (single-tenant only); not owned, must outlive this.
  // `usage` may be null (no quotas); not owned, must outlive this.
  MqttAccess(std::unique_ptr<mqtt::PasswordAuthenticator> legacy, std::string default_tenant,
             security::Directory* directory, const Clock* clock = nullptr,
             security::LoginThrottleOptions throttle = {}, security::Usage* usage = nullptr);

  std::variant<mqtt::Principal, mqtt::ReasonCode> Authenticate(
      const mqtt::ConnectInfo& info) override;
  bool CanPublish(const mqtt::Principal& p, std::string_view topic) override;
  bool CanSubscribe(const mqtt::Principal& p, std::string_view filter) override;
  bool CanReceive(const mqtt::Principal& p, std::string_view topic) override;
  std::optional<std::shared_ptr<void>> AdmitConnection(const mqtt::Principal& p) override;
  bool AdmitPublish(const mqtt::Principal& p, size_t bytes, int64_t* retry_after_ms) override;

  // For a connected client's principal after a directory change: the principal with its rules
  // rebuilt, or nullopt when it may no longer be connected. Single-tenant principals stay.
  std::optional<mqtt::Principal> Reauthorize(const mqtt::Principal& p) const;

  // The principal an HTTP caller (the web console) acts as on the broker, as an MQTT client with
  // `client_id` would: a directory identity's (nullopt once it is no longer current), or, for an
  // anonymous caller (`[http] auth = false`), the default tenant's anonymous principal.
  std::optional<mqtt::Principal> PrincipalFor(const std::optional<security::Identity>& identity,
                                              std::string_view client_id) const;

  // The directory identity behind a principal, or null for single-tenant principals.
  static const security::Identity* IdentityOf(const mqtt::Principal& p);

 private:
  struct Grant;
  mqtt::Principal FromIdentity(const security::Identity& id, std::string_view client_id,
                               const security::Snapshot& snap) const;
  bool HubTopicsOpen() const;

  std::unique_ptr<mqtt::PasswordAuthenticator> legacy_;
  const std::string default_tenant_;
  security::Directory* directory_;
  const Clock* clock_;
  security::LoginThrottle throttle_;
  security::Usage* usage_;
};

}  // namespace verbund::server
