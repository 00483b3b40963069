// Who an MQTT client is and what it may do, for the whole hub: the seams mqtt::Authenticator and
// mqtt::Authorizer filled from the hub's identities.
//
// Every principal lives in a tenant's topic namespace (mqtt::Principal::mount). Clients of the
// single-tenant set-up (`mqtt.password_file`, client certificates, anonymous clients when
// allowed) belong to the default tenant, whose readings land in the database of the same name
// (`ingest.tenant`), as before tenants existed. Nobody publishes to `$SYS`.
//
// Thread-safety: every method may be called from any I/O thread concurrently.
#pragma once

#include <memory>
#include <string>

#include "mqtt/auth.h"

namespace verbund::server {

class MqttAccess final : public mqtt::Authenticator, public mqtt::Authorizer {
 public:
  MqttAccess(std::unique_ptr<mqtt::PasswordAuthenticator> legacy, std::string default_tenant);

  std::variant<mqtt::Principal, mqtt::ReasonCode> Authenticate(
      const mqtt::ConnectInfo& info) override;
  bool CanPublish(const mqtt::Principal& p, std::string_view topic) override;
  bool CanSubscribe(const mqtt::Principal& p, std::string_view filter) override;
  bool CanReceive(const mqtt::Principal& p, std::string_view topic) override;

 private:
  std::unique_ptr<mqtt::PasswordAuthenticator> legacy_;
  const std::string default_tenant_;
};

}  // namespace verbund::server
