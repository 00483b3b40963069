// The vocabulary of identities and access control: rights, principal kinds, quotas, rules and
// the authenticated Identity. Plain values; see doc/security.md "Identities and access control".
//
// Thread-safety: value types, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace verbund::security {

// One right; a Rights value is a bitmask of them.
enum class Right : uint32_t {
  kPublish = 1u << 0,
  kSubscribe = 1u << 1,
  kWrite = 1u << 2,  // write readings into a database (InfluxDB /write, MQTT ingest)
  kQuery = 1u << 3,  // read readings (InfluxQL /query)
  kAdmin = 1u << 4,  // manage the tenant (tenant admins) or the hub (operators)
};
using Rights = uint32_t;

inline constexpr Rights Bit(Right r) { return static_cast<Rights>(r); }
inline constexpr Rights kTopicRights = Bit(Right::kPublish) | Bit(Right::kSubscribe);
inline constexpr Rights kDataRights = Bit(Right::kWrite) | Bit(Right::kQuery);
inline constexpr Rights kAllRights = kTopicRights | kDataRights | Bit(Right::kAdmin);

// "publish,subscribe" for logs and the admin API; "" for 0.
std::string RightsToString(Rights rights);

enum class PrincipalKind : uint8_t {
  kDevice = 1,
  kUser = 2,
  kService = 3,
  kOperator = 4,  // only in the pseudo-tenant kOperatorTenant
};
std::string_view PrincipalKindName(PrincipalKind kind);

// Per tenant and per principal; 0 means unlimited.
struct Quotas {
  uint64_t max_connections = 0;
  uint64_t messages_per_s = 0;
  uint64_t bytes_per_s = 0;
  uint64_t max_series = 0;
  uint64_t max_stored_bytes = 0;

  bool operator==(const Quotas&) const = default;
};

enum class Effect : uint8_t { kAllow = 1, kDeny = 2 };

// An access rule of one tenant. `pattern` is an MQTT topic filter relative to the tenant's
// namespace when `rights` are publish/subscribe, and `<database-glob>/<measurement-glob>` when
// they are write/query (a rule never mixes the two). `%c` and `%u` in a pattern stand for the
// client id and the principal name. `principal` is an exact principal name or "*".
struct Rule {
  uint64_t id = 0;  // assigned by Directory::AddRule; rules are evaluated as a set, listed by id
  std::string tenant;
  Effect effect = Effect::kAllow;
  Rights rights = 0;
  std::string principal = "*";
  std::string pattern;

  bool operator==(const Rule&) const = default;
};

enum class AuthMethod : uint8_t { kPassword = 1, kToken = 2, kCertificate = 3 };

// Who is connected or calling, as established by a Snapshot's Authenticate* functions.
struct Identity {
  std::string tenant;     // kOperatorTenant for operators
  std::string principal;  // the principal's name within the tenant
  PrincipalKind kind = PrincipalKind::kDevice;
  bool tenant_admin = false;
  Rights rights = 0;        // the token's rights, kAllRights for passwords and certificates
  uint64_t generation = 0;  // the principal's generation when authenticated
  AuthMethod method = AuthMethod::kPassword;
  std::string token_id;  // the token's public id when method == kToken

  bool IsOperator() const { return kind == PrincipalKind::kOperator; }
  // "tenant/name", the MQTT username form.
  std::string FullName() const { return tenant + "/" + principal; }
};

}  // namespace verbund::security
