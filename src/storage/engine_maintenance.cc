// Changes to stored samples other than writes: DeleteRange() (logged in the WAL, then applied
// to head and chunk store), retention rules and their enforcement, compaction of a series'
// chunks, and the background loop that runs checkpoints, retention and compaction.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/coding.h"
#include "keys/key_provider.h"
#include "storage/catalog.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_impl.h"
#include "storage/head.h"
#include "storage/wal/batch_codec.h"
#include "storage/wal/wal_record.h"
#include "storage/wal/wal_writer.h"

namespace verbund::storage::internal {

namespace {

constexpr uint64_t kCheckpointWalBytes = 256ull << 20;
constexpr uint32_t kCompactAfterSmallChunks = 4;
// The background loop compacts the catalog once this many groups were added since the last time.
constexpr uint64_t kCatalogCompactAfterRecords = 64;
constexpr auto kCompactionPeriod = std::chrono::seconds(2);
constexpr auto kRetentionPeriod = std::chrono::seconds(10);

}  // namespace

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
      for (Buffer* b : {&s->open, &s->ooo}) {
        const uint64_t freed = b->EraseRange(from, to);
        head_bytes_ -= freed;
        s->usage->head_bytes -= freed;
      }
      for (auto& p : s->pending) {
        const uint64_t freed = p->EraseRange(from, to);
        head_bytes_ -= freed;
        pending_bytes_ -= freed;
        s->usage->head_bytes -= freed;
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
  std::erase_if(retention_,
                [&](const RetentionRule& r) { return r.tenant == tenant && r.prefix == prefix; });
  if (duration_ns != 0)
    retention_.push_back({std::string(tenant), std::string(prefix), duration_ns});
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
        RETURN_IF_ERROR(
            Rocks(wb.Delete(chunks_cf_, ChunkKey(s->info.id, refs[k].key.start, refs[k].key.seq))));
        removed.push_back(refs[k].key);
        runs.emplace_back(refs[k].key.seq, &opened[k]->run);
      }
      std::sort(runs.begin(), runs.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
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

}  // namespace verbund::storage::internal
