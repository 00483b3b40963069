#include "server/mqtt_access.h"

#include <atomic>
#include <string>

#include "mqtt/topic.h"

namespace verbund::server {

using mqtt::ReasonCode;
using security::Right;

namespace {

// The verdict on the last topic asked: devices publish to the same few topics again and again,
// and a subscriber mostly receives its publishers' topics, so most checks are one comparison
// instead of a rule search (measured: bench/mqtt/run.sh --auth). A verdict depends only on the
// grant's immutable policy and the topic. A grant is used on its session's I/O thread; were it
// asked concurrently, the loser computes without the memo.
class VerdictMemo {
 public:
  template <typename Compute>
  bool Check(std::string_view topic, Compute&& compute) {
    if (busy_.test_and_set(std::memory_order_acquire)) return compute(topic);
    bool allowed;
    if (valid_ && topic == topic_) {
      allowed = allowed_;
    } else {
      allowed = compute(topic);
      topic_.assign(topic);
      allowed_ = allowed;
      valid_ = true;
    }
    busy_.clear(std::memory_order_release);
    return allowed;
  }

 private:
  std::atomic_flag busy_;
  bool valid_ = false;
  bool allowed_ = false;
  std::string topic_;
};

}  // namespace

// What Principal::policy holds for a directory principal.
struct MqttAccess::Grant {
  security::Identity identity;
  security::SessionPolicy policy;
  std::shared_ptr<const security::Meters> meters;  // null without quotas
  mutable VerdictMemo publish, receive;
};

MqttAccess::MqttAccess(std::unique_ptr<mqtt::PasswordAuthenticator> legacy,
                       std::string default_tenant, security::Directory* directory,
                       const Clock* clock, security::LoginThrottleOptions throttle,
                       security::Usage* usage)
    : legacy_(std::move(legacy)),
      default_tenant_(std::move(default_tenant)),
      directory_(directory),
      clock_(clock ? clock : SystemClock::Default()),
      throttle_(throttle),
      usage_(usage) {}

const security::Identity* MqttAccess::IdentityOf(const mqtt::Principal& p) {
  return p.policy ? &static_cast<const Grant*>(p.policy.get())->identity : nullptr;
}

mqtt::Principal MqttAccess::FromIdentity(const security::Identity& id, std::string_view client_id,
                                         const security::Snapshot& snap) const {
  mqtt::Principal p;
  p.name = id.principal;
  p.anonymous = false;
  p.tenant = id.tenant;
  p.mount = id.IsOperator() ? "" : id.tenant + '/';
  p.client_id = std::string(client_id);
  auto grant = std::make_shared<Grant>();
  grant->identity = id;
  grant->policy = snap.PolicyFor(id, client_id);
  if (usage_ != nullptr) grant->meters = usage_->MetersFor(snap, id.tenant, id.principal);
  p.policy = std::move(grant);
  return p;
}

std::variant<mqtt::Principal, ReasonCode> MqttAccess::Authenticate(const mqtt::ConnectInfo& info) {
  if (directory_ != nullptr) {
    auto snap = directory_->snapshot();
    // The first of the certificate's names (CN, then SANs) that the directory maps.
    for (const std::string& name : info.cert_names) {
      security::AuthResult r = snap->AuthenticateCertificate(name);
      if (r.ok()) return FromIdentity(*r.identity, info.client_id, *snap);
      if (r.error == security::AuthError::kDisabled) return ReasonCode::kNotAuthorized;
    }
    // A `tenant/name` username of a tenant (or the operators) the directory knows (also with an
    // unmapped client certificate).
    if (info.username) {
      const std::string& user = *info.username;
      size_t slash = user.find('/');
      std::string_view tenant =
          slash == std::string::npos ? "" : std::string_view(user).substr(0, slash);
      if (!tenant.empty() && (tenant == security::kOperatorTenant || snap->HasTenant(tenant))) {
        const int64_t now = clock_->MonotonicNs();
        security::ThrottleDecision d = throttle_.Check(user, info.peer, now);
        if (!d.allowed) return ReasonCode::kConnectionRateExceeded;
        security::AuthResult r = snap->AuthenticatePassword(user, info.password.value_or(""));
        if (r.error == security::AuthError::kDisabled) return ReasonCode::kNotAuthorized;
        if (!r.ok()) {
          // Only wrong guesses back off (a disabled principal's password was right).
          throttle_.RecordFailure(user, info.peer, now);
          return ReasonCode::kBadUserNameOrPassword;
        }
        throttle_.RecordSuccess(user, info.peer, now);
        return FromIdentity(*r.identity, info.client_id, *snap);
      }
    }
  }
  auto result = legacy_->Authenticate(info);
  if (auto* p = std::get_if<mqtt::Principal>(&result)) {
    p->tenant = default_tenant_;
    p->mount = default_tenant_ + '/';
  }
  return result;
}

bool MqttAccess::HubTopicsOpen() const {
  return directory_ == nullptr || directory_->ListTenants().empty();
}

bool MqttAccess::CanPublish(const mqtt::Principal& p, std::string_view topic) {
  if (mqtt::IsHubTopic(topic)) return false;
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant == nullptr) return true;
  if (grant->identity.IsOperator()) return false;
  return grant->publish.Check(
      topic, [grant](std::string_view t) { return grant->policy.Allowed(Right::kPublish, t); });
}

