// What the HTTP server needs from the rest of the hub. Assembled in src/server/hub.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "http/live_stats.h"
#include "http/request_events.h"

namespace verbund::storage {
class Engine;
}
namespace verbund::ingest {
class Pipeline;
class SeriesIdCache;
}
namespace verbund::query {
class Executor;
}
namespace verbund::mqtt {
struct BrokerMetrics;
}
namespace verbund::audit {
class AuditLog;
class SthSigner;
}  // namespace verbund::audit

namespace verbund::http {

class Access;
class AdminRoutes;

struct Request;
class ConsoleAssets;
class TopicBridge;

// Whether a request may read the audit entries of `tenant` ("" = hub-wide: every entry; "*" =
// tree heads and proofs, which hold hashes only).
using AuditAuthorizeFn = std::function<bool(const Request& request, std::string_view tenant)>;

struct ServerDeps {
  storage::Engine* engine = nullptr;           // required; not owned
  ingest::Pipeline* pipeline = nullptr;        // required; not owned (the durable write path)
  const query::Executor* executor = nullptr;   // required; not owned
  mqtt::BrokerMetrics* broker_metrics = nullptr;  // optional; MQTT families omitted when null
  // Optional: each tenant's MQTT clients and messages (the console's tenant figures).
  std::function<std::unordered_map<std::string, mqtt::TenantTotals>()> tenant_mqtt;
  // The database set (see http/databases.h: DatabaseRegistry::ListFn/CreateFn/ExistsFn). When
  // list_databases or create_database is empty the server opens its own DatabaseRegistry at
  // <data_dir>/http/databases.
  std::function<std::vector<std::string>()> list_databases;
  std::function<Status(std::string_view)> create_database;
  std::function<bool(std::string_view)> database_exists;  // optional; default: list contains
  const Clock* clock = nullptr;                // nullptr = system clock; not owned
  std::string data_dir;
  // Hook for the storage engine's WAL fsync latency (seconds); EngineStats has no histogram yet.
  // Optional: verbund_wal_fsync_duration_seconds is omitted from /metrics when null.
  const metrics::Histogram* wal_fsync_seconds = nullptr;
  // Optional: series ids cached across writes (shared with MQTT ingest); null = resolve each time.
  ingest::SeriesIdCache* series_cache = nullptr;
  // Optional: every /write and /query is reported here and answered only once it is recorded
  // (the audit log); not owned.
  RequestEvents* request_events = nullptr;
  // Optional: the audit log served under /api/v1/audit (404 when null); not owned. The signer
  // gives the tree heads and the public key.
  const audit::AuditLog* audit_log = nullptr;
  const audit::SthSigner* audit_signer = nullptr;
  // Who may read the audit log; empty = everyone (authentication comes with a later issue).
  AuditAuthorizeFn audit_authorize;
  // Optional: authentication and scopes (http/access.h); null = every caller anonymous, with
  // access to everything. Not owned.
  Access* access = nullptr;
  // Optional: the admin API under /api/v1/admin (404 when null); not owned.
  AdminRoutes* admin = nullptr;
  // Optional: the web console's files, served at / and /console/ (404 when null); not owned.
  const ConsoleAssets* console = nullptr;
  // Optional: live topics and publishing for the console (404 when null); not owned.
  TopicBridge* topics = nullptr;
  // Threads that parse /write bodies, run queries and read storage off the I/O threads
  // (0 = hardware concurrency, at least 2).
  size_t worker_threads = 0;
  uint32_t max_connections = 10000;            // HTTP connections; beyond it accept-and-close
  // A request (headers and body) must arrive within this; also the keep-alive idle limit and
  // the write timeout per response chunk.
  std::chrono::milliseconds read_timeout{30000};
};

}  // namespace verbund::http
