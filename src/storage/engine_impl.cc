// The engine: WAL -> head -> sealed chunks in RocksDB. See engine.h for the contract and
// doc/format/{wal,catalog,chunk-store}.md for the bytes.
//
// Locking (always taken in this order):
//   create_mu_  serialises series creation (catalog writes).
//   store_mu_   serialises chunk store mutations: sealing, delete, retention, compaction. Held
//               by the sealer while it seals one buffer; never taken by Write().
//   mu_         the head and the in-memory catalog; held briefly by every call.
// Write() applies a batch to the head and submits its WAL record under mu_, so head order and
// log order agree; it then waits for the WAL outside the lock (group commit).

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/coding.h"
#include "keys/key_provider.h"
#include "storage/catalog.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_chunk_cache.h"
#include "storage/head.h"
#include "storage/wal/batch_codec.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_record.h"
#include "storage/wal/wal_writer.h"

namespace verbund::storage {

void WriteBatch::Add(SeriesKey key, TimestampNs ts, Value value) {
  entries_.push_back({ts, std::move(value), 0, static_cast<uint32_t>(keys_.size())});
  keys_.push_back(std::move(key));
}

void WriteBatch::Add(SeriesId id, TimestampNs ts, Value value) {
  entries_.push_back({ts, std::move(value), id, 0});
}

void WriteBatch::Append(WriteBatch&& other) {
  const auto key_base = static_cast<uint32_t>(keys_.size());
  entries_.reserve(entries_.size() + other.entries_.size());
  for (Entry& e : other.entries_) {
    if (e.id == 0) e.key += key_base;
    entries_.push_back(std::move(e));
  }
  for (SeriesKey& k : other.keys_) keys_.push_back(std::move(k));
  other.Clear();
}

namespace {

constexpr char kMetaNextSeq[] = "next_seq";
constexpr char kRetentionPrefix = 'R';
constexpr uint64_t kCheckpointWalBytes = 256ull << 20;
constexpr uint32_t kCompactAfterSmallChunks = 4;
// The background loop compacts the catalog once this many groups were added since the last time.
constexpr uint64_t kCatalogCompactAfterRecords = 64;
// Compaction merges neighbouring chunks only when they start in the same UTC day, into pieces of
// at most kCompactedChunkFactor x chunk_max_points (a day of 10 s data, 8640 points, is one
// chunk at the default 1024): one chunk per series-day keeps the per-chunk fixed cost (key, seal,
// header) low and chunks small enough that a short read decodes little.
constexpr int64_t kCompactionWindowNs = 86'400'000'000'000;
constexpr size_t kCompactedChunkFactor = 16;
constexpr auto kCompactionPeriod = std::chrono::seconds(2);
constexpr auto kRetentionPeriod = std::chrono::seconds(10);

Status Rocks(const rocksdb::Status& s) {
  return FromRocks(static_cast<int>(s.code()), s.ToString());
}

// Floor division: the window (UTC day) a timestamp falls in, also for times before 1970.
int64_t CompactionWindow(TimestampNs ts) {
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

bool IsNormalized(const SeriesKey& k) {
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
  ChunkCacheKey cache_key;
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
  // The newest sample, once Latest() computed it; writes keep it current, deletes drop it.
  bool latest_valid = false;
  std::optional<Sample> latest;
  uint64_t mutations = 0;  // writes and deletes applied; Latest() stores only if unchanged
};

// Counts a chunk starting at `start` into the series' window tracking (see Series::seal_window);
// chunks of an earlier window than the newest one (late data) are left to the small/overlap
// triggers.
void TrackChunkWindow(Series* s, TimestampNs start) {
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

 private:
  // --- catalog / resolution
  Result<std::vector<Series*>> ResolveMissing(std::span<const SeriesKey* const> keys,
                                              std::span<const ValueType> types);
  Series* InsertSeriesLocked(SeriesInfo info);  // requires mu_
  uint32_t TenantNoLocked(const std::string& tenant);  // requires mu_

  // --- head
  void ApplyLocked(Series* s, TimestampNs ts, const Value& v, uint64_t segment);  // requires mu_
  void HandOffLocked(Series* s);  // requires mu_: open and ooo -> pending
  void HandOffAllLocked();        // requires mu_
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
  std::vector<RetentionRule> retention_;
  Status failed_;               // sticky WAL failure
  Status seal_error_;
  bool stop_ = false;
  bool replaying_ = false;

  std::atomic<uint64_t> points_written_{0};
  std::atomic<uint64_t> sealed_chunks_{0};
  std::atomic<uint64_t> wal_bytes_at_checkpoint_{0};

  std::thread sealer_;
  std::thread background_;
};

// ---------------------------------------------------------------------------------------------
// Open, close, recovery

Status EngineImpl::OpenAll() {
  if (keys_ == nullptr) return InvalidArgument("EngineOptions.keys is required");
  if (options_.dir.empty()) return InvalidArgument("EngineOptions.dir is required");
  if (options_.chunk_max_points == 0) return InvalidArgument("chunk_max_points must be > 0");
  std::error_code ec;
  wal_dir_ = options_.dir + "/wal";
  std::filesystem::create_directories(wal_dir_, ec);
  if (ec) return IOError("create " + wal_dir_ + ": " + ec.message());

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.keep_log_file_num = 2;
  dbo.max_manifest_file_size = 16 << 20;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  dbo.max_background_jobs = 2;
  rocksdb::ColumnFamilyOptions plain;  // sealed values do not compress
  plain.compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 64 << 10;
  plain.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  plain.write_buffer_size = 32 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"catalog", plain},
      {"chunks", plain},
      {"meta", plain},
  };
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(Rocks(rocksdb::DB::Open(dbo, options_.dir + "/db", cfs, &handles_, &raw)));
  db_.reset(raw);
  catalog_cf_ = handles_[1];
  chunks_cf_ = handles_[2];
  meta_cf_ = handles_[3];

  std::string v;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), meta_cf_, kMetaNextSeq, &v);
  if (rs.ok() && v.size() == 8) next_seq_ = DecodeFixed64(v.data());
  else if (!rs.ok() && !rs.IsNotFound()) return Rocks(rs);

  catalog_ = std::make_unique<Catalog>(db_.get(), catalog_cf_, meta_cf_, keys_);
  RETURN_IF_ERROR(catalog_->Init());
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(catalog_->LoadAll([this](SeriesInfo info) { InsertSeriesLocked(std::move(info)); }));
  }
  RETURN_IF_ERROR(LoadChunkSummaries());
  RETURN_IF_ERROR(LoadRetention());
  RETURN_IF_ERROR(Replay());

  if (options_.background_threads) {
    sealer_ = std::thread([this] { SealerLoop(); });
    background_ = std::thread([this] { BackgroundLoop(); });
  }
  return Status::OK();
}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  seal_cv_.notify_all();
  space_cv_.notify_all();
  if (sealer_.joinable()) sealer_.join();
  if (background_.joinable()) background_.join();
  if (wal_ != nullptr && options_.flush_on_close && failed().ok() && Flush().ok()) {
    // Write RocksDB's memtables out too: chunk versions superseded by compaction or deletes are
    // dropped instead of staying in RocksDB's log (disk use after a clean stop is the live data),
    // and the next open has no RocksDB log to replay.
    (void)db_->Flush(rocksdb::FlushOptions(), handles_);
  }
  wal_.reset();
  if (db_ != nullptr) {
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
  }
}

