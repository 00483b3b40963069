// The write path: WriteBatch, staging a batch (resolve its series, seal one WAL record per
// tenant, apply it to the head under mu_) and waiting for it to be durable; handing full head
// buffers to the sealer.

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/coding.h"
#include "keys/key_provider.h"
#include "storage/engine.h"
#include "storage/engine_impl.h"
#include "storage/head.h"
#include "storage/wal/batch_codec.h"
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

namespace internal {

void EngineImpl::ApplyLocked(Series* s, TimestampNs ts, const Value& v, uint64_t segment) {
  ++s->mutations;
  // Equal timestamps: the later write wins, as in every merge.
  if (s->latest_valid && (!s->latest || ts >= s->latest->ts)) s->latest = Sample{ts, v};
  Buffer* b = (s->open.empty() || ts >= s->open.min_ts) ? &s->open : &s->ooo;
  if (b->empty()) b->first_segment = segment;
  const uint64_t before = b->bytes;
  b->Append(ts, v);
  const uint64_t added = b->bytes - before;
  head_bytes_ += added;
  s->usage->head_bytes += added;
  ++s->usage->points_written;
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
        if (it == series_.end())
          return InvalidArgument("unknown series id " + std::to_string(e.id));
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
    std::vector<Result<Series*>> found = ResolveMissing(missing_keys, missing_types);
    for (size_t j = 0; j < found.size(); ++j) {
      if (!found[j].ok()) return found[j].status();
      ser[missing_at[j]] = *found[j];
    }
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
    const auto type =
        g + 1 == groups.size() ? wal::RecordType::kBatch : wal::RecordType::kBatchPart;
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

}  // namespace internal
}  // namespace verbund::storage
