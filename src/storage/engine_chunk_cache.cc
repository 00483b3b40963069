#include "storage/engine_chunk_cache.h"

#include <cstring>

namespace verbund::storage {

std::optional<ChunkCacheKey> MakeChunkCacheKey(const ChunkKeyParts& parts, std::string_view value) {
  constexpr size_t kHeader = kChunkValueHeaderBytes;
  constexpr size_t kNonce = keys::kNonceBytes;
  constexpr size_t kTag = keys::kTagBytes;
  if (value.size() < kHeader + kNonce + kTag) return std::nullopt;
  ChunkCacheKey k;
  k.id = parts.id;
  k.start = parts.start;
  k.seq = parts.seq;
  std::memcpy(k.seal.data(), value.data(), kHeader + kNonce);
  std::memcpy(k.seal.data() + kHeader + kNonce, value.data() + value.size() - kTag, kTag);
  return k;
}

size_t ChunkCache::KeyHash::operator()(const ChunkCacheKey& k) const {
  // The tag is uniformly random; mixing in the id/start/seq keeps equal tags (never seen in
  // practice) apart.
  uint64_t t;
  std::memcpy(&t, k.seal.data() + k.seal.size() - 8, 8);
  uint64_t h = t ^ (k.id * 0x9e3779b97f4a7c15ull) ^
               (static_cast<uint64_t>(k.start) * 0xbf58476d1ce4e5b9ull) ^ k.seq;
  return static_cast<size_t>(h ^ (h >> 29));
}

size_t ChunkCache::Charge(const CachedChunk& c) {
  size_t n = sizeof(CachedChunk) + 64 + c.run.ts.size() * sizeof(TimestampNs);
  std::visit(
      [&](const auto& col) {
        using T = typename std::decay_t<decltype(col)>::value_type;
        n += col.size() * sizeof(T);
        if constexpr (std::is_same_v<T, std::string>) {
          for (const auto& s : col) n += s.capacity();
        }
      },
      c.run.values);
  return n;
}

std::shared_ptr<const CachedChunk> ChunkCache::Lookup(const ChunkCacheKey& key, bool need_run) {
  if (capacity_ == 0) return nullptr;
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end() || (need_run && !it->second->chunk->has_run)) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->chunk;
}

void ChunkCache::Insert(const ChunkCacheKey& key, std::shared_ptr<const CachedChunk> chunk) {
  if (capacity_ == 0 || chunk == nullptr) return;
  const size_t charge = Charge(*chunk);
  if (charge > capacity_) return;
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it != map_.end()) {
    if (it->second->chunk->has_run && !chunk->has_run) return;
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(chunk), charge});
  map_.emplace(key, lru_.begin());
  bytes_ += charge;
  while (bytes_ > capacity_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    bytes_ -= victim.bytes;
    map_.erase(victim.key);
    lru_.pop_back();
  }
}

size_t ChunkCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t ChunkCache::entries() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

uint64_t ChunkCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

uint64_t ChunkCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace verbund::storage