Status EngineImpl::LoadChunkSummaries() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  std::lock_guard lock(mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ChunkKeyParts k;
    ChunkValueHeader h;
    if (!ParseChunkKey(it->key().ToStringView(), &k)) return Corruption("chunk store: bad key");
    auto s = series_.find(k.id);
    if (s == series_.end()) continue;  // series of a locked tenant
    Series& ser = *s->second;
    // A damaged header is reported by the reads that touch the chunk, not here.
    std::optional<ChunkCacheKey> ck = MakeChunkCacheKey(k, it->value().ToStringView());
    if (!ParseChunkValueHeader(it->value().ToStringView(), &h).ok() || !ck) {
      ser.dir_ok = false;
      continue;
    }
    ser.dir.push_back(ChunkMeta{k.start, k.seq, h.max_ts, h.key_id, *ck});
    // Keys come in (start, seq) order per series: a start at or before the newest end so far
    // overlaps an earlier chunk; a window left with several chunks is due for compaction.
    if (ser.chunks > 0 && k.start <= ser.chunk_max_ts) ++ser.overlapping;
    TrackChunkWindow(&ser, k.start);
    ser.max_span = std::max(ser.max_span, h.max_ts - k.start);
    ser.chunk_max_ts = std::max(ser.chunk_max_ts, h.max_ts);
    ++ser.chunks;
  }
  return Rocks(it->status());
}

Status EngineImpl::LoadRetention() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(std::string(1, kRetentionPrefix)); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.empty() || k[0] != kRetentionPrefix) break;
    ASSIGN_OR_RETURN(std::string plain, catalog_->OpenSystem(k, it->value().ToStringView()));
    std::string_view in(plain), tenant, prefix;
    uint64_t d = 0;
    if (!GetLengthPrefixed(&in, &tenant) || !GetLengthPrefixed(&in, &prefix) ||
        !GetVarint64(&in, &d)) {
      return Corruption("bad retention rule");
    }
    std::lock_guard lock(mu_);
    retention_.push_back({std::string(tenant), std::string(prefix), static_cast<int64_t>(d)});
  }
  return Rocks(it->status());
}

Status EngineImpl::Replay() {
  replaying_ = true;
  std::vector<wal::DecodedEntry> parts;
  std::string plain;
  auto open_payload = [&](const wal::Record& r) -> Status {
    if (r.payload.size() < 4) return Corruption("sealed payload too short");
    const keys::KeyId key_id = DecodeFixed32(r.payload.data());
    ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
    return keys::Aead::OpenTo(key, wal::SealedAad(r.type, key_id), r.payload.substr(4), &plain);
  };
  auto fn = [&](uint64_t segment, uint64_t, const wal::Record& r) -> Status {
    RETURN_IF_ERROR(open_payload(r));
    if (r.type == wal::RecordType::kDeleteRange) {
      ASSIGN_OR_RETURN(wal::DeleteRecord d, wal::DecodeDelete(plain));
      std::vector<Series*> ss;
      {
        std::lock_guard lock(mu_);
        for (SeriesId id : d.ids) {
          auto it = series_.find(id);
          if (it != series_.end()) ss.push_back(it->second.get());
        }
      }
      return ApplyDelete(ss, d.from, d.to);
    }
    ASSIGN_OR_RETURN(std::vector<wal::DecodedEntry> entries, wal::DecodeBatch(plain));
    for (auto& e : entries) parts.push_back(std::move(e));
    if (r.type == wal::RecordType::kBatchPart) return Status::OK();
    {
      std::lock_guard lock(mu_);
      for (const auto& e : parts) {
        auto it = series_.find(e.id);
        if (it == series_.end()) {
          return Corruption("record names unknown series id " + std::to_string(e.id));
        }
        if (it->second->info.type != TypeOf(e.value)) {
          return Corruption("record value type differs from series type");
        }
        ApplyLocked(it->second.get(), e.ts, e.value, segment);
      }
      if (head_bytes_ - pending_bytes_ > options_.head_memory_bytes) HandOffAllLocked();
    }
    parts.clear();
    DrainSealQueue();
    return Status::OK();
  };
  ASSIGN_OR_RETURN(wal::ReplayResult rr, wal::ReplayWal(wal_dir_, fn));
  replaying_ = false;
  wal::WalWriterOptions wo;
  wo.dir = wal_dir_;
  wo.fsync = options_.fsync;
  wo.fsync_interval_ms = options_.fsync_interval_ms;
  wo.clock = SystemClock::Default();  // intervals are real time even under a fake clock
  wo.fsync_seconds = options_.wal_fsync_seconds;
  ASSIGN_OR_RETURN(wal_, wal::WalWriter::Open(wo, rr.last_segment + 1));
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// Catalog

uint32_t EngineImpl::TenantNoLocked(const std::string& tenant) {
  for (uint32_t i = 0; i < tenant_names_.size(); ++i) {
    if (tenant_names_[i] == tenant) return i;
  }
  tenant_names_.push_back(tenant);
  return static_cast<uint32_t>(tenant_names_.size() - 1);
}

Series* EngineImpl::InsertSeriesLocked(SeriesInfo info) {
  auto s = std::make_unique<Series>();
  s->info = std::move(info);
  s->open.values = EmptyColumn(s->info.type);
  s->ooo.values = EmptyColumn(s->info.type);
  TenantNoLocked(s->info.key.tenant);
  Series* p = s.get();
  by_key_[p->info.key] = p;
  auto& list = by_measurement_[p->info.key.tenant][p->info.key.measurement];
  list.insert(
      std::upper_bound(list.begin(), list.end(), p,
                       [](const Series* a, const Series* b) { return a->info.id < b->info.id; }),
      p);
  series_[p->info.id] = std::move(s);
  catalog_version_.fetch_add(1, std::memory_order_acq_rel);
  return p;
}

Result<std::vector<Series*>> EngineImpl::ResolveMissing(std::span<const SeriesKey* const> ks,
                                                        std::span<const ValueType> types) {
  std::lock_guard create(create_mu_);
  std::vector<Series*> out(ks.size(), nullptr);
  std::vector<SeriesInfo> fresh;
  std::vector<size_t> fresh_of;  // index in `fresh` for each key, or SIZE_MAX
  fresh_of.assign(ks.size(), SIZE_MAX);
  std::unordered_map<SeriesKey, size_t, SeriesKeyHash> fresh_index;
  for (size_t i = 0; i < ks.size(); ++i) {
    SeriesKey key = *ks[i];
    if (!IsNormalized(key)) key.Normalize();
    {
      std::lock_guard lock(mu_);
      if (auto it = by_key_.find(key); it != by_key_.end()) {
        out[i] = it->second;
        continue;
      }
    }
    if (auto it = fresh_index.find(key); it != fresh_index.end()) {
      fresh_of[i] = it->second;
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<SeriesInfo> found, catalog_->Find(key));
    if (found) {
      std::lock_guard lock(mu_);
      out[i] = InsertSeriesLocked(std::move(*found));
      continue;
    }
    fresh_index[key] = fresh.size();
    fresh_of[i] = fresh.size();
    fresh.push_back(SeriesInfo{0, std::move(key), types[i]});
  }
  if (!fresh.empty()) {
    RETURN_IF_ERROR(catalog_->Add(&fresh));
    std::vector<Series*> created;
    std::lock_guard lock(mu_);
    for (auto& info : fresh) created.push_back(InsertSeriesLocked(std::move(info)));
    for (size_t i = 0; i < ks.size(); ++i) {
      if (fresh_of[i] != SIZE_MAX) out[i] = created[fresh_of[i]];
    }
  }
  return out;
}

Result<SeriesId> EngineImpl::GetOrCreateSeries(const SeriesKey& key, ValueType type) {
  const SeriesKey* k = &key;
  return std::move(GetOrCreateSeriesMany({&k, 1}, {&type, 1})[0]);
}

std::vector<Result<SeriesId>> EngineImpl::GetOrCreateSeriesMany(
    std::span<const SeriesKey* const> keys, std::span<const ValueType> types) {
  std::vector<Result<SeriesId>> out;
  out.reserve(keys.size());
  Result<std::vector<Series*>> s = ResolveMissing(keys, types);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!s.ok()) {
      out.push_back(s.status());
    } else if ((*s)[i]->info.type != types[i]) {
      out.push_back(InvalidArgument("series exists with another value type"));
    } else {
      out.push_back((*s)[i]->info.id);
    }
  }
  return out;
}