bool MqttAccess::CanSubscribe(const mqtt::Principal& p, std::string_view filter) {
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant != nullptr && grant->identity.IsOperator()) return mqtt::IsHubTopic(filter);
  if (mqtt::IsHubTopic(filter)) return grant == nullptr && HubTopicsOpen();
  return grant == nullptr || grant->policy.CanSubscribe(filter);
}

bool MqttAccess::CanReceive(const mqtt::Principal& p, std::string_view topic) {
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant != nullptr && grant->identity.IsOperator()) return mqtt::IsHubTopic(topic);
  if (mqtt::IsHubTopic(topic)) return grant == nullptr && HubTopicsOpen();
  if (grant == nullptr) return true;
  return grant->receive.Check(topic,
                              [grant](std::string_view t) { return grant->policy.CanReceive(t); });
}

std::optional<std::shared_ptr<void>> MqttAccess::AdmitConnection(const mqtt::Principal& p) {
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant == nullptr || grant->meters == nullptr) return std::shared_ptr<void>();
  security::QuotaRefusal why;
  std::shared_ptr<void> lease = grant->meters->AcquireConnection(&why);
  if (lease == nullptr) return std::nullopt;
  return lease;
}

bool MqttAccess::AdmitPublish(const mqtt::Principal& p, size_t bytes, int64_t* retry_after_ms) {
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant == nullptr || grant->meters == nullptr || !grant->meters->limited()) return true;
  security::QuotaRefusal why;
  if (grant->meters->Charge(1, bytes, clock_->MonotonicNs(), &why)) return true;
  *retry_after_ms = why.retry_after_ms;
  return false;
}

std::optional<mqtt::Principal> MqttAccess::PrincipalFor(
    const std::optional<security::Identity>& identity, std::string_view client_id) const {
  if (!identity) {
    mqtt::Principal p;
    p.tenant = default_tenant_;
    p.mount = default_tenant_ + '/';
    p.client_id = std::string(client_id);
    return p;
  }
  if (directory_ == nullptr) return std::nullopt;
  auto snap = directory_->snapshot();
  if (!snap->IsCurrent(*identity)) return std::nullopt;
  return FromIdentity(*identity, client_id, *snap);
}

std::optional<mqtt::Principal> MqttAccess::Reauthorize(const mqtt::Principal& p) const {
  const auto* grant = static_cast<const Grant*>(p.policy.get());
  if (grant == nullptr || directory_ == nullptr) return p;
  auto snap = directory_->snapshot();
  if (!snap->IsCurrent(grant->identity)) return std::nullopt;
  return FromIdentity(grant->identity, p.client_id, *snap);
}

}  // namespace verbund::server
