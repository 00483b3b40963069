// Catalog: the durable series key -> SeriesId mapping (RocksDB column family "catalog").
// Names never reach the disk in clear: entries are sealed under their tenant's data key, many
// entries of one tenant together in a zstd-compressed group (format 2); format-1 entries (one
// per series, keyed by an HMAC of the series key) are still read and compacted into groups.
// Layout in doc/format/catalog.md and storage/catalog_format.h.
//
// Thread-safety: every method may run concurrently with the others (one internal mutex).
// Durability: Add returns after the entries are synced to RocksDB's log; Compact replaces
// records in one atomic batch, so a crash leaves either the old or the new records.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "keys/key_provider.h"
#include "storage/catalog_format.h"
#include "storage/engine.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace verbund::storage {

// Tenant name whose key protects engine-wide metadata (index key, retention rules).
inline constexpr std::string_view kSystemTenant = "_verbund_system";

// Converts a RocksDB status (taken as its code and message) into a Status.
Status FromRocks(int code, const std::string& message);

class Catalog {
 public:
  Catalog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* catalog_cf,
          rocksdb::ColumnFamilyHandle* meta_cf, keys::KeyProvider* keys)
      : db_(db), cf_(catalog_cf), meta_(meta_cf), keys_(keys) {}

  // Reads (or creates) the index key id and the id counter.
  Status Init();
  // Calls fn for every entry whose tenant key is available; records of locked tenants are
  // remembered (their ids still count toward the id counter) for Find.
  Status LoadAll(const std::function<void(SeriesInfo)>& fn);
  // Finds a key among the entries LoadAll could not open then (a tenant unlocked since); every
  // entry LoadAll passed on or Add wrote is the caller's to know. Each entry is found once.
  Result<std::optional<SeriesInfo>> Find(const SeriesKey& key);
  // Assigns ids to `infos` (their id fields are overwritten) and writes them durably, one
  // group per tenant.
  Status Add(std::vector<SeriesInfo>* infos);
  // Rewrites each tenant's small groups and format-1 entries into as few groups as possible
  // (at most kCatalogGroupMaxEntries entries each). Records of locked tenants stay as they are.
  Status Compact();
  // Records written by Add (and format-1 entries found at open) since the last Compact.
  uint64_t uncompacted() const;

  // Keyed hash for lookups of other named things (retention rules).
  std::array<uint8_t, 32> IndexHash(std::string_view data) const;
  // Seals/opens engine metadata under the system key.
  Result<std::string> SealSystem(std::string_view aad, std::string_view plaintext);
  Result<std::string> OpenSystem(std::string_view aad, std::string_view sealed);

 private:
  // Opens a record of either format; FailedPrecondition when its tenant is locked.
  Status OpenRecord(std::string_view rocks_key, std::string_view value,
                    std::vector<SeriesInfo>* out);
  Status RecoverLockedLocked();  // requires mu_

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  rocksdb::ColumnFamilyHandle* const meta_;
  keys::KeyProvider* const keys_;
  keys::KeyId system_key_id_ = 0;
  keys::DataKey index_key_;
  mutable std::mutex mu_;
  SeriesId next_id_ = 1;      // guarded by mu_
  uint64_t uncompacted_ = 0;  // guarded by mu_
  // RocksDB keys of records LoadAll could not open (locked tenants), and the entries of such
  // records opened since, by canonical key, until Find hands them out. Guarded by mu_.
  std::set<std::string> locked_;
  std::map<std::string, SeriesInfo> recovered_;
  // Keys of full groups (kCatalogGroupMaxEntries entries): Compact skips them without opening
  // them. Guarded by mu_.
  std::set<std::string> full_;
};

}  // namespace verbund::storage
