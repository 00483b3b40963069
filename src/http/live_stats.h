// The hub's live figures for the web console, as server-sent events (GET
// /api/v1/console/stats, text/event-stream): one `stats` event per interval (1 s), computed once
// per tick for every subscriber. An operator (or, with auth off, anyone) sees hub-wide figures:
// connected clients, MQTT messages/s in and out, points/s stored, series, stored bytes, bytes
// per stored value and the data directory's size on disk; a tenant's principal sees the same
// figures of its own tenant only (its MQTT clients and their messages, its databases), nothing
// about other tenants.
//
// A subscriber that does not keep up (more than 64 KiB of events unread) has its stream ended;
// the browser's EventSource reconnects. At most max_subscribers streams at once.
//
// Thread-safety: Subscribe from any thread; the ticks run on a thread of their own, started
// with the first subscriber, idle (sampling nothing) while nobody listens, and stopped by the
// destructor (which ends every stream).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/chunk_stream.h"
#include "mqtt/broker.h"
#include "storage/engine.h"

namespace verbund::http {

// One reading of the hub's counters (totals since start; rates are taken between ticks).
struct StatsSample {
  int64_t time_ms = 0;  // wall clock
  int64_t connections = 0;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t points_written = 0;
  uint64_t disk_bytes = 0;  // the whole data directory (hub-wide view only)
  std::vector<storage::DatabaseUsage> databases;
  std::unordered_map<std::string, mqtt::TenantTotals> tenants;  // by tenant
};

struct LiveStatsOptions {
  std::function<StatsSample()> sample;  // required
  std::chrono::milliseconds interval{1000};
  size_t max_subscribers = 256;
  size_t max_unread_bytes = 64 << 10;
};

class LiveStats {
 public:
  explicit LiveStats(LiveStatsOptions options);
  ~LiveStats();

  // A new event stream; `tenant` nullopt = the hub-wide view. Null when max_subscribers are
  // already listening.
  std::shared_ptr<ChunkStream> Subscribe(std::optional<std::string> tenant);
  size_t subscribers() const;

  // One event (exposed for tests): `prev` is the tick before.
  static std::string Render(const StatsSample& now, const StatsSample& prev,
                            const std::optional<std::string>& tenant);

 private:
  struct Subscriber {
    std::shared_ptr<ChunkStream> stream;
    std::optional<std::string> tenant;
  };
  void Run();

  const LiveStatsOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Subscriber> subscribers_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                // GUARDED_BY(mu_)
  std::thread thread_;                   // started under mu_ by the first Subscribe
};

}  // namespace verbund::http
