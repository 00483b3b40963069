// Sealing: the sealer thread takes head buffers handed off by writers and writes them to the
// chunk store as chunks (many buffers per RocksDB write); a checkpoint then drops the WAL
// segments no head sample needs; Flush() does both for the whole head.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/coding.h"
#include "storage/engine.h"
#include "storage/engine_impl.h"
#include "storage/head.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

namespace verbund::storage::internal {

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
        s->usage->head_bytes -= buf->bytes;
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
    if (!seal_queue_.empty())
      return seal_error_.ok() ? Internal("sealing incomplete") : seal_error_;
  }
  return Checkpoint();
}

}  // namespace verbund::storage::internal
