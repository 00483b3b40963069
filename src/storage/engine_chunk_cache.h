// Cache of opened (decrypted, decoded) sealed chunks, so repeated queries over the same chunks
// skip AES-GCM and the codecs. Used only by the engine.
//
// Entries are keyed by the chunk's store key (series id, start, seq) plus the clear header
// (version, key id, max ts), nonce and GCM tag of its sealed value. Every seal draws a fresh nonce,
// so a chunk rewritten in place (a delete that keeps the sequence number, a compaction that reuses
// the newest one) gets a new key: nothing ever needs invalidating; entries of chunks that are gone
// simply age out (LRU, bounded by bytes). A hit returns contents that were authenticated when they
// were inserted.
//
// Thread-safety: every method may be called from any thread concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "storage/chunk_codec.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"

namespace verbund::storage {

// One opened chunk. `run` is empty when only the header was opened (has_run false).
struct CachedChunk {
  ChunkHeader header;
  uint8_t flags = 0;
  double m2 = 0;
  bool has_run = false;
  SampleRun run;
};

struct ChunkCacheKey {
  SeriesId id = 0;
  TimestampNs start = 0;
  uint64_t seq = 0;
  // The sealed value's clear header (13), nonce (12) and tag (16).
  std::array<uint8_t, kChunkValueHeaderBytes + keys::kSealOverhead> seal{};

  bool operator==(const ChunkCacheKey&) const = default;
};

// The key of a sealed value stored under `parts`; nullopt if the value is too short to hold a
// header, a nonce and a tag (it is then Corruption for the reader, and never cached).
std::optional<ChunkCacheKey> MakeChunkCacheKey(const ChunkKeyParts& parts, std::string_view value);

class ChunkCache {
 public:
  // capacity_bytes 0 disables the cache (Lookup misses, Insert drops).
  explicit ChunkCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The entry, or nullptr. With need_run, a header-only entry counts as a miss.
  std::shared_ptr<const CachedChunk> Lookup(const ChunkCacheKey& key, bool need_run);
  // Inserts or replaces (a full entry is never replaced by a header-only one).
  void Insert(const ChunkCacheKey& key, std::shared_ptr<const CachedChunk> chunk);

  size_t bytes() const;
  size_t entries() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct KeyHash {
    size_t operator()(const ChunkCacheKey& k) const;
  };
  struct Entry {
    ChunkCacheKey key;
    std::shared_ptr<const CachedChunk> chunk;
    size_t bytes = 0;
  };
  static size_t Charge(const CachedChunk& c);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used; guarded by mu_
  std::unordered_map<ChunkCacheKey, std::list<Entry>::iterator, KeyHash> map_;  // guarded by mu_
  size_t bytes_ = 0;                                                            // guarded by mu_
  uint64_t hits_ = 0;                                                           // guarded by mu_
  uint64_t misses_ = 0;                                                         // guarded by mu_
};

}  // namespace verbund::storage
