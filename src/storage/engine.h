// The embedded time-series engine: WAL -> head (open chunks) -> sealed, encrypted chunks in
// RocksDB, with a durable series catalog. Design in doc/architecture.md ("Storage"), formats in
// doc/format/{wal,chunk,catalog}.md.
//
// Thread-safety: every method may be called from any thread concurrently.
// Durability: Write() returns OK only once the WAL holds the batch under the fsync policy
// (kAlways: after fdatasync). Concurrent writers share one fsync (group commit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/status.h"
#include "storage/chunk_codec.h"
#include "storage/types.h"

namespace verbund::keys {
class KeyProvider;
}

namespace verbund::storage {

struct EngineOptions {
  std::string dir;                       // created if missing
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  uint32_t fsync_interval_ms = 100;
  uint64_t head_memory_bytes = 256ull << 20;
  uint32_t chunk_max_points = 1024;
  keys::KeyProvider* keys = nullptr;     // not owned; must outlive the engine; required
  const Clock* clock = nullptr;          // not owned; nullptr = system clock
  bool background_threads = true;        // retention/compaction/sealing in the background
  metrics::Histogram* wal_fsync_seconds = nullptr;  // not owned; WAL fdatasync latency, if set
  bool flush_on_close = true;            // false: closing leaves the head to WAL replay (tests
                                         // use it to model a crash)
  uint64_t chunk_cache_bytes = 128ull << 20;  // decoded-chunk cache for reads; 0 = none

  // Admission of new series (the hub enforces its per-database series quotas here); empty =
  // admit every series. Called when GetOrCreateSeries, GetOrCreateSeriesMany or a Write() naming
  // series by key is about to create `new_series` (>= 1) series of `database` (the keys'
  // `tenant`, an InfluxDB database) that do not exist yet: once per database per call, before
  // any of them is created. Series that exist (also those of a tenant locked at open) are never
  // counted, and opening the engine (WAL replay) never calls it.
  // Not OK: none of those new series is created and each of their results is this status; the
  // call's existing series and other databases' admitted series still resolve. Write() then
  // fails with this status and writes no sample (it may have created other databases' series).
  // Called on the creating thread with series creation serialised (no series is created by
  // anyone between the call and the creation it admits, so the series counts of Usage() stay put
  // while it runs); it may call Usage(), FindSeries() and Stats() but must not create series
  // (that deadlocks). An admitted creation can still fail (a catalog write error); Usage() is
  // the engine's own count.
  std::function<Status(std::string_view database, size_t new_series)> admit_series;
};

// A batch of samples to write atomically (all or nothing in the WAL).
class WriteBatch {
 public:
  void Add(SeriesKey key, TimestampNs ts, Value value);
  // Adds a sample of a series already resolved with Engine::GetOrCreateSeries (the fast path:
  // no key copy, no hashing per sample).
  void Add(SeriesId id, TimestampNs ts, Value value);
  // Moves every sample of `other` behind this batch's, in order; `other` is left empty.
  void Append(WriteBatch&& other);
  void Reserve(size_t n) { entries_.reserve(n); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void Clear() {
    entries_.clear();
    keys_.clear();
  }

  // Samples added by key keep the key aside (most batches have none), so an entry stays small.
  struct Entry {
    TimestampNs ts;
    Value value;
    SeriesId id = 0;   // 0: resolve KeyOf(entry) through the catalog
    uint32_t key = 0;  // index of the key when id == 0
  };
  const std::vector<Entry>& entries() const { return entries_; }
  const SeriesKey& KeyOf(const Entry& e) const { return keys_[e.key]; }

 private:
  std::vector<Entry> entries_;
  std::vector<SeriesKey> keys_;
};

struct SeriesInfo {
  SeriesId id = 0;
  SeriesKey key;
  ValueType type = ValueType::kFloat;
};

enum class ScanOrder { kAscending, kDescending };

// Samples of one series in a time range, columnar.
struct SampleRun {
  std::vector<TimestampNs> ts;
  ValueColumn values;
};

// Partial aggregate of one time bucket; mergeable. Gives count, sum, min, max, mean, first, last,
// spread and stddev (Welford's m2) without holding the values.
struct AggState {
  TimestampNs bucket_start = 0;
  uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
  double first = 0, last = 0;
  TimestampNs first_ts = 0, last_ts = 0;
  double mean = 0, m2 = 0;
};

struct EngineStats {
  uint64_t series = 0;
  uint64_t points_written = 0;
  uint64_t head_bytes = 0;
  uint64_t disk_bytes = 0;       // WAL + chunk store + catalog on disk
  uint64_t wal_fsyncs = 0;
  uint64_t sealed_chunks = 0;      // chunk writes since open (sealing and compaction)
  uint64_t chunks = 0;             // chunks in the chunk store now
  uint64_t chunk_cache_bytes = 0;  // decoded-chunk cache in use
  uint64_t chunk_cache_hits = 0;
  uint64_t chunk_cache_misses = 0;
};

// What one database (tenant) holds, for quotas and the console's figures; see Engine::Usage().
struct DatabaseUsage {
  std::string name;
  uint64_t series = 0;
  // Sealed chunk values as stored in the chunk store, plus the head bytes of samples not sealed
  // yet (the same measure as EngineStats::head_bytes). Not counted: RocksDB's own overhead (keys,
  // index, superseded versions until its compaction), the WAL and the catalog.
  uint64_t stored_bytes = 0;
  // Compression as stored: the sealed chunks' bytes over their values (chunks that could not be
  // opened at open count in neither).
  uint64_t sealed_bytes = 0;
  uint64_t sealed_values = 0;
  uint64_t points_written = 0;  // since open (WAL replay included)
};

class Engine {
 public:
  // Opens (creating if needed) and recovers by replaying the WAL. A torn WAL tail is cut off;
  // damage before the tail is Corruption naming file and offset.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  virtual ~Engine() = default;

