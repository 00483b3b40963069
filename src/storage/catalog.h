// Catalog: the durable series key -> SeriesId mapping (RocksDB column family "catalog").
// Names never reach the disk in clear: the RocksDB key is an HMAC-SHA-256 of the canonical series
// key under an index key derived from the system key, the value the series key sealed under its
// tenant's data key. Layout in doc/format/catalog.md.
//
// Thread-safety: Find and Add may run concurrently; Add serialises id assignment internally.
// Durability: Add returns after the entries are synced to RocksDB's log.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "keys/key_provider.h"
#include "storage/engine.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace verbund::storage {

// Tenant name whose key protects engine-wide metadata (index key, retention rules).
inline constexpr std::string_view kSystemTenant = "_verbund_system";

// The canonical byte form of a series key (hashed for lookup, sealed as the value).
std::string EncodeSeriesKey(const SeriesKey& key);
bool DecodeSeriesKey(std::string_view* in, SeriesKey* key);

// Converts a RocksDB status (taken as its code and message) into a Status.
Status FromRocks(int code, const std::string& message);

class Catalog {
 public:
  Catalog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* catalog_cf,
          rocksdb::ColumnFamilyHandle* meta_cf, keys::KeyProvider* keys)
      : db_(db), cf_(catalog_cf), meta_(meta_cf), keys_(keys) {}

  // Reads (or creates) the index key id and the id counter.
  Status Init();
  // Calls fn for every entry whose tenant key is available; entries of locked tenants are
  // skipped (their ids still count toward the id counter).
  Status LoadAll(const std::function<void(SeriesInfo)>& fn);
  // Looks a key up on disk (for keys not in the caller's cache).
  Result<std::optional<SeriesInfo>> Find(const SeriesKey& key);
  // Assigns ids to `infos` (their id fields are overwritten) and writes them durably.
  Status Add(std::vector<SeriesInfo>* infos);

  // Keyed hash for lookups of other named things (retention rules).
  std::array<uint8_t, 32> IndexHash(std::string_view data) const;
  // Seals/opens engine metadata under the system key.
  Result<std::string> SealSystem(std::string_view aad, std::string_view plaintext);
  Result<std::string> OpenSystem(std::string_view aad, std::string_view sealed);

 private:
  std::string LookupKey(const SeriesKey& key) const;
  Result<SeriesInfo> OpenEntry(std::string_view rocks_key, std::string_view value);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::ColumnFamilyHandle* const meta_;
  keys::KeyProvider* const keys_;
  keys::KeyId system_key_id_ = 0;
  keys::DataKey index_key_;
  std::mutex add_mu_;
  SeriesId next_id_ = 1;  // guarded by add_mu_
};

}  // namespace verbund::storage
