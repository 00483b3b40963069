// The chunk store as sealing, reads and maintenance use it: sealing runs into chunk values,
// listing a series' chunks in a range, opening (decrypting, decoding, checking) one, and
// committing a change to the store together with the chunk directory.

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keys/key_provider.h"
#include "storage/chunk_codec.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_chunk_cache.h"
#include "storage/engine_impl.h"
#include "storage/head.h"

namespace verbund::storage::internal {

// ---------------------------------------------------------------------------------------------
// Chunk store writes

void EngineImpl::UpdateDirLocked(Series* s, const std::vector<ChunkKeyParts>& removed,
                                 std::vector<ChunkMeta> added) {
  if (!removed.empty()) {
    std::erase_if(s->dir, [&](const ChunkMeta& m) {
      for (const auto& r : removed) {
        if (r.start == m.start && r.seq == m.seq) {
          s->usage->Remove(m);
          return true;
        }
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
    s->usage->Add(m);
    if (at != s->dir.end() && at->start == m.start && at->seq == m.seq) {
      s->usage->Remove(*at);
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
    added->push_back(ChunkMeta{k.start, k.seq, r.ts.back(), key_id,
                               static_cast<uint32_t>(value.size()), *ck,
                               static_cast<uint32_t>(r.ts.size())});
    std::lock_guard lock(mu_);
    s->max_span = std::max(s->max_span, r.ts.back() - r.ts.front());
    s->chunk_max_ts = std::max(s->chunk_max_ts, r.ts.back());
    ++s->chunks;
  }
  sealed_chunks_.fetch_add(pieces, std::memory_order_relaxed);
  return Status::OK();
}

Status EngineImpl::CommitChunkChange(Series* s, rocksdb::WriteBatch* wb,
                                     const std::vector<ChunkKeyParts>& removed,
                                     std::vector<ChunkMeta> added) {
  // Under mu_, so that no view sees the directory and a snapshot disagree about removed chunks.
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Rocks(db_->Write(rocksdb::WriteOptions(), wb)));
  UpdateDirLocked(s, removed, std::move(added));
  return Status::OK();
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
    if (!s.ok())
      return s.Annotate("series " + std::to_string(id) + " chunk " + std::to_string(ref.key.seq));
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

}  // namespace verbund::storage::internal
