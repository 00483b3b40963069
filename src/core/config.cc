#include "core/config.h"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace verbund {
namespace {

// Walks one TOML table, assigning known keys and rejecting unknown ones.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix)
      : table_(table), prefix_(std::move(prefix)) {}

  std::string Name(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

  Status String(std::string_view key, std::string* out) {
    seen_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::OK();
    auto v = n->value<std::string>();
    if (!v) return InvalidArgument(Name(key) + ": expected a string");
    *out = *v;
    return Status::OK();
  }

  Status Bool(std::string_view key, bool* out) {
    seen_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::OK();
    if (!n->is_boolean()) return InvalidArgument(Name(key) + ": expected true or false");
    *out = *n->value<bool>();
    return Status::OK();
  }

  template <typename T>
  Status Int(std::string_view key, T* out, int64_t min, int64_t max) {
    seen_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (n == nullptr) return Status::OK();
    if (!n->is_integer()) return InvalidArgument(Name(key) + ": expected an integer");
    int64_t v = *n->value<int64_t>();
    if (v < min || v > max) {
      return InvalidArgument(Name(key) + ": " + std::to_string(v) + " is out of range [" +
                             std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    *out = static_cast<T>(v);
    return Status::OK();
  }

  // Marks a key as handled by the caller (sub-tables, arrays).
  void Seen(std::string_view key) { seen_.insert(std::string(key)); }

  Status RejectUnknown() const {
    for (const auto& [k, v] : table_) {
      if (!seen_.contains(std::string(k.str()))) {
        return InvalidArgument(Name(k.str()) + ": unknown key");
      }
    }
    return Status::OK();
  }

 private:
  const toml::table& table_;
  std::string prefix_;
  std::set<std::string> seen_;
};

Status ReadMqtt(const toml::table& t, MqttConfig* c) {
  TableReader r(t, "mqtt");
  RETURN_IF_ERROR(r.String("listen", &c->listen));
  RETURN_IF_ERROR(r.String("tls_listen", &c->tls_listen));
  RETURN_IF_ERROR(r.String("ws_listen", &c->ws_listen));
  RETURN_IF_ERROR(r.String("wss_listen", &c->wss_listen));
  RETURN_IF_ERROR(r.Int("io_threads", &c->io_threads, 0, 256));
  RETURN_IF_ERROR(r.Int("max_connections", &c->max_connections, 1, 10'000'000));
  RETURN_IF_ERROR(r.Int("max_packet_size", &c->max_packet_size, 64, 268'435'455));
  RETURN_IF_ERROR(r.Int("connect_timeout_ms", &c->connect_timeout_ms, 100, 3'600'000));
  RETURN_IF_ERROR(r.Int("max_keep_alive_s", &c->max_keep_alive_s, 1, 65535));
  RETURN_IF_ERROR(r.Int("max_topic_length", &c->max_topic_length, 1, 65535));
  RETURN_IF_ERROR(r.Int("max_topic_levels", &c->max_topic_levels, 1, 1024));
  RETURN_IF_ERROR(r.Int("receive_maximum", &c->receive_maximum, 1, 65535));
  RETURN_IF_ERROR(r.Int("max_queued_messages", &c->max_queued_messages, 1, 100'000'000));
  RETURN_IF_ERROR(r.Int("topic_alias_maximum", &c->topic_alias_maximum, 0, 65535));
  RETURN_IF_ERROR(
      r.Int("max_subscriptions_per_client", &c->max_subscriptions_per_client, 1, 1'000'000));
  RETURN_IF_ERROR(r.Int("max_session_expiry_s", &c->max_session_expiry_s, 0, 0xffffffffLL));
  RETURN_IF_ERROR(r.Bool("allow_anonymous", &c->allow_anonymous));
  RETURN_IF_ERROR(r.String("password_file", &c->password_file));
  RETURN_IF_ERROR(r.Int("max_properties", &c->max_properties, 0, 65535));
  RETURN_IF_ERROR(r.Int("sys_interval_s", &c->sys_interval_s, 0, 86400));
  return r.RejectUnknown();
}

Status ReadTls(const toml::table& t, TlsConfig* c) {
  TableReader r(t, "tls");
  RETURN_IF_ERROR(r.String("cert", &c->cert));
  RETURN_IF_ERROR(r.String("key", &c->key));
  RETURN_IF_ERROR(r.String("ca", &c->ca));
  RETURN_IF_ERROR(r.Bool("require_client_cert", &c->require_client_cert));
  RETURN_IF_ERROR(r.String("crl", &c->crl));
  return r.RejectUnknown();
}

Status ReadHttp(const toml::table& t, HttpConfig* c) {
  TableReader r(t, "http");
  RETURN_IF_ERROR(r.String("listen", &c->listen));
  RETURN_IF_ERROR(r.Bool("tls", &c->tls));
  RETURN_IF_ERROR(r.Int("max_body_bytes", &c->max_body_bytes, 1024, 1LL << 31));
  RETURN_IF_ERROR(r.Bool("auth", &c->auth));
  RETURN_IF_ERROR(r.Bool("console", &c->console));
  RETURN_IF_ERROR(r.String("console_dir", &c->console_dir));
  return r.RejectUnknown();
}

// "always" | "interval" | "never" -> *out; an absent key leaves *out unchanged.
template <typename Policy>
Status ReadFsync(TableReader& r, std::string_view key, Policy* out) {
  std::string fsync;
  RETURN_IF_ERROR(r.String(key, &fsync));
  if (fsync == "always")
    *out = FsyncPolicy::kAlways;
  else if (fsync == "interval")
    *out = FsyncPolicy::kInterval;
  else if (fsync == "never")
    *out = FsyncPolicy::kNever;
  else if (!fsync.empty())
    return InvalidArgument(r.Name(key) + ": expected always, interval or never, got '" + fsync +
                           "'");
  return Status::OK();
}

Status ReadStorage(const toml::table& t, StorageConfig* c) {
  TableReader r(t, "storage");
  RETURN_IF_ERROR(ReadFsync(r, "fsync", &c->fsync));
  RETURN_IF_ERROR(r.Int("fsync_interval_ms", &c->fsync_interval_ms, 1, 60'000));
  uint64_t head_mb = c->head_memory_bytes >> 20;
  RETURN_IF_ERROR(r.Int("head_memory_mb", &head_mb, 1, 1 << 20));
  c->head_memory_bytes = head_mb << 20;
  RETURN_IF_ERROR(r.Int("chunk_max_points", &c->chunk_max_points, 16, 65536));
  uint64_t cache_mb = c->chunk_cache_bytes >> 20;
  RETURN_IF_ERROR(r.Int("chunk_cache_mb", &cache_mb, 0, 1 << 20));
  c->chunk_cache_bytes = cache_mb << 20;
  RETURN_IF_ERROR(r.String("key_file", &c->key_file));
  RETURN_IF_ERROR(r.Int("default_retention_s", &c->default_retention_s, 0, 1LL << 40));
  return r.RejectUnknown();
}

Status ReadAudit(const toml::table& t, AuditConfig* c) {
  TableReader r(t, "audit");
  RETURN_IF_ERROR(r.Bool("enabled", &c->enabled));
  RETURN_IF_ERROR(ReadFsync(r, "fsync", &c->fsync));
  RETURN_IF_ERROR(r.Int("sth_interval_ms", &c->sth_interval_ms, 10, 3'600'000));
  return r.RejectUnknown();
}

Status ReadIngestRule(const toml::table& t, size_t index, IngestRule* rule) {
  TableReader r(t, "ingest.rule[" + std::to_string(index) + "]");
  RETURN_IF_ERROR(r.String("filter", &rule->filter));
  if (rule->filter.empty()) return InvalidArgument(r.Name("filter") + ": required");
  std::string format;
  RETURN_IF_ERROR(r.String("format", &format));
  if (format == "json" || format.empty()) rule->format = PayloadFormat::kJson;
  else if (format == "number") rule->format = PayloadFormat::kNumber;
  else if (format == "ignore") rule->format = PayloadFormat::kIgnore;
  else return InvalidArgument(r.Name("format") + ": expected json, number or ignore, got '" + format + "'");
  RETURN_IF_ERROR(r.String("template", &rule->topic_template));
  RETURN_IF_ERROR(r.String("measurement", &rule->measurement));
  RETURN_IF_ERROR(r.String("time_field", &rule->time_field));
  RETURN_IF_ERROR(r.String("time_unit", &rule->time_unit));
  static const std::set<std::string> kUnits = {"rfc3339", "s", "ms", "us", "ns"};
  if (!kUnits.contains(rule->time_unit)) {
    return InvalidArgument(r.Name("time_unit") + ": expected rfc3339, s, ms, us or ns");
  }
  return r.RejectUnknown();
}

Status ReadIngest(const toml::table& t, IngestConfig* c) {
  TableReader r(t, "ingest");
  RETURN_IF_ERROR(r.Bool("enabled", &c->enabled));
  RETURN_IF_ERROR(r.String("tenant", &c->tenant));
  RETURN_IF_ERROR(r.Int("max_pending_points", &c->max_pending_points, 1, 1LL << 32));
  r.Seen("rule");
  if (const toml::node* n = t.get("rule")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) return InvalidArgument("ingest.rule: expected an array of tables ([[ingest.rule]])");
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* rt = (*arr)[i].as_table();
      if (rt == nullptr) return InvalidArgument("ingest.rule[" + std::to_string(i) + "]: expected a table");
      IngestRule rule;
      RETURN_IF_ERROR(ReadIngestRule(*rt, i, &rule));
      c->rules.push_back(std::move(rule));
    }
  }
  return r.RejectUnknown();
}

Status ReadDemo(const toml::table& t, DemoConfig* c) {
  TableReader r(t, "demo");
  RETURN_IF_ERROR(r.Bool("enabled", &c->enabled));
  RETURN_IF_ERROR(r.Int("interval_ms", &c->interval_ms, 10, 3'600'000));
  return r.RejectUnknown();
}

Status ReadSecurity(const toml::table& t, SecurityConfig* c) {
  TableReader r(t, "security");
  RETURN_IF_ERROR(r.Int("login_backoff_ms", &c->login_backoff_ms, 1, 3'600'000));
  RETURN_IF_ERROR(r.Int("login_backoff_max_ms", &c->login_backoff_max_ms, 1, 86'400'000));
  return r.RejectUnknown();
}

template <typename Fn>
Status SubTable(const toml::table& root, TableReader* r, std::string_view key, Fn fn) {
  r->Seen(key);
  const toml::node* n = root.get(key);
  if (n == nullptr) return Status::OK();
  const toml::table* t = n->as_table();
  if (t == nullptr) return InvalidArgument(std::string(key) + ": expected a table");
  return fn(*t);
}

Status CheckReadable(const std::string& key, const std::string& path) {
  if (path.empty()) return Status::OK();
  std::ifstream in(path);
  if (!in) return InvalidArgument(key + ": cannot read '" + path + "'");
  return Status::OK();
}

Status CheckListen(const std::string& key, const std::string& value) {
  if (value.empty()) return Status::OK();
  auto hp = ParseHostPort(value);
  if (!hp.ok()) return hp.status().Annotate(key);
  return Status::OK();
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view s) {
  HostPort hp;
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgument("expected host:port, got '" + std::string(s) + "'");
  std::string_view host = s.substr(0, colon);
  std::string_view port = s.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p > 65535 || host.empty()) {
    return InvalidArgument("expected host:port, got '" + std::string(s) + "'");
  }
  hp.host = std::string(host);
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

Result<Config> ParseConfig(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config line " << e.source().begin.line << ": " << e.description();
    return InvalidArgument(os.str());
  }
  Config c;
  TableReader r(root, "");
  RETURN_IF_ERROR(r.String("data_dir", &c.data_dir));
  RETURN_IF_ERROR(r.String("log_level", &c.log_level));
  RETURN_IF_ERROR(r.String("log_format", &c.log_format));
  RETURN_IF_ERROR(SubTable(root, &r, "mqtt", [&](const toml::table& t) { return ReadMqtt(t, &c.mqtt); }));
  RETURN_IF_ERROR(SubTable(root, &r, "tls", [&](const toml::table& t) { return ReadTls(t, &c.tls); }));
  RETURN_IF_ERROR(SubTable(root, &r, "http", [&](const toml::table& t) { return ReadHttp(t, &c.http); }));
  RETURN_IF_ERROR(SubTable(root, &r, "storage", [&](const toml::table& t) { return ReadStorage(t, &c.storage); }));
  RETURN_IF_ERROR(
      SubTable(root, &r, "audit", [&](const toml::table& t) { return ReadAudit(t, &c.audit); }));
  RETURN_IF_ERROR(SubTable(root, &r, "ingest", [&](const toml::table& t) { return ReadIngest(t, &c.ingest); }));
  RETURN_IF_ERROR(SubTable(root, &r, "demo", [&](const toml::table& t) { return ReadDemo(t, &c.demo); }));
  RETURN_IF_ERROR(SubTable(root, &r, "security",
                           [&](const toml::table& t) { return ReadSecurity(t, &c.security); }));
  RETURN_IF_ERROR(r.RejectUnknown());
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.contains(c.log_level)) return InvalidArgument("log_level: unknown level '" + c.log_level + "'");
  if (c.log_format != "text" && c.log_format != "json") return InvalidArgument("log_format: expected text or json");
  if (c.data_dir.empty()) return InvalidArgument("data_dir: must not be empty");
  return c;
}

Status ValidateConfig(const Config& c) {
  RETURN_IF_ERROR(CheckListen("mqtt.listen", c.mqtt.listen));
  RETURN_IF_ERROR(CheckListen("mqtt.tls_listen", c.mqtt.tls_listen));
  RETURN_IF_ERROR(CheckListen("mqtt.ws_listen", c.mqtt.ws_listen));
  RETURN_IF_ERROR(CheckListen("mqtt.wss_listen", c.mqtt.wss_listen));
  RETURN_IF_ERROR(CheckListen("http.listen", c.http.listen));
  RETURN_IF_ERROR(CheckReadable("tls.cert", c.tls.cert));
  RETURN_IF_ERROR(CheckReadable("tls.key", c.tls.key));
  RETURN_IF_ERROR(CheckReadable("tls.ca", c.tls.ca));
  RETURN_IF_ERROR(CheckReadable("mqtt.password_file", c.mqtt.password_file));
  if (c.tls.cert.empty() != c.tls.key.empty()) {
    return InvalidArgument("tls.cert and tls.key must be given together");
  }
  if (c.tls.require_client_cert && c.tls.ca.empty()) {
    return InvalidArgument("tls.require_client_cert: needs tls.ca to verify client certificates");
  }
  if (c.http.tls && c.tls.cert.empty()) return InvalidArgument("http.tls: needs tls.cert and tls.key");
  if (!c.mqtt.wss_listen.empty() && c.tls.cert.empty()) {
    return InvalidArgument("mqtt.wss_listen: needs tls.cert and tls.key");
  }
  return Status::OK();
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read config file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = ParseConfig(ss.str());
  if (!config.ok()) return config.status().Annotate(path);
  RETURN_IF_ERROR(ValidateConfig(*config).Annotate(path));
  return config;
}

}  // namespace verbund
