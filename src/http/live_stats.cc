#include "http/live_stats.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "security/names.h"

namespace verbund::http {
namespace {

using nlohmann::json;

double PerSecond(uint64_t now, uint64_t prev, int64_t dt_ms) {
  if (dt_ms <= 0 || now < prev) return 0;  // a counter never goes back; a restart would
  return static_cast<double>(now - prev) * 1000.0 / static_cast<double>(dt_ms);
}

// The figures of one view: the hub's, or one tenant's (its databases, its MQTT clients).
struct Totals {
  uint64_t series = 0, stored_bytes = 0, sealed_bytes = 0, sealed_values = 0;
  uint64_t points_written = 0, messages_in = 0, messages_out = 0;
  int64_t connections = 0;
  size_t databases = 0;
};

Totals Sum(const StatsSample& s, const std::optional<std::string>& tenant) {
  Totals t;
  for (const storage::DatabaseUsage& d : s.databases) {
    if (tenant && !security::TenantOwnsDatabase(*tenant, d.name)) continue;
    t.series += d.series;
    t.stored_bytes += d.stored_bytes;
    t.sealed_bytes += d.sealed_bytes;
    t.sealed_values += d.sealed_values;
    if (tenant) t.points_written += d.points_written;
    ++t.databases;
  }
  if (!tenant) {
    t.connections = s.connections;
    t.messages_in = s.messages_in;
    t.messages_out = s.messages_out;
    t.points_written = s.points_written;  // what ingest stored (the engine's per-database counts
                                          // include what it replayed at open)
  } else if (auto it = s.tenants.find(*tenant); it != s.tenants.end()) {
    t.connections = it->second.connections;
    t.messages_in = it->second.messages_in;
    t.messages_out = it->second.messages_out;
  }
  return t;
}

}  // namespace

LiveStats::LiveStats(LiveStatsOptions options) : options_(std::move(options)) {}

LiveStats::~LiveStats() {
  std::vector<Subscriber> ending;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    ending.swap(subscribers_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Subscriber& s : ending) s.stream->Finish();
}

std::shared_ptr<ChunkStream> LiveStats::Subscribe(std::optional<std::string> tenant) {
  std::lock_guard lock(mu_);
  if (stopping_ || subscribers_.size() >= options_.max_subscribers) return nullptr;
  auto stream = std::make_shared<ChunkStream>(options_.max_unread_bytes);
  // Tells EventSource how soon to reconnect after the stream ends (a fresh stream never waits).
  stream->Push("retry: 2000\n\n");
  subscribers_.push_back({stream, std::move(tenant)});
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  cv_.notify_one();  // a tick thread idle without listeners starts sampling again
  return stream;
}

size_t LiveStats::subscribers() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

std::string LiveStats::Render(const StatsSample& now, const StatsSample& prev,
                              const std::optional<std::string>& tenant) {
  const int64_t dt = now.time_ms - prev.time_ms;
  const Totals t = Sum(now, tenant), before = Sum(prev, tenant);
  json j{{"time_ms", now.time_ms},
         {"connections", t.connections},
         {"messages_in_per_s", PerSecond(t.messages_in, before.messages_in, dt)},
         {"messages_out_per_s", PerSecond(t.messages_out, before.messages_out, dt)},
         {"points_per_s", PerSecond(t.points_written, before.points_written, dt)},
         {"series", t.series},
         {"stored_bytes", t.stored_bytes},
         {"stored_bytes_per_s", PerSecond(t.stored_bytes, before.stored_bytes, dt)},
         {"stored_values", t.sealed_values},
         {"bytes_per_value", nullptr},
         {"databases", t.databases}};
  if (t.sealed_values != 0) {
    j["bytes_per_value"] = static_cast<double>(t.sealed_bytes) / t.sealed_values;
  }
  if (tenant) {
    j["tenant"] = *tenant;
  } else {
    j["disk_bytes"] = now.disk_bytes;  // the WAL and RocksDB's files are no one tenant's
  }
  return "event: stats\ndata: " + j.dump() + "\n\n";
}

void LiveStats::Run() {
  // Nobody listening: no sampling; the first tick after that only takes the sample rates start
  // from.
  std::optional<StatsSample> prev;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (subscribers_.empty()) prev.reset();
    if (prev) {
      cv_.wait_for(lock, options_.interval, [&] { return stopping_; });
    } else {
      cv_.wait(lock, [&] { return stopping_ || !subscribers_.empty(); });
    }
    if (stopping_) break;
    std::vector<Subscriber> listening = subscribers_;
    lock.unlock();
    StatsSample now = options_.sample();
    if (!prev) {
      prev = std::move(now);
      lock.lock();
      continue;
    }
    std::vector<const ChunkStream*> gone;
    for (const Subscriber& s : listening) {
      ChunkStream::TryResult r = s.stream->TryPush(Render(now, *prev, s.tenant));
      if (r == ChunkStream::TryResult::kQueued) continue;
      if (r == ChunkStream::TryResult::kFull) s.stream->Finish();  // too slow: its stream ends
      gone.push_back(s.stream.get());
    }
    prev = std::move(now);
    lock.lock();
    std::erase_if(subscribers_, [&](const Subscriber& s) {
      return std::find(gone.begin(), gone.end(), s.stream.get()) != gone.end();
    });
  }
}

}  // namespace verbund::http