std::vector<std::string> EngineImpl::Tenants() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [tenant, ms] : by_measurement_) out.push_back(tenant);
  return out;
}

std::vector<SeriesInfo> EngineImpl::FindSeries(std::string_view tenant,
                                               std::string_view measurement) {
  std::lock_guard lock(mu_);
  std::vector<SeriesInfo> out;
  auto t = by_measurement_.find(tenant);
  if (t == by_measurement_.end()) return out;
  if (!measurement.empty()) {
    auto m = t->second.find(measurement);
    if (m == t->second.end()) return out;
    out.reserve(m->second.size());
    for (const Series* s : m->second) out.push_back(s->info);
    return out;
  }
  for (const auto& [name, list] : t->second) {
    for (const Series* s : list) out.push_back(s->info);
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesInfo& a, const SeriesInfo& b) { return a.id < b.id; });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Write path

void EngineImpl::ApplyLocked(Series* s, TimestampNs ts, const Value& v, uint64_t segment) {
  ++s->mutations;
  // Equal timestamps: the later write wins, as in every merge.
  if (s->latest_valid && (!s->latest || ts >= s->latest->ts)) s->latest = Sample{ts, v};
  Buffer* b = (s->open.empty() || ts >= s->open.min_ts) ? &s->open : &s->ooo;
  if (b->empty()) b->first_segment = segment;
  const uint64_t before = b->bytes;
  b->Append(ts, v);
  head_bytes_ += b->bytes - before;
  if (b->size() >= options_.chunk_max_points) HandOffLocked(s);
}

void EngineImpl::HandOffLocked(Series* s) {
  // ooo first: both are disjoint in time, and a later generation must seal after both.
  for (Buffer* b : {&s->ooo, &s->open}) {
    if (b->empty()) continue;
    auto p = std::make_shared<Buffer>(std::move(*b));
    *b = Buffer();
    b->values = EmptyColumn(s->info.type);
    pending_bytes_ += p->bytes;
    s->pending.push_back(p);
    seal_queue_.emplace_back(s, std::move(p));
  }
  seal_cv_.notify_one();
}

void EngineImpl::HandOffAllLocked() {
  for (auto& [id, s] : series_) HandOffLocked(s.get());
}

Status EngineImpl::Write(const WriteBatch& batch) {
  ASSIGN_OR_RETURN(uint64_t token, StageWrite(batch));
  return WaitDurable(token);
}

Status EngineImpl::WaitDurable(uint64_t token) {
  if (token == 0) return Status::OK();
  Status s = wal_->Wait(token);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    if (failed_.ok()) failed_ = s;
  }
  return s;
}

Result<uint64_t> EngineImpl::StageWrite(const WriteBatch& batch) {
  if (batch.empty()) return uint64_t{0};
  RETURN_IF_ERROR(failed());
  const auto& entries = batch.entries();
  const size_t n = entries.size();
  std::vector<Series*> ser(n, nullptr);
  std::vector<const SeriesKey*> missing_keys;
  std::vector<ValueType> missing_types;
  std::vector<size_t> missing_at;
  {
    std::lock_guard lock(mu_);
    const SeriesKey* last_key = nullptr;
    Series* last = nullptr;
    for (size_t i = 0; i < n; ++i) {
      const auto& e = entries[i];
      if (e.id != 0) {
        auto it = series_.find(e.id);
        if (it == series_.end()) return InvalidArgument("unknown series id " + std::to_string(e.id));
        ser[i] = it->second.get();
        continue;
      }
      // Runs of samples of one series: compare field first (it is what usually differs).
      const SeriesKey& key = batch.KeyOf(e);
      if (last != nullptr && last_key->field == key.field && *last_key == key) {
        ser[i] = last;
        continue;
      }
      auto it = IsNormalized(key) ? by_key_.find(key) : by_key_.end();
      if (it == by_key_.end()) {
        missing_keys.push_back(&key);
        missing_types.push_back(TypeOf(e.value));
        missing_at.push_back(i);
        continue;
      }
      ser[i] = last = it->second;
      last_key = &key;
    }
  }
  if (!missing_keys.empty()) {
    ASSIGN_OR_RETURN(std::vector<Series*> found, ResolveMissing(missing_keys, missing_types));
    for (size_t j = 0; j < found.size(); ++j) ser[missing_at[j]] = found[j];
  }
  for (size_t i = 0; i < n; ++i) {
    if (ser[i]->info.type != TypeOf(entries[i].value)) {
      return InvalidArgument("sample type differs from the type of series " +
                             std::to_string(ser[i]->info.id));
    }
  }

  // One sealed record per tenant in the batch; all but the last are kBatchPart.
  struct Group {
    const std::string* tenant;
    wal::BatchEncoder enc;
  };
  std::vector<Group> groups;
  groups.push_back({&ser[0]->info.key.tenant, wal::BatchEncoder(n)});
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = ser[i]->info.key.tenant;
    Group* g = &groups.back();
    if (*g->tenant != t) {
      g = nullptr;
      for (auto& x : groups) {
        if (*x.tenant == t) g = &x;
      }
      if (g == nullptr) {
        groups.push_back({&t, wal::BatchEncoder(16)});
        g = &groups.back();
      }
    }
    g->enc.Add(ser[i]->info.id, entries[i].ts, entries[i].value);
  }
  std::vector<std::string> framed(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto type = g + 1 == groups.size() ? wal::RecordType::kBatch : wal::RecordType::kBatchPart;
    ASSIGN_OR_RETURN(keys::KeyId key_id, keys_->ActiveKeyId(*groups[g].tenant));
    ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
    std::string payload;
    PutFixed32(&payload, key_id);
    RETURN_IF_ERROR(
        keys::Aead::SealTo(key, wal::SealedAad(type, key_id), groups[g].enc.Finish(), &payload));
    framed[g].reserve(payload.size() + wal::kRecordHeaderBytes);
    wal::AppendRecord(&framed[g], type, payload);
  }

  wal::WalWriter::Ticket ticket = 0;
  {
    std::unique_lock lock(mu_);
    space_cv_.wait(lock, [&] {
      return stop_ || !options_.background_threads || pending_bytes_ <= options_.head_memory_bytes;
    });
    RETURN_IF_ERROR(failed_);
    // Queue the record first, so the WAL thread writes and syncs it while the head takes the
    // samples; both happen under mu_, so head order is still log order.
    const uint64_t segment = wal_->current_segment();
    for (auto& f : framed) ticket = wal_->Submit(std::move(f));
    for (size_t i = 0; i < n; ++i) ApplyLocked(ser[i], entries[i].ts, entries[i].value, segment);
    if (head_bytes_ - pending_bytes_ > options_.head_memory_bytes) HandOffAllLocked();
  }
  points_written_.fetch_add(n, std::memory_order_relaxed);
  if (!options_.background_threads) DrainSealQueue();
  return uint64_t{ticket};
}

