#include "server/mqtt_access.h"

#include "mqtt/topic.h"

namespace verbund::server {

MqttAccess::MqttAccess(std::unique_ptr<mqtt::PasswordAuthenticator> legacy,
                       std::string default_tenant)
    : legacy_(std::move(legacy)), default_tenant_(std::move(default_tenant)) {}

std::variant<mqtt::Principal, mqtt::ReasonCode> MqttAccess::Authenticate(
    const mqtt::ConnectInfo& info) {
  auto result = legacy_->Authenticate(info);
  if (auto* p = std::get_if<mqtt::Principal>(&result)) {
    p->tenant = default_tenant_;
    p->mount = default_tenant_ + '/';
  }
  return result;
}

bool MqttAccess::CanPublish(const mqtt::Principal&, std::string_view topic) {
  return !mqtt::IsHubTopic(topic);
}

bool MqttAccess::CanSubscribe(const mqtt::Principal&, std::string_view) { return true; }

bool MqttAccess::CanReceive(const mqtt::Principal&, std::string_view) { return true; }

}  // namespace verbund::server
