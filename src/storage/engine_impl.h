// The engine: WAL -> head -> sealed chunks in RocksDB. See engine.h for the contract and
// doc/format/{wal,catalog,chunk-store}.md for the bytes.
//
// This header holds the EngineImpl class and the in-memory structures its files share (series,
// chunk directory, retention rules). Used only by the engine's own files, engine_*.cc, one
// concern each (README.md lists them).
//
// Locking (always taken in this order):
//   create_mu_  serialises series creation (catalog writes).
//   store_mu_   serialises chunk store mutations: sealing, delete, retention, compaction. Held
//               by the sealer while it seals one buffer; never taken by Write().
//   mu_         the head and the in-memory catalog; held briefly by every call.
// Write() applies a batch to the head and submits its WAL record under mu_, so head order and
// log order agree; it then waits for the WAL outside the lock (group commit).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "keys/key_provider.h"
#include "storage/catalog.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_chunk_cache.h"
#include "storage/head.h"
#include "storage/wal/wal_writer.h"

namespace verbund::storage::internal {

inline constexpr char kMetaNextSeq[] = "next_seq";
inline constexpr char kRetentionPrefix = 'R';
// Compaction merges neighbouring chunks only when they start in the same UTC day, into pieces of
// at most kCompactedChunkFactor x chunk_max_points (a day of 10 s data, 8640 points, is one
// chunk at the default 1024): one chunk per series-day keeps the per-chunk fixed cost (key, seal,
// header) low and chunks small enough that a short read decodes little.
inline constexpr int64_t kCompactionWindowNs = 86'400'000'000'000;
inline constexpr size_t kCompactedChunkFactor = 16;

inline Status Rocks(const rocksdb::Status& s) {
  return FromRocks(static_cast<int>(s.code()), s.ToString());
}

// Floor division: the window (UTC day) a timestamp falls in, also for times before 1970.
inline int64_t CompactionWindow(TimestampNs ts) {
  return ts / kCompactionWindowNs - ((ts % kCompactionWindowNs) < 0 ? 1 : 0);
}

// Hash of a series key in one pass, 8 bytes at a time (std::hash per string costs several
// times more on the keyed write path, which hashes every sample's key).
inline uint64_t MixBytes(uint64_t h, std::string_view s) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w ^ (static_cast<uint64_t>(s.size()) << 56)) * kMul;
  return h ^ (h >> 31);
}

struct SeriesKeyHash {
  size_t operator()(const SeriesKey& k) const {
    uint64_t h = MixBytes(0x51ed270b27d3d5a9ull, k.measurement);
    h = MixBytes(h, k.field);
    h = MixBytes(h, k.tenant);
    for (const auto& [a, b] : k.tags) h = MixBytes(MixBytes(h, a), b);
    return static_cast<size_t>(h);
  }
};

inline bool IsNormalized(const SeriesKey& k) {
  for (size_t i = 1; i < k.tags.size(); ++i) {
    if (!(k.tags[i - 1].first < k.tags[i].first)) return false;
  }
  return true;
}

// One sealed chunk as the in-memory chunk directory knows it (what a read needs to find the chunk
// in the decoded-chunk cache without touching RocksDB).
struct ChunkMeta {
  TimestampNs start = 0;
  uint64_t seq = 0;
  TimestampNs max_ts = 0;
  keys::KeyId key_id = 0;
  uint32_t stored_bytes = 0;  // size of the sealed value in the chunk store (RocksDB: < 4 GiB)
  ChunkCacheKey cache_key;
  uint32_t values = 0;  // samples in the chunk; 0 = not known (it could not be opened at open)
};

// Running totals of one database (tenant) for Usage(), updated under mu_ wherever a series'
// head bytes or chunk directory change, so Usage() costs a pass over databases, not series.
struct TenantUsage {
  uint64_t series = 0;
  uint64_t chunk_bytes = 0;          // stored_bytes over its series' chunk directories
  uint64_t chunk_values = 0;         // values over its series' chunk directories
  uint64_t counted_chunk_bytes = 0;  // stored_bytes of the chunks whose values are known
  uint64_t head_bytes = 0;           // its part of head_bytes_
  uint64_t points_written = 0;       // samples applied since open

