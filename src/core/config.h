// The hub's configuration: a TOML file (see doc/configuration.md) or the embedded defaults.
// Loading validates every key; an unknown key or bad value is an InvalidArgument naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace verbund {

struct MqttConfig {
  std::string listen = "0.0.0.0:1883";     // plain TCP; "" disables
  std::string tls_listen = "0.0.0.0:8883"; // needs [tls] cert and key; "" disables
  std::string ws_listen = "0.0.0.0:8083";  // MQTT over WebSocket at path /mqtt; "" disables
  std::string wss_listen;                  // MQTT over WebSocket over TLS; "" (default) disables
  int io_threads = 0;                      // 0: one per core
  uint32_t max_connections = 100000;
  uint32_t max_packet_size = 1 << 20;      // bytes, both directions
  uint32_t connect_timeout_ms = 10000;     // CONNECT must arrive within this
  uint16_t max_keep_alive_s = 65535;       // MQTT 5 server keep alive cap
  uint32_t max_topic_length = 1024;
  uint32_t max_topic_levels = 32;
  uint16_t receive_maximum = 1024;         // our inflight window per client (QoS 1/2)
  uint32_t max_queued_messages = 10000;    // per offline/slow session; oldest dropped when full
  uint16_t topic_alias_maximum = 64;
  uint32_t max_subscriptions_per_client = 1000;
  uint32_t max_session_expiry_s = 7 * 24 * 3600;
  bool allow_anonymous = true;
  std::string password_file;               // "user:$scrypt$..." lines; "" disables
  uint32_t max_properties = 64;            // user properties per packet
  uint32_t sys_interval_s = 10;            // $SYS/broker/... statistics period; 0 disables
};

struct TlsConfig {
  std::string cert;
  std::string key;
  std::string ca;
  bool require_client_cert = false;
  // PEM file of certificate revocation lists (of tls.ca): revoked client certificates are
  // refused at the handshake. Needs tls.ca; read at start-up.
  std::string crl;
};

struct HttpConfig {
  std::string listen = "0.0.0.0:8086";
  bool tls = false;                 // serve HTTPS with [tls] cert/key
  uint32_t max_body_bytes = 64 << 20;
  // Every request but /ping and /health must authenticate (u/p, Basic, Token, Bearer). false:
  // requests without credentials see everything (the demo); with credentials they are checked.
  bool auth = true;
  // The web console at / and /console/ (doc/console.md). Its files come from `console_dir`, or,
  // when that is empty, from <binary's dir>/../share/verbund/console (installed) or the build
  // tree's console/ (scripts/dev run); none found: the console answers 404, the rest serves.
  bool console = true;
  std::string console_dir;
};

enum class FsyncPolicy { kAlways, kInterval, kNever };

struct StorageConfig {
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  uint32_t fsync_interval_ms = 100;
  uint64_t head_memory_bytes = 256ull << 20;
  uint32_t chunk_max_points = 1024;
  uint64_t chunk_cache_bytes = 128ull << 20;  // decoded chunks kept for reads; 0 = none
  std::string key_file;             // "" = <data_dir>/keys/local.key (created on first start)
  uint64_t default_retention_s = 0; // 0 = keep forever
};

// The audit log (doc/format/audit.md) in <data_dir>/audit.
struct AuditConfig {
  bool enabled = true;
  // When an entry counts as durable; unset: the same as storage.fsync (and, for interval,
  // storage.fsync_interval_ms).
  std::optional<FsyncPolicy> fsync;
  uint32_t sth_interval_ms = 1000;  // at most this long between an entry and its signed tree head
};

enum class PayloadFormat { kJson, kNumber, kIgnore };

struct IngestRule {
  std::string filter;               // MQTT topic filter
  PayloadFormat format = PayloadFormat::kJson;
  std::string topic_template;       // e.g. "factory/{site}/{line}/{machine}"
  std::string measurement;          // overrides the measurement (default: template's first literal or topic)
  std::string time_field;           // payload field holding the timestamp; "" = arrival time
  std::string time_unit = "rfc3339";// rfc3339, s, ms, us, ns
};

struct IngestConfig {
  bool enabled = true;
  std::string tenant = "default";   // database that MQTT readings land in
  uint32_t max_pending_points = 1'000'000; // QoS 0 points beyond this are dropped and counted
  std::vector<IngestRule> rules;    // first matching rule wins; default: json for every topic
};

struct SecurityConfig {
  // Failed logins (MQTT and HTTP) back off per principal and network and per address: this long
  // after the first failure, doubling with each further one up to the maximum.
  uint32_t login_backoff_ms = 100;
  uint32_t login_backoff_max_ms = 30000;
};

struct DemoConfig {
  bool enabled = false;             // publish simulated factory, fleet and meter readings
  uint32_t interval_ms = 1000;
};

struct Config {
  std::string data_dir = "./verbund-data";
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  MqttConfig mqtt;
  TlsConfig tls;
  HttpConfig http;
  StorageConfig storage;
  AuditConfig audit;
  IngestConfig ingest;
  DemoConfig demo;
  SecurityConfig security;
};

// Parses TOML text. Errors name the key ("mqtt.listen: ...") and, for syntax, the line.
Result<Config> ParseConfig(std::string_view toml_text);
// Reads and parses a file; also checks referenced files (certificates, keys) are readable.
Result<Config> LoadConfigFile(const std::string& path);
// Checks cross-key rules and that referenced files are readable.
Status ValidateConfig(const Config& config);

// "host:port" -> parts. Accepts "[::1]:1883". InvalidArgument if malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view s);

}  // namespace verbund