// ---------------------------------------------------------------------------------------------
// Sealing

void EngineImpl::UpdateDirLocked(Series* s, const std::vector<ChunkKeyParts>& removed,
                                 std::vector<ChunkMeta> added) {
  if (!removed.empty()) {
    std::erase_if(s->dir, [&](const ChunkMeta& m) {
      for (const auto& r : removed) {
        if (r.start == m.start && r.seq == m.seq) return true;
      }
      return false;
    });
  }
  for (ChunkMeta& m : added) {
    // A rewritten piece may take the slot (start, seq) of a removed chunk: replace it.
    auto at = std::lower_bound(s->dir.begin(), s->dir.end(), m,
                               [](const ChunkMeta& a, const ChunkMeta& b) {
                                 return a.start != b.start ? a.start < b.start : a.seq < b.seq;
                               });
    if (at != s->dir.end() && at->start == m.start && at->seq == m.seq) {
      *at = std::move(m);
    } else {
      s->dir.insert(at, std::move(m));
    }
  }
}

Status EngineImpl::WriteChunks(Series* s, const SampleRun& run, uint64_t seq,
                               rocksdb::WriteBatch* wb, size_t max_points,
                               std::vector<ChunkMeta>* added) {
  const size_t n = run.ts.size();
  if (n == 0) return Status::OK();
  ASSIGN_OR_RETURN(keys::KeyId key_id, keys_->ActiveKeyId(s->info.key.tenant));
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
  // Equal-size pieces of at most max_points.
  const size_t pieces = (n + max_points - 1) / max_points;
  std::string value;
  for (size_t p = 0; p < pieces; ++p) {
    const size_t b = n * p / pieces, e = n * (p + 1) / pieces;
    SampleRun piece = (b == 0 && e == n) ? SampleRun{} : SliceRun(run, b, e);
    const SampleRun& r = (b == 0 && e == n) ? run : piece;
    const std::string encoded = EncodeChunk(r.ts, r.values);
    double m2 = 0;
    bool nan = false;
    ColumnMoments(r.values, &m2, &nan);
    ChunkKeyParts k{s->info.id, r.ts.front(), seq};
    RETURN_IF_ERROR(SealChunkValue(key, key_id, k, r.ts.back(), nan ? kChunkFlagHasNaN : 0, m2,
                                   encoded, &value));
    RETURN_IF_ERROR(Rocks(wb->Put(chunks_cf_, ChunkKey(k.id, k.start, k.seq), value)));
    std::optional<ChunkCacheKey> ck = MakeChunkCacheKey(k, value);
    if (!ck) return Internal("sealed chunk value too short");
    added->push_back(ChunkMeta{k.start, k.seq, r.ts.back(), key_id, *ck});
    std::lock_guard lock(mu_);
    s->max_span = std::max(s->max_span, r.ts.back() - r.ts.front());
    s->chunk_max_ts = std::max(s->chunk_max_ts, r.ts.back());
    ++s->chunks;
  }
  sealed_chunks_.fetch_add(pieces, std::memory_order_relaxed);
  return Status::OK();
}

bool EngineImpl::SealOne() {
  std::lock_guard store(store_mu_);
  // Up to kSealBatch pending buffers, written to the chunk store in one RocksDB write (a write per
  // chunk cost more than encoding it in a steady ingest). Buffers are taken in queue order.
  constexpr size_t kSealBatch = 64;
  std::vector<std::pair<Series*, std::shared_ptr<Buffer>>> items;
  {
    std::lock_guard lock(mu_);
    if (seal_queue_.empty()) return false;
    while (!seal_queue_.empty() && items.size() < kSealBatch) {
      items.push_back(std::move(seal_queue_.front()));
      seal_queue_.pop_front();
    }
  }
  struct Sealed {
    std::vector<ChunkMeta> added;
    bool small = false, overlaps = false;
    Status st;  // this item's own failure (its puts rolled back)
  };
  std::vector<Sealed> sealed(items.size());
  rocksdb::WriteBatch wb;
  bool any = false;
  for (size_t i = 0; i < items.size(); ++i) {
    auto& [s, buf] = items[i];
    if (buf->empty()) continue;
    SampleRun run = SortedUnique(buf->ts, buf->values, kMinTs, kMaxTs);
    {
      std::lock_guard lock(mu_);
      sealed[i].overlaps = s->chunks > 0 && run.ts.front() <= s->chunk_max_ts;
    }
    sealed[i].small = run.ts.size() < options_.chunk_max_points / 2;
    wb.SetSavePoint();
    sealed[i].st =
        WriteChunks(s, run, next_seq_++, &wb, options_.chunk_max_points, &sealed[i].added);
    if (sealed[i].st.ok()) {
      any = true;
    } else {
      sealed[i].added.clear();
      (void)wb.RollbackToSavePoint();
    }
  }
  Status write_st;
  if (any) {
    std::string c;
    PutFixed64(&c, next_seq_);
    write_st = Rocks(wb.Put(meta_cf_, kMetaNextSeq, c));
    if (write_st.ok()) write_st = Rocks(db_->Write(rocksdb::WriteOptions(), &wb));
  }
  bool all_ok = true;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < items.size(); ++i) {
      auto& [s, buf] = items[i];
      const Status st = sealed[i].st.ok() ? write_st : sealed[i].st;
      if (st.ok()) {
        if (!buf->empty()) {
          if (sealed[i].small) ++s->small_chunks;
          if (sealed[i].overlaps) ++s->overlapping;
          for (const ChunkMeta& m : sealed[i].added) TrackChunkWindow(s, m.start);
        }
        // The chunk joins the directory as its samples leave the head: a view has one or the
        // other.
        UpdateDirLocked(s, {}, std::move(sealed[i].added));
        auto it = std::find(s->pending.begin(), s->pending.end(), buf);
        if (it != s->pending.end()) s->pending.erase(it);
        pending_bytes_ -= buf->bytes;
        head_bytes_ -= buf->bytes;
      } else {
        // Keep it readable in the head and retry later (e.g. a locked tenant).
        all_ok = false;
        seal_error_ = st;
        seal_queue_.emplace_back(s, buf);
      }
    }
  }
  space_cv_.notify_all();
  return all_ok;
}

void EngineImpl::DrainSealQueue() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (seal_queue_.empty()) return;
    }
    if (!SealOne()) return;  // an error: leave the rest for later
  }
}

void EngineImpl::SealerLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      seal_cv_.wait(lock, [&] { return stop_ || !seal_queue_.empty(); });
      if (stop_) return;
    }
    if (!SealOne()) {
      std::unique_lock lock(mu_);
      seal_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
    }
  }
}

uint64_t EngineImpl::MinLiveSegmentLocked(uint64_t current) {
  uint64_t m = current;
  for (const auto& [id, s] : series_) {
    if (!s->open.empty()) m = std::min(m, s->open.first_segment);
    if (!s->ooo.empty()) m = std::min(m, s->ooo.first_segment);
    for (const auto& p : s->pending) m = std::min(m, p->first_segment);
  }
  return m;
}

