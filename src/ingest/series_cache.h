// Series ids by a compact name, shared by every write path (MQTT ingest, HTTP /write), so a
// steady stream of readings resolves no series keys in the engine: a hit costs one hash lookup
// in one of 64 shards; a miss builds the SeriesKey and asks Engine::GetOrCreateSeries (which
// also checks the value type). Ids are stable for the life of the data directory.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "storage/engine.h"

namespace verbund::ingest {

class SeriesIdCache {
 public:
  // `engine` is not owned and must outlive the cache.
  explicit SeriesIdCache(storage::Engine* engine, size_t max_entries = 4'000'000)
      : engine_(engine), max_per_shard_(max_entries / kShards + 1) {}

  // `name` must identify the series key and `type` uniquely (callers encode tenant,
  // measurement, tags and field with separators that cannot occur inside them, e.g. '\0').
  // `make_key` builds the key on a miss. InvalidArgument when the series exists with another type.
  template <typename MakeKey>
  Result<storage::SeriesId> Resolve(std::string_view name, storage::ValueType type,
                                    MakeKey&& make_key) {
    if (std::optional<storage::SeriesId> id = Find(name, type)) return *id;
    storage::SeriesKey key = make_key();
    ASSIGN_OR_RETURN(storage::SeriesId id, engine_->GetOrCreateSeries(key, type));
    Insert(name, type, id);
    return id;
  }

  // The cached id of `name` and `type`, without asking the engine.
  std::optional<storage::SeriesId> Find(std::string_view name, storage::ValueType type) {
    Shard& shard = ShardOf(name);
    const std::string& k = Scratch(name, type);
    std::lock_guard lock(shard.mu);
    auto it = shard.ids.find(k);
    if (it == shard.ids.end()) return std::nullopt;
    return it->second;
  }

  // Remembers an id the caller resolved through the engine (Engine::GetOrCreateSeriesMany).
  void Insert(std::string_view name, storage::ValueType type, storage::SeriesId id) {
    Shard& shard = ShardOf(name);
    const std::string& k = Scratch(name, type);
    std::lock_guard lock(shard.mu);
    if (shard.ids.size() >= max_per_shard_) shard.ids.clear();  // bounded memory
    shard.ids.emplace(k, id);
  }

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, storage::SeriesId> ids;  // GUARDED_BY(mu)
  };

  Shard& ShardOf(std::string_view name) {
    return shards_[std::hash<std::string_view>{}(name) % kShards];
  }
  // name + type as the map key, in a per-thread buffer (valid until the thread's next call).
  static const std::string& Scratch(std::string_view name, storage::ValueType type) {
    thread_local std::string scratch;
    scratch.assign(name);
    scratch.push_back(static_cast<char>(type));
    return scratch;
  }

  storage::Engine* engine_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace verbund::ingest