  void Add(const ChunkMeta& m) {
    chunk_bytes += m.stored_bytes;
    chunk_values += m.values;
    if (m.values != 0) counted_chunk_bytes += m.stored_bytes;
  }
  void Remove(const ChunkMeta& m) {
    chunk_bytes -= m.stored_bytes;
    chunk_values -= m.values;
    if (m.values != 0) counted_chunk_bytes -= m.stored_bytes;
  }
};

struct Series {
  SeriesInfo info;
  Buffer open;
  Buffer ooo;  // samples older than open.min_ts; sealed as a separate chunk
  std::deque<std::shared_ptr<Buffer>> pending;  // handed to the sealer, oldest first
  // Summary of the sealed chunks (upper bounds; exact after open).
  TimestampNs max_span = 0;  // max over chunks of (max_ts - start)
  TimestampNs chunk_max_ts = kMinTs;
  uint64_t chunks = 0;
  uint32_t small_chunks = 0;  // sealed since the last compaction with < chunk_max_points / 2
  // Chunks sealed (or found at open) overlapping an older chunk of the series since the last
  // compaction: aggregates over them merge points instead of using chunk statistics.
  uint32_t overlapping = 0;
  // Compaction window (UTC day) of the newest chunk sealed in order, and how many chunks it has.
  // When a chunk starts a later window, an earlier one holding several chunks is complete and
  // [compact_from, compact_to) grows to cover it: the background loop compacts that range.
  int64_t seal_window = std::numeric_limits<int64_t>::min();
  uint32_t seal_window_chunks = 0;
  TimestampNs compact_from = kMaxTs, compact_to = kMinTs;
  // Chunk directory: every sealed chunk by (start, seq). Updated after each chunk store write
  // commits. dir_ok false: a chunk could not be listed (damaged clear header); reads then always
  // go to the chunk store, which reports the damage.
  std::vector<ChunkMeta> dir;
  bool dir_ok = true;
  TenantUsage* usage = nullptr;  // its database's totals (EngineImpl::usage_)
  // The newest sample, once Latest() computed it; writes keep it current, deletes drop it.
  bool latest_valid = false;
  std::optional<Sample> latest;
  uint64_t mutations = 0;  // writes and deletes applied; Latest() stores only if unchanged
};

// Counts a chunk starting at `start` into the series' window tracking (see Series::seal_window);
// chunks of an earlier window than the newest one (late data) are left to the small/overlap
// triggers.
inline void TrackChunkWindow(Series* s, TimestampNs start) {
  const int64_t w = CompactionWindow(start);
  if (w < s->seal_window) return;
  if (w > s->seal_window) {
    if (s->seal_window_chunks >= 2) {
      // Saturating: the first and last windows of the int64 range are partial.
      TimestampNs from, to;
      if (__builtin_mul_overflow(s->seal_window, kCompactionWindowNs, &from)) from = kMinTs;
      if (__builtin_add_overflow(from, kCompactionWindowNs, &to)) to = kMaxTs;
      s->compact_from = std::min(s->compact_from, from);
      s->compact_to = std::max(s->compact_to, to);
    }
    s->seal_window = w;
    s->seal_window_chunks = 0;
  }
  ++s->seal_window_chunks;
  // The open window too, each time its chunk count reaches a power of two from 4 on: data of an
  // active series would otherwise stay in sealing-size chunks (~12 % more bytes per value at
  // 1024 points than at 4096) until its day ends. Each sample is rewritten O(log) times.
  const uint32_t n = s->seal_window_chunks;
  if (n >= 4 && (n & (n - 1)) == 0) {
    TimestampNs from, to;
    if (__builtin_mul_overflow(w, kCompactionWindowNs, &from)) from = kMinTs;
    if (__builtin_add_overflow(from, kCompactionWindowNs, &to)) to = kMaxTs;
    s->compact_from = std::min(s->compact_from, from);
    s->compact_to = std::max(s->compact_to, to);
  }
}