Status EngineImpl::Checkpoint() {
  ASSIGN_OR_RETURN(uint64_t current, wal_->Rotate());
  uint64_t live;
  {
    std::lock_guard lock(mu_);
    live = MinLiveSegmentLocked(current);
  }
  // Sealed chunks must be durable before the WAL that holds their samples goes.
  RETURN_IF_ERROR(Rocks(db_->FlushWAL(true)));
  ASSIGN_OR_RETURN(std::vector<uint64_t> segs, wal::ListSegments(wal_dir_));
  for (uint64_t seg : segs) {
    if (seg >= live) break;
    std::error_code ec;
    std::filesystem::remove(wal_dir_ + "/" + wal::SegmentFileName(seg), ec);
    if (ec) return IOError("remove wal segment: " + ec.message());
  }
  wal_bytes_at_checkpoint_ = wal_->bytes_written();
  return Status::OK();
}

Status EngineImpl::Flush() {
  RETURN_IF_ERROR(failed());
  {
    std::lock_guard lock(mu_);
    HandOffAllLocked();
  }
  DrainSealQueue();
  {
    std::lock_guard lock(mu_);
    if (!seal_queue_.empty()) return seal_error_.ok() ? Internal("sealing incomplete") : seal_error_;
  }
  return Checkpoint();
}

// ---------------------------------------------------------------------------------------------
// Chunk store reads

Status EngineImpl::LoadChunkRefs(SeriesId id, TimestampNs from, TimestampNs to,
                                 TimestampNs max_span, const rocksdb::Snapshot* snap,
                                 bool use_cache, std::vector<ChunkRef>* out) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  const std::string upper = ChunkSeekKey(id + 1, kMinTs);
  rocksdb::Slice upper_slice(upper);
  if (id != std::numeric_limits<SeriesId>::max()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, chunks_cf_));
  const TimestampNs seek = (from < kMinTs + max_span) ? kMinTs : from - max_span;
  for (it->Seek(ChunkSeekKey(id, seek)); it->Valid(); it->Next()) {
    ChunkRef ref;
    if (!ParseChunkKey(it->key().ToStringView(), &ref.key)) return Corruption("bad chunk key");
    if (ref.key.id != id || ref.key.start >= to) break;
    ChunkValueHeader h;
    Status s = ParseChunkValueHeader(it->value().ToStringView(), &h);
    if (!s.ok()) return s.Annotate("series " + std::to_string(id) + " chunk " + std::to_string(ref.key.seq));
    if (h.max_ts < from) continue;
    ref.max_ts = h.max_ts;
    ref.key_id = h.key_id;
    if (use_cache) {
      ref.cache_key = MakeChunkCacheKey(ref.key, it->value().ToStringView());
      if (ref.cache_key) ref.cached = chunk_cache_.Lookup(*ref.cache_key, false);
    }
    if (ref.cached == nullptr || !ref.cached->has_run) ref.value = it->value().ToString();
    out->push_back(std::move(ref));
  }
  return Rocks(it->status());
}

Result<ChunkPtr> EngineImpl::DecodeRef(const ChunkRef& ref, ValueType type, bool header_only,
                                       bool use_cache) {
  auto where = [&ref] {
    return "series " + std::to_string(ref.key.id) + " chunk at " + std::to_string(ref.key.start) +
           " seq " + std::to_string(ref.key.seq);
  };
  if (ref.cached != nullptr && (header_only || ref.cached->has_run)) return ref.cached;
  if (ref.cached != nullptr && ref.value.empty()) {
    // A header-only entry found through the directory, now needed point by point.
    rocksdb::ReadOptions ro;
    ro.snapshot = ref.snap;
    ChunkRef copy = ref;
    copy.cached = nullptr;
    rocksdb::Status rs =
        db_->Get(ro, chunks_cf_, ChunkKey(ref.key.id, ref.key.start, ref.key.seq), &copy.value);
    if (!rs.ok()) return Rocks(rs).Annotate(where());
    return DecodeRef(copy, type, header_only, use_cache);
  }
  Result<keys::DataKey> key_or = keys_->GetKey(ref.key_id);
  if (!key_or.ok()) {
    // An id no key was issued under means the clear header was altered.
    if (key_or.status().code() == StatusCode::kNotFound) {
      return Corruption(where() + ": unknown key id " + std::to_string(ref.key_id));
    }
    return key_or.status().Annotate(where());
  }
  const keys::DataKey& key = *key_or;
  std::string plain;
  OpenedChunk oc;
  Status s = OpenChunkValue(key, ref.key, ref.value, &plain, &oc);
  if (!s.ok()) return s.Annotate(where());
  auto out = std::make_shared<CachedChunk>();
  out->flags = oc.flags;
  out->m2 = oc.m2;
  Result<ChunkHeader> h = DecodeChunkHeader(oc.encoded);
  if (!h.ok()) return h.status().Annotate(where());
  out->header = *h;
  if (h->type != type || h->stats.min_ts != ref.key.start || h->stats.max_ts != ref.max_ts ||
      h->stats.count == 0) {
    return Corruption(where() + ": chunk header disagrees with its key");
  }
  if (!header_only) {
    Result<DecodedChunk> d = DecodeChunk(oc.encoded);
    if (!d.ok()) return d.status().Annotate(where());
    out->run.ts = std::move(d->ts);
    out->run.values = std::move(d->values);
    out->has_run = true;
    const auto& ts = out->run.ts;
    if (ts.empty() || ts.size() != ColumnSize(out->run.values) ||
        ColumnType(out->run.values) != type || ts.front() != ref.key.start ||
        ts.back() != ref.max_ts || !std::is_sorted(ts.begin(), ts.end())) {
      return Corruption(where() + ": decoded chunk disagrees with its key");
    }
  }
  if (use_cache && ref.cache_key) chunk_cache_.Insert(*ref.cache_key, out);
  return ChunkPtr(std::move(out));
}

Result<EngineImpl::View> EngineImpl::TakeView(SeriesId id, TimestampNs from, TimestampNs to) {
  View v;
  std::vector<SampleRun> runs;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(id);
    if (it == series_.end()) return NotFound("no series with id " + std::to_string(id));
    Series& s = *it->second;
    v.type = s.info.type;
    v.max_span = s.max_span;
    v.dir_ok = s.dir_ok;
    if (s.dir_ok) {
      const TimestampNs lo = (from < kMinTs + s.max_span) ? kMinTs : from - s.max_span;
      auto d = std::lower_bound(s.dir.begin(), s.dir.end(), lo,
                                [](const ChunkMeta& m, TimestampNs t) { return m.start < t; });
      for (; d != s.dir.end() && d->start < to; ++d) {
        if (d->max_ts >= from) v.dir.push_back(*d);
      }
    }
    for (const auto& p : s.pending) {
      if (p->max_ts >= from && p->min_ts < to) runs.push_back(SortedUnique(p->ts, p->values, from, to));
    }
    for (const Buffer* b : {&s.ooo, &s.open}) {
      if (!b->empty() && b->max_ts >= from && b->min_ts < to) {
        runs.push_back(SortedUnique(b->ts, b->values, from, to));
      }
    }
    v.snap = db_->GetSnapshot();
  }
  if (runs.size() == 1) {
    v.head = std::move(runs[0]);
  } else {
    std::vector<const SampleRun*> ptrs;
    for (const auto& r : runs) ptrs.push_back(&r);
    v.head = MergeRuns(ptrs, v.type, from, to);
  }
  return v;
}

