// Opening the engine: RocksDB and the catalog, the chunk directory and retention rules read at
// open, WAL replay; and closing it.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/coding.h"
#include "keys/key_provider.h"
#include "storage/catalog.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_impl.h"
#include "storage/wal/batch_codec.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_record.h"
#include "storage/wal/wal_writer.h"

namespace verbund::storage::internal {

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
  if (rs.ok() && v.size() == 8)
    next_seq_ = DecodeFixed64(v.data());
  else if (!rs.ok() && !rs.IsNotFound())
    return Rocks(rs);

  catalog_ = std::make_unique<Catalog>(db_.get(), catalog_cf_, meta_cf_, keys_);
  RETURN_IF_ERROR(catalog_->Init());
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(
        catalog_->LoadAll([this](SeriesInfo info) { InsertSeriesLocked(std::move(info)); }));
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
    // The value count is inside the sealed plaintext (the clear header reveals only the time
    // range), so the chunk is opened once, header only: about 15% more open time
    // (doc/format/chunk-store.md). One that does not open stays uncounted here.
    ChunkRef ref{k, h.max_ts, h.key_id};
    ref.value = it->value().ToString();
    Result<ChunkPtr> opened = DecodeRef(ref, ser.info.type, /*header_only=*/true,
                                        /*use_cache=*/false);
    const uint32_t values = opened.ok() ? static_cast<uint32_t>((*opened)->header.stats.count) : 0;
    ser.dir.push_back(ChunkMeta{k.start, k.seq, h.max_ts, h.key_id,
                                static_cast<uint32_t>(it->value().size()), *ck, values});
    ser.usage->Add(ser.dir.back());
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

}  // namespace verbund::storage::internal

namespace verbund::storage {

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto e = std::make_unique<internal::EngineImpl>(options);
  RETURN_IF_ERROR(e->OpenAll());
  return std::unique_ptr<Engine>(std::move(e));
}

}  // namespace verbund::storage