  // Durable under the fsync policy when OK. InvalidArgument for a sample whose type differs from
  // the series' type (nothing of the batch is written then). FailedPrecondition if the tenant's
  // key is unavailable (locked).
  virtual Status Write(const WriteBatch& batch) = 0;

  // Write() in two halves, so a writer can prepare its next batch while the WAL syncs this one:
  // StageWrite() validates the batch, makes it readable and queues its WAL record, with
  // Write()'s errors; WaitDurable(token) returns once the WAL holds every batch staged up to
  // that token under the fsync policy (the WAL's error if it failed). Default: Write() at once.
  virtual Result<uint64_t> StageWrite(const WriteBatch& batch) {
    RETURN_IF_ERROR(Write(batch));
    return uint64_t{0};
  }
  virtual Status WaitDurable(uint64_t token) { return Status::OK(); }

  // Returns the id of `key` (normalized by the call), creating the series durably with `type` if
  // it is new. InvalidArgument if it exists with another type. Cache the id and write with
  // WriteBatch::Add(SeriesId, ...) to skip per-sample key resolution.
  virtual Result<SeriesId> GetOrCreateSeries(const SeriesKey& key, ValueType type) {
    return Unimplemented("GetOrCreateSeries");
  }
  // GetOrCreateSeries for many keys at once: out[i] is what GetOrCreateSeries(*keys[i],
  // types[i]) would return, but all the new series are made durable together (one catalog sync
  // instead of one per series). Default: one GetOrCreateSeries call per key.
  virtual std::vector<Result<SeriesId>> GetOrCreateSeriesMany(
      std::span<const SeriesKey* const> keys, std::span<const ValueType> types) {
    std::vector<Result<SeriesId>> out;
    out.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) out.push_back(GetOrCreateSeries(*keys[i], types[i]));
    return out;
  }

  // Catalog.
  virtual std::vector<std::string> Tenants() = 0;
  // Series of a tenant, ascending by id; measurement "" = all measurements.
  virtual std::vector<SeriesInfo> FindSeries(std::string_view tenant,
                                             std::string_view measurement) = 0;
  // A number that changes whenever a series is created: while it is unchanged, FindSeries and
  // Tenants return what they returned before, so callers may cache what they derived from them.
  // nullopt: the engine keeps no such number (callers must not cache).
  virtual std::optional<uint64_t> CatalogVersion() { return std::nullopt; }

  // Samples with from <= ts < to, merged across head and sealed chunks (out-of-order points
  // included, later writes of an equal timestamp winning), at most `limit` (0 = no limit).
  virtual Result<SampleRun> Read(SeriesId id, TimestampNs from, TimestampNs to, ScanOrder order,
                                 size_t limit) = 0;
  // The newest sample (the one a descending Read with limit 1 returns). Kept per series once
  // computed, and maintained by writes and deletes, so repeated calls cost a lookup.
  virtual Result<std::optional<Sample>> Latest(SeriesId id) = 0;
  // Buckets [start, start+interval) aligned to (epoch + offset); only non-empty buckets returned,
  // ascending. interval 0 = one bucket for the whole range. Numeric types only (bool as 0/1).
  virtual Result<std::vector<AggState>> Aggregate(SeriesId id, TimestampNs from, TimestampNs to,
                                                  int64_t interval, int64_t offset) = 0;

  // Deletes samples with from <= ts < to of the given series (empty = every series of tenant).
  virtual Status DeleteRange(std::string_view tenant, std::span<const SeriesId> ids,
                             TimestampNs from, TimestampNs to) = 0;
  // Keeps only the last `duration_ns` of series whose measurement starts with prefix
  // ("" = whole tenant); 0 removes the rule. Durable; enforced in the background.
  virtual Status SetRetention(std::string_view tenant, std::string_view measurement_prefix,
                              int64_t duration_ns) = 0;

  // Seals every open chunk and makes the WAL droppable (for shutdown, tests, benchmarks).
  virtual Status Flush() = 0;
  // Merges small/overlapping chunks and applies retention now.
  virtual Status Compact() = 0;
  virtual EngineStats Stats() = 0;
  // Every database with at least one series, ascending by name, with its series count and
  // stored bytes, exact at the moment of the call (sealing, compaction, deletes and retention
  // included; recomputed from the chunk store's clear headers at open). Not counted: chunks whose
  // clear header is damaged, and of a tenant locked at open, the series not yet found again
  // since it was unlocked and the chunks those series had at open. The engine keeps
  // running totals per database: a call copies them under the engine's lock (a pass over
  // databases, not series; no disk reads), cheap enough to poll every few seconds with a million
  // series. Default: empty (the engine keeps no usage).
  virtual std::vector<DatabaseUsage> Usage() { return {}; }
  // Every file under the data directory (EngineStats::disk_bytes) without the rest of Stats():
  // a walk of the directory, no lock. Default: 0.
  virtual uint64_t DiskBytes() { return 0; }
};

}  // namespace verbund::storage
