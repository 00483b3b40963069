// What the HTTP server needs from the rest of the hub. Assembled in src/server/hub.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"

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

namespace verbund::http {

struct ServerDeps {
  storage::Engine* engine = nullptr;           // required; not owned
  ingest::Pipeline* pipeline = nullptr;        // required; not owned (the durable write path)
  const query::Executor* executor = nullptr;   // required; not owned
  mqtt::BrokerMetrics* broker_metrics = nullptr;  // optional; MQTT families omitted when null
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
  // Threads that parse /write bodies, run queries and read storage off the I/O threads
  // (0 = hardware concurrency, at least 2).
  size_t worker_threads = 0;
  uint32_t max_connections = 10000;            // HTTP connections; beyond it accept-and-close
  // A request (headers and body) must arrive within this; also the keep-alive idle limit and
  // the write timeout per response chunk.
  std::chrono::milliseconds read_timeout{30000};
};

}  // namespace verbund::http
