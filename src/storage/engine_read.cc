// Reads: a view of one series (head samples, chunk directory entries and a RocksDB snapshot,
// taken together under mu_), Read(), Latest() and Aggregate() over it.

#include <rocksdb/db.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "storage/engine_chunk_cache.h"
#include "storage/engine_impl.h"
#include "storage/head.h"

namespace verbund::storage::internal {

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
      if (p->max_ts >= from && p->min_ts < to)
        runs.push_back(SortedUnique(p->ts, p->values, from, to));
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
        const bool inside =
            it.start >= from && it.end < to && folder.BucketOf(it.start) == folder.BucketOf(it.end);
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

}  // namespace verbund::storage::internal
