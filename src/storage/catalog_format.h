// Catalog records (RocksDB column family "catalog"). Layout in doc/format/catalog.md.
//
//   format 1 entry  key   HMAC-SHA-256(index key, canonical key)               (32 bytes)
//                   value | key id (4, LE) | nonce (12) | sealed(entry) | tag (16) |
//                   AAD   "VBCAT1" | key | key id (4, LE)
//   format 2 group  key   | 0x02 | first series id (8, BE) |                      (9 bytes)
//                   value | key id (4, LE) | nonce (12) | sealed(group) | tag (16) |
//                   AAD   "VBCAT2" | key | key id (4, LE)
//
//   group    := codec (1) = 0 entries | codec (1) = 1 raw size (varint) zstd frame(entries)
//   entries  := count (varint) | count-1 x id gap (varint) | count x type (1) |
//               count x canonical key (varint length + bytes)
//
// A group holds the entries of one tenant (sealed under that tenant's data key), ids strictly
// increasing from the id in its key. The two record kinds are told apart by key length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "keys/aead.h"
#include "storage/engine.h"

namespace verbund::storage {

// The canonical byte form of a series key (sealed in entries and groups; format 1 keyed its
// entries by an HMAC of it). DecodeSeriesKey reads one from the front of *in.
std::string EncodeSeriesKey(const SeriesKey& key);
bool DecodeSeriesKey(std::string_view* in, SeriesKey* key);

inline constexpr size_t kCatalogEntryKeyBytes = 32;  // format 1
inline constexpr size_t kCatalogGroupKeyBytes = 9;   // format 2
inline constexpr uint8_t kCatalogGroupKeyTag = 0x02;
inline constexpr uint8_t kCatalogGroupRaw = 0;
inline constexpr uint8_t kCatalogGroupZstd = 1;
// Writers cut groups at this many entries; compaction never rewrites a full group.
inline constexpr size_t kCatalogGroupMaxEntries = 4096;
// Readers refuse groups whose entries would decode to more bytes.
inline constexpr uint64_t kCatalogGroupMaxRawBytes = 64ull << 20;

std::string CatalogEntryAad(std::string_view rocks_key, keys::KeyId key_id);  // format 1
std::string CatalogGroupAad(std::string_view rocks_key, keys::KeyId key_id);  // format 2

std::string CatalogGroupKey(SeriesId first);
// False unless `key` is a well-formed group key.
bool ParseCatalogGroupKey(std::string_view key, SeriesId* first);

// Plaintext of a group. `entries` must be non-empty, of one tenant, with strictly increasing
// ids; the result takes the zstd codec when `compress` and it is smaller.
std::string EncodeCatalogGroup(const std::vector<SeriesInfo>& entries, bool compress = true);
// Decodes a group's plaintext whose key names `first`. Corruption on any violation of the
// format (including a first id other than `first`, mixed tenants, trailing bytes); never reads
// outside `plain`, and allocates at most kCatalogGroupMaxRawBytes plus what `plain` bounds.
Status DecodeCatalogGroup(std::string_view plain, SeriesId first, std::vector<SeriesInfo>* out);

// Decodes a format-1 entry's plaintext (canonical key | type u8 | varint id). Corruption if
// malformed or followed by other bytes.
Status DecodeCatalogEntry(std::string_view plain, SeriesInfo* out);

}  // namespace verbund::storage