Status EngineImpl::ViewChunks(SeriesId id, TimestampNs from, TimestampNs to, const View& v,
                              std::vector<ChunkRef>* out) {
  if (v.dir_ok) {
    out->reserve(v.dir.size());
    for (const ChunkMeta& m : v.dir) {
      std::shared_ptr<const CachedChunk> c = chunk_cache_.Lookup(m.cache_key, false);
      if (c == nullptr) break;
      ChunkRef ref;
      ref.key = ChunkKeyParts{id, m.start, m.seq};
      ref.max_ts = m.max_ts;
      ref.key_id = m.key_id;
      ref.cache_key = m.cache_key;
      ref.cached = std::move(c);
      ref.snap = v.snap;
      out->push_back(std::move(ref));
    }
    if (out->size() == v.dir.size()) return Status::OK();
    out->clear();
  }
  return LoadChunkRefs(id, from, to, v.max_span, v.snap, true, out);
}

Result<SampleRun> EngineImpl::ReadMerged(SeriesId id, TimestampNs from, TimestampNs to) {
  ASSIGN_OR_RETURN(View v, TakeView(id, from, to));
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> snap(
      v.snap, [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  std::vector<ChunkRef> refs;
  RETURN_IF_ERROR(ViewChunks(id, from, to, v, &refs));
  std::sort(refs.begin(), refs.end(),
            [](const ChunkRef& a, const ChunkRef& b) { return a.key.seq < b.key.seq; });
  std::vector<ChunkPtr> chunks;
  chunks.reserve(refs.size());
  std::vector<const SampleRun*> ptrs;
  for (const ChunkRef& ref : refs) {
    ASSIGN_OR_RETURN(ChunkPtr c, DecodeRef(ref, v.type, false));
    ptrs.push_back(&c->run);
    chunks.push_back(std::move(c));
  }
  ptrs.push_back(&v.head);
  return MergeRuns(ptrs, v.type, from, to);
}

Result<SampleRun> EngineImpl::Read(SeriesId id, TimestampNs from, TimestampNs to, ScanOrder order,
                                   size_t limit) {
  if (from >= to) {
    SampleRun empty;
    std::lock_guard lock(mu_);
    auto it = series_.find(id);
    if (it == series_.end()) return NotFound("no series with id " + std::to_string(id));
    empty.values = EmptyColumn(it->second->info.type);
    return empty;
  }
  ASSIGN_OR_RETURN(SampleRun run, ReadMerged(id, from, to));
  if (order == ScanOrder::kDescending) {
    std::reverse(run.ts.begin(), run.ts.end());
    std::visit([](auto& c) { std::reverse(c.begin(), c.end()); }, run.values);
  }
  if (limit != 0 && run.ts.size() > limit) {
    run.ts.resize(limit);
    std::visit([limit](auto& c) { c.resize(limit); }, run.values);
  }
  return run;
}

Result<std::optional<Sample>> EngineImpl::Latest(SeriesId id) {
  TimestampNs hi = kMinTs;
  uint64_t mutations = 0;
  Series* series = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(id);
    if (it == series_.end()) return NotFound("no series with id " + std::to_string(id));
    Series& s = *it->second;
    if (s.latest_valid) return s.latest;
    series = &s;
    mutations = s.mutations;
    hi = std::max({s.chunk_max_ts, s.open.max_ts, s.ooo.max_ts});
    for (const auto& p : s.pending) hi = std::max(hi, p->max_ts);
  }
  // Series are never removed, so `series` stays valid.
  auto remember = [&](const std::optional<Sample>& v) {
    std::lock_guard lock(mu_);
    if (series->mutations != mutations) return;
    series->latest = v;
    series->latest_valid = true;
  };
  if (hi == kMinTs) {
    remember(std::nullopt);
    return std::optional<Sample>();
  }
  const TimestampNs to = hi == kMaxTs ? kMaxTs : hi + 1;
  ASSIGN_OR_RETURN(SampleRun run, Read(id, hi, to, ScanOrder::kDescending, 1));
  if (run.ts.empty()) {
    // The newest sample was deleted: look further back.
    ASSIGN_OR_RETURN(run, Read(id, kMinTs, to, ScanOrder::kDescending, 1));
    if (run.ts.empty()) {
      remember(std::nullopt);
      return std::optional<Sample>();
    }
  }
  Sample out;
  out.ts = run.ts[0];
  std::visit(
      [&](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        if constexpr (std::is_same_v<T, uint8_t>) {
          out.value = c[0] != 0;
        } else {
          out.value = c[0];
        }
      },
      run.values);
  remember(out);
  return std::optional<Sample>(std::move(out));
}

Result<std::vector<AggState>> EngineImpl::Aggregate(SeriesId id, TimestampNs from, TimestampNs to,
                                                    int64_t interval, int64_t offset) {
  std::vector<AggState> out;
  if (from >= to) return out;
  if (interval < 0) return InvalidArgument("negative interval");
  ASSIGN_OR_RETURN(View v, TakeView(id, from, to));
  std::unique_ptr<const rocksdb::Snapshot, std::function<void(const rocksdb::Snapshot*)>> snap(
      v.snap, [this](const rocksdb::Snapshot* s) { db_->ReleaseSnapshot(s); });
  if (v.type == ValueType::kString) return InvalidArgument("cannot aggregate string series");
  std::vector<ChunkRef> refs;
  RETURN_IF_ERROR(ViewChunks(id, from, to, v, &refs));
  // refs are in (start, seq) order. Group chunks (and the head) into clusters overlapping in
  // time; a lone chunk is folded directly, a cluster is merged first.
  struct Item {
    TimestampNs start, end;
    const ChunkRef* ref;  // nullptr: the head
  };
  std::vector<Item> items;
  items.reserve(refs.size() + 1);
  for (const auto& r : refs) items.push_back({r.key.start, r.max_ts, &r});
  if (!v.head.ts.empty()) {
    Item h{v.head.ts.front(), v.head.ts.back(), nullptr};
    items.insert(std::upper_bound(items.begin(), items.end(), h,
                                  [](const Item& a, const Item& b) { return a.start < b.start; }),
                 h);
  }
  if (interval > 0) {
    const __int128 span = static_cast<__int128>(to) - from;
    out.reserve(static_cast<size_t>(std::min<__int128>(span / interval + 2, 1 << 16)));
  }
  BucketFolder folder(from, to, interval, offset, &out);
  size_t i = 0;
  while (i < items.size()) {
    size_t j = i + 1;
    TimestampNs end = items[i].end;
    while (j < items.size() && items[j].start <= end) end = std::max(end, items[j++].end);
    if (j == i + 1) {
      const Item& it = items[i];
      if (it.ref == nullptr) {
        folder.AddRun(v.head);
      } else {
        const bool inside = it.start >= from && it.end < to &&
                            folder.BucketOf(it.start) == folder.BucketOf(it.end);
        ASSIGN_OR_RETURN(ChunkPtr oc, DecodeRef(*it.ref, v.type, inside));
        if (inside && (oc->flags & kChunkFlagHasNaN) == 0 && v.type != ValueType::kBool) {
          const ChunkStats& st = oc->header.stats;
          AggState s;
          s.count = st.count;
          s.sum = st.sum;
          s.min = st.min;
          s.max = st.max;
          s.first = st.first;
          s.last = st.last;
          s.first_ts = st.min_ts;
          s.last_ts = st.max_ts;
          s.mean = st.sum / static_cast<double>(st.count);
          s.m2 = oc->m2;
          folder.AddState(s);
        } else {
          if (!oc->has_run) {
            ASSIGN_OR_RETURN(oc, DecodeRef(*it.ref, v.type, false));
          }
          folder.AddRun(oc->run);
        }
      }
    } else {
      // Overlap: merge by priority (chunks by seq, the head last).
      std::vector<std::pair<uint64_t, ChunkPtr>> runs;
      for (size_t k = i; k < j; ++k) {
        if (items[k].ref == nullptr) continue;
        ASSIGN_OR_RETURN(ChunkPtr oc, DecodeRef(*items[k].ref, v.type, false));
        runs.emplace_back(items[k].ref->key.seq, std::move(oc));
      }
      std::sort(runs.begin(), runs.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<const SampleRun*> ptrs;
      for (const auto& r : runs) ptrs.push_back(&r.second->run);
      for (size_t k = i; k < j; ++k) {
        if (items[k].ref == nullptr) ptrs.push_back(&v.head);
      }
      folder.AddRun(MergeRuns(ptrs, v.type, from, to));
    }
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Delete, retention, compaction

Status EngineImpl::CommitChunkChange(Series* s, rocksdb::WriteBatch* wb,
                                     const std::vector<ChunkKeyParts>& removed,
                                     std::vector<ChunkMeta> added) {
  // Under mu_, so that no view sees the directory and a snapshot disagree about removed chunks.
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Rocks(db_->Write(rocksdb::WriteOptions(), wb)));
  UpdateDirLocked(s, removed, std::move(added));
  return Status::OK();
}

Status EngineImpl::DeleteChunksLocked(Series* s, TimestampNs from, TimestampNs to) {
  std::vector<ChunkRef> refs;
  TimestampNs span;
  {
    std::lock_guard lock(mu_);
    span = s->max_span;
  }
  RETURN_IF_ERROR(LoadChunkRefs(s->info.id, from, to, span, nullptr, false, &refs));
  if (refs.empty()) return Status::OK();
  rocksdb::WriteBatch wb;
  std::vector<ChunkKeyParts> removed;
  std::vector<ChunkMeta> added;
  for (const ChunkRef& ref : refs) {
    RETURN_IF_ERROR(Rocks(wb.Delete(chunks_cf_, ChunkKey(ref.key.id, ref.key.start, ref.key.seq))));
    removed.push_back(ref.key);
    {
      std::lock_guard lock(mu_);
      if (s->chunks > 0) --s->chunks;
    }
    if (ref.key.start >= from && ref.max_ts < to) continue;  // wholly inside
    ASSIGN_OR_RETURN(ChunkPtr oc, DecodeRef(ref, s->info.type, false, false));
    SampleRun keep_lo = MergeRuns({&oc->run}, s->info.type, kMinTs, from);
    SampleRun keep_hi = MergeRuns({&oc->run}, s->info.type, to, kMaxTs);
    // Rewritten pieces keep their sequence number, so their priority is unchanged.
    RETURN_IF_ERROR(WriteChunks(s, keep_lo, ref.key.seq, &wb, options_.chunk_max_points, &added));
    RETURN_IF_ERROR(WriteChunks(s, keep_hi, ref.key.seq, &wb, options_.chunk_max_points, &added));
  }
  return CommitChunkChange(s, &wb, removed, std::move(added));
}

Status EngineImpl::ApplyDelete(const std::vector<Series*>& series, TimestampNs from,
                               TimestampNs to) {
  for (Series* s : series) {
    {
      std::lock_guard lock(mu_);
      ++s->mutations;
      s->latest_valid = false;
      s->latest.reset();
      for (Buffer* b : {&s->open, &s->ooo}) head_bytes_ -= b->EraseRange(from, to);
      for (auto& p : s->pending) {
        const uint64_t freed = p->EraseRange(from, to);
        head_bytes_ -= freed;
        pending_bytes_ -= freed;
      }
    }
    RETURN_IF_ERROR(DeleteChunksLocked(s, from, to));
    // A Latest() that ran between the head and the chunk store changes may have kept a sample
    // of the deleted range.
    std::lock_guard lock(mu_);
    ++s->mutations;
    s->latest_valid = false;
    s->latest.reset();
  }
  return Status::OK();
}

Status EngineImpl::DeleteRange(std::string_view tenant, std::span<const SeriesId> ids,
                               TimestampNs from, TimestampNs to) {
  if (from >= to) return Status::OK();
  RETURN_IF_ERROR(failed());
  std::vector<Series*> series;
  wal::DeleteRecord rec;
  rec.from = from;
  rec.to = to;
  {
    std::lock_guard lock(mu_);
    if (ids.empty()) {
      for (auto& [id, s] : series_) {
        if (s->info.key.tenant == tenant) series.push_back(s.get());
      }
    } else {
      for (SeriesId id : ids) {
        auto it = series_.find(id);
        if (it == series_.end() || it->second->info.key.tenant != tenant) {
          return NotFound("no series " + std::to_string(id) + " in tenant");
        }
        series.push_back(it->second.get());
      }
    }
  }
  if (series.empty()) return Status::OK();
  for (Series* s : series) rec.ids.push_back(s->info.id);
  ASSIGN_OR_RETURN(keys::KeyId key_id, keys_->ActiveKeyId(tenant));
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
  std::string payload;
  PutFixed32(&payload, key_id);
  RETURN_IF_ERROR(keys::Aead::SealTo(key, wal::SealedAad(wal::RecordType::kDeleteRange, key_id),
                                     wal::EncodeDelete(rec), &payload));
  std::string framed;
  wal::AppendRecord(&framed, wal::RecordType::kDeleteRange, payload);

  std::lock_guard store(store_mu_);  // no sealing while the head is filtered
  wal::WalWriter::Ticket ticket;
  {
    std::lock_guard lock(mu_);
    ticket = wal_->Submit(std::move(framed));
  }
  RETURN_IF_ERROR(wal_->Wait(ticket));
  return ApplyDelete(series, from, to);
}

Status EngineImpl::SetRetention(std::string_view tenant, std::string_view prefix,
                                int64_t duration_ns) {
  if (duration_ns < 0) return InvalidArgument("negative retention");
  std::string name;
  PutLengthPrefixed(&name, tenant);
  PutLengthPrefixed(&name, prefix);
  auto h = catalog_->IndexHash(name);
  std::string key(1, kRetentionPrefix);
  key.append(reinterpret_cast<const char*>(h.data()), h.size());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (duration_ns == 0) {
    RETURN_IF_ERROR(Rocks(db_->Delete(wo, meta_cf_, key)));
  } else {
    std::string plain = name;
    PutVarint64(&plain, static_cast<uint64_t>(duration_ns));
    ASSIGN_OR_RETURN(std::string sealed, catalog_->SealSystem(key, plain));
    RETURN_IF_ERROR(Rocks(db_->Put(wo, meta_cf_, key, sealed)));
  }
  std::lock_guard lock(mu_);
  std::erase_if(retention_, [&](const RetentionRule& r) {
    return r.tenant == tenant && r.prefix == prefix;
  });
  if (duration_ns != 0) retention_.push_back({std::string(tenant), std::string(prefix), duration_ns});
  return Status::OK();
}

Status EngineImpl::ApplyRetention() {
  std::vector<std::pair<Series*, TimestampNs>> work;
  const TimestampNs now = clock_->NowNs();
  {
    std::lock_guard lock(mu_);
    for (auto& [id, s] : series_) {
      TimestampNs cutoff = kMinTs;
      for (const auto& r : retention_) {
        if (s->info.key.tenant == r.tenant && s->info.key.measurement.starts_with(r.prefix)) {
          cutoff = std::max(cutoff, now - r.duration_ns);
        }
      }
      if (cutoff != kMinTs) work.emplace_back(s.get(), cutoff);
    }
  }
  // One series at a time, so the sealer (and through it, writers) never waits long.
  for (auto& [s, cutoff] : work) {
    std::lock_guard store(store_mu_);
    RETURN_IF_ERROR(ApplyDelete({s}, kMinTs, cutoff));
  }
  return Status::OK();
}

Status EngineImpl::CompactSeriesLocked(Series* s, TimestampNs from, TimestampNs to) {
  TimestampNs max_span;
  {
    std::lock_guard lock(mu_);
    max_span = s->max_span;
  }
  std::vector<ChunkRef> refs;
  RETURN_IF_ERROR(LoadChunkRefs(s->info.id, from, to, max_span, nullptr, false, &refs));
  if (refs.size() < 2) return Status::OK();
  const size_t target = static_cast<size_t>(options_.chunk_max_points) * kCompactedChunkFactor;
  std::vector<ChunkPtr> opened;
  opened.reserve(refs.size());
  for (const auto& r : refs) {
    ASSIGN_OR_RETURN(ChunkPtr oc, DecodeRef(r, s->info.type, false, false));
    opened.push_back(std::move(oc));
  }
  rocksdb::WriteBatch wb;
  std::vector<ChunkKeyParts> removed;
  std::vector<ChunkMeta> added;
  size_t i = 0;
  bool changed = false;
  while (i < refs.size()) {
    size_t j = i + 1;
    TimestampNs end = refs[i].max_ts;
    size_t points = opened[i]->run.ts.size();
    const int64_t window = CompactionWindow(refs[i].key.start);
    while (j < refs.size()) {
      const size_t n = opened[j]->run.ts.size();
      const bool overlap = refs[j].key.start <= end;
      // Overlapping chunks are always merged; neighbours only within one window and size cap.
      if (!overlap && (points + n > target || CompactionWindow(refs[j].key.start) != window)) {
        break;
      }
      end = std::max(end, refs[j].max_ts);
      points += n;
      ++j;
    }
    if (j - i > 1) {
      std::vector<std::pair<uint64_t, const SampleRun*>> runs;
      uint64_t seq = 0;
      for (size_t k = i; k < j; ++k) {
        seq = std::max(seq, refs[k].key.seq);
        RETURN_IF_ERROR(Rocks(wb.Delete(chunks_cf_, ChunkKey(s->info.id, refs[k].key.start, refs[k].key.seq))));
        removed.push_back(refs[k].key);
        runs.emplace_back(refs[k].key.seq, &opened[k]->run);
      }
      std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<const SampleRun*> ptrs;
      for (const auto& r : runs) ptrs.push_back(r.second);
      SampleRun merged = MergeRuns(ptrs, s->info.type, kMinTs, kMaxTs);
      {
        std::lock_guard lock(mu_);
        s->chunks -= std::min<uint64_t>(s->chunks, j - i);
      }
      RETURN_IF_ERROR(WriteChunks(s, merged, seq, &wb, target, &added));
      changed = true;
    }
    i = j;
  }
  if (!changed) return Status::OK();
  return CommitChunkChange(s, &wb, removed, std::move(added));
}

Status EngineImpl::Compact() {
  RETURN_IF_ERROR(ApplyRetention());
  RETURN_IF_ERROR(catalog_->Compact());
  std::vector<Series*> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, s] : series_) all.push_back(s.get());
  }
  for (Series* s : all) {
    std::lock_guard store(store_mu_);
    RETURN_IF_ERROR(CompactSeriesLocked(s));
  }
  // Flush every column family so RocksDB's own log can go, then rewrite the chunk files
  // without the deleted chunks.
  RETURN_IF_ERROR(Rocks(db_->Flush(rocksdb::FlushOptions(), handles_)));
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  RETURN_IF_ERROR(Rocks(db_->CompactRange(cro, chunks_cf_, nullptr, nullptr)));
  RETURN_IF_ERROR(Rocks(db_->CompactRange(cro, catalog_cf_, nullptr, nullptr)));
  return Status::OK();
}