struct RetentionRule {
  std::string tenant;
  std::string prefix;
  int64_t duration_ns = 0;
};

struct ChunkRef {
  ChunkKeyParts key;
  TimestampNs max_ts = 0;
  keys::KeyId key_id = 0;
  std::optional<ChunkCacheKey> cache_key;
  std::shared_ptr<const CachedChunk> cached;  // set: `value` may not be loaded
  std::string value;
  const rocksdb::Snapshot* snap = nullptr;  // where to load `value` if it is needed
};

// Opened chunks are shared with the cache; reads take pointers into them.
using ChunkPtr = std::shared_ptr<const CachedChunk>;

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& o)
      : options_(o),
        clock_(o.clock ? o.clock : SystemClock::Default()),
        keys_(o.keys),
        chunk_cache_(o.chunk_cache_bytes) {}
  ~EngineImpl() override;

  Status OpenAll();

  Status Write(const WriteBatch& batch) override;
  Result<uint64_t> StageWrite(const WriteBatch& batch) override;
  Status WaitDurable(uint64_t token) override;
  Result<SeriesId> GetOrCreateSeries(const SeriesKey& key, ValueType type) override;
  std::vector<Result<SeriesId>> GetOrCreateSeriesMany(std::span<const SeriesKey* const> keys,
                                                      std::span<const ValueType> types) override;
  std::vector<std::string> Tenants() override;
  std::vector<SeriesInfo> FindSeries(std::string_view tenant,
                                     std::string_view measurement) override;
  std::optional<uint64_t> CatalogVersion() override {
    return catalog_version_.load(std::memory_order_acquire);
  }
  Result<SampleRun> Read(SeriesId id, TimestampNs from, TimestampNs to, ScanOrder order,
                         size_t limit) override;
  Result<std::optional<Sample>> Latest(SeriesId id) override;
  Result<std::vector<AggState>> Aggregate(SeriesId id, TimestampNs from, TimestampNs to,
                                          int64_t interval, int64_t offset) override;
  Status DeleteRange(std::string_view tenant, std::span<const SeriesId> ids, TimestampNs from,
                     TimestampNs to) override;
  Status SetRetention(std::string_view tenant, std::string_view measurement_prefix,
                      int64_t duration_ns) override;
  Status Flush() override;
  Status Compact() override;
  EngineStats Stats() override;
  std::vector<DatabaseUsage> Usage() override;
  uint64_t DiskBytes() override;

 private:
  // --- catalog / resolution
  // The series of each key, creating the missing ones with their types[i] once
  // options_.admit_series admitted them; out[i] is keys[i]'s series or why it has none.
  std::vector<Result<Series*>> ResolveMissing(std::span<const SeriesKey* const> keys,
                                              std::span<const ValueType> types);
  Series* InsertSeriesLocked(SeriesInfo info);         // requires mu_
  uint32_t TenantNoLocked(const std::string& tenant);  // requires mu_

  // --- head
  void ApplyLocked(Series* s, TimestampNs ts, const Value& v, uint64_t segment);  // requires mu_
  void HandOffLocked(Series* s);                    // requires mu_: open and ooo -> pending
  void HandOffAllLocked();                          // requires mu_
  uint64_t MinLiveSegmentLocked(uint64_t current);  // requires mu_

  // --- sealing and the chunk store
  bool SealOne();  // seals the oldest pending buffers; false if none or one failed
  void DrainSealQueue();
  // Appends the sealed pieces to *wb and their directory entries to *added.
  Status WriteChunks(Series* s, const SampleRun& run, uint64_t seq, rocksdb::WriteBatch* wb,
                     size_t max_points, std::vector<ChunkMeta>* added);
  // Applies a committed chunk store change to the directory. Requires mu_.
  static void UpdateDirLocked(Series* s, const std::vector<ChunkKeyParts>& removed,
                              std::vector<ChunkMeta> added);
  // use_cache: answer from (and fill) the decoded-chunk cache; reads do, mutations do not.
  Status LoadChunkRefs(SeriesId id, TimestampNs from, TimestampNs to, TimestampNs max_span,
                       const rocksdb::Snapshot* snap, bool use_cache, std::vector<ChunkRef>* out);
  Result<ChunkPtr> DecodeRef(const ChunkRef& ref, ValueType type, bool header_only,
                             bool use_cache = true);
  // Writes a batch that removes and adds chunks of `s`, and updates the directory with it.
  Status CommitChunkChange(Series* s, rocksdb::WriteBatch* wb,
                           const std::vector<ChunkKeyParts>& removed, std::vector<ChunkMeta> added);
  Status DeleteChunksLocked(Series* s, TimestampNs from, TimestampNs to);  // requires store_mu_
  // Merges the series' overlapping chunks and neighbours within one window, among the chunks
  // meeting [from, to).
  Status CompactSeriesLocked(Series* s, TimestampNs from = kMinTs,
                             TimestampNs to = kMaxTs);  // requires store_mu_
  Status ApplyDelete(const std::vector<Series*>& series, TimestampNs from, TimestampNs to);
  Status ApplyRetention();
  Status Checkpoint();
  Status LoadChunkSummaries();
  Status LoadRetention();
  Status Replay();

  // --- reads
  struct View {
    ValueType type = ValueType::kFloat;
    TimestampNs max_span = 0;
    SampleRun head;  // merged head samples in range
    const rocksdb::Snapshot* snap = nullptr;
    bool dir_ok = false;
    std::vector<ChunkMeta> dir;  // directory entries that may hold samples in range
  };
  // The chunks of a view in [from, to), in (start, seq) order: from the directory and the
  // decoded-chunk cache when every one is cached, else from the chunk store at v.snap.
  Status ViewChunks(SeriesId id, TimestampNs from, TimestampNs to, const View& v,
                    std::vector<ChunkRef>* out);
  Result<View> TakeView(SeriesId id, TimestampNs from, TimestampNs to);
  Result<SampleRun> ReadMerged(SeriesId id, TimestampNs from, TimestampNs to);

  void SealerLoop();
  void BackgroundLoop();
  Status failed() {
    std::lock_guard lock(mu_);
    return failed_;
  }

  const EngineOptions options_;
  const Clock* const clock_;
  keys::KeyProvider* const keys_;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* catalog_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<wal::WalWriter> wal_;
  std::string wal_dir_;

  std::mutex create_mu_;
  std::mutex store_mu_;
  uint64_t next_seq_ = 1;  // guarded by store_mu_

  std::mutex mu_;
  std::condition_variable seal_cv_;   // work for the sealer
  std::condition_variable space_cv_;  // pending bytes dropped
  std::unordered_map<SeriesId, std::unique_ptr<Series>> series_;
  std::unordered_map<SeriesKey, Series*, SeriesKeyHash> by_key_;
  // tenant -> measurement -> series, ascending by id (the catalog's measurement index).
  std::map<std::string, std::map<std::string, std::vector<Series*>, std::less<>>, std::less<>>
      by_measurement_;
  std::atomic<uint64_t> catalog_version_{0};  // bumped under mu_ by every series insertion
  ChunkCache chunk_cache_;
  std::vector<std::string> tenant_names_;
  std::deque<std::pair<Series*, std::shared_ptr<Buffer>>> seal_queue_;
  uint64_t head_bytes_ = 0;     // all buffers, pending included
  uint64_t pending_bytes_ = 0;  // handed to the sealer
  // Per database, by name; map nodes never move, so Series::usage may point at them.
  std::map<std::string, TenantUsage, std::less<>> usage_;
  std::vector<RetentionRule> retention_;
  Status failed_;  // sticky WAL failure
  Status seal_error_;
  bool stop_ = false;
  bool replaying_ = false;

  std::atomic<uint64_t> points_written_{0};
  std::atomic<uint64_t> sealed_chunks_{0};
  std::atomic<uint64_t> wal_bytes_at_checkpoint_{0};

  std::thread sealer_;
  std::thread background_;
};

}  // namespace verbund::storage::internal