void EngineImpl::BackgroundLoop() {
  // The first pass runs at once: chunks found overlapping at open are compacted right away.
  auto last_retention = std::chrono::steady_clock::now() - kRetentionPeriod;
  auto last_compaction = std::chrono::steady_clock::now() - kCompactionPeriod;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      seal_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; });
      if (stop_) return;
    }
    if (wal_->bytes_written() - wal_bytes_at_checkpoint_ > kCheckpointWalBytes) {
      (void)Flush();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_retention >= kRetentionPeriod) {
      last_retention = now;
      (void)ApplyRetention();
    }
    if (now - last_compaction >= kCompactionPeriod) {
      last_compaction = now;
      if (catalog_->uncompacted() >= kCatalogCompactAfterRecords) (void)catalog_->Compact();
      // Compact series that collected small (out-of-order, flushed) or overlapping chunks (all
      // of the series), or completed a window of several chunks (that window), one at a time.
      std::vector<Series*> todo;
      {
        std::lock_guard lock(mu_);
        for (auto& [id, s] : series_) {
          if (s->small_chunks >= kCompactAfterSmallChunks || s->overlapping > 0 ||
              s->compact_from < s->compact_to) {
            todo.push_back(s.get());
          }
        }
      }
      for (Series* s : todo) {
        TimestampNs from = kMinTs, to = kMaxTs;
        {
          std::lock_guard lock(mu_);
          if (stop_) return;
          if (s->small_chunks < kCompactAfterSmallChunks && s->overlapping == 0) {
            from = s->compact_from;
            to = s->compact_to;
          }
          s->small_chunks = 0;
          s->overlapping = 0;
          s->compact_from = kMaxTs;
          s->compact_to = kMinTs;
        }
        std::lock_guard store(store_mu_);
        (void)CompactSeriesLocked(s, from, to);
      }
    }
  }
}

EngineStats EngineImpl::Stats() {
  EngineStats st;
  {
    std::lock_guard lock(mu_);
    st.series = series_.size();
    st.head_bytes = head_bytes_;
    for (const auto& [id, s] : series_) st.chunks += s->dir.size();
  }
  st.points_written = points_written_.load();
  st.sealed_chunks = sealed_chunks_.load();
  st.chunk_cache_bytes = chunk_cache_.bytes();
  st.chunk_cache_hits = chunk_cache_.hits();
  st.chunk_cache_misses = chunk_cache_.misses();
  st.wal_fsyncs = wal_ ? wal_->fsyncs() : 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(options_.dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) st.disk_bytes += it->file_size(e2);
  }
  return st;
}

}  // namespace
Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto e = std::make_unique<EngineImpl>(options);
  RETURN_IF_ERROR(e->OpenAll());
  return std::unique_ptr<Engine>(std::move(e));
}

}  // namespace verbund::storage
