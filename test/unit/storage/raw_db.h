// The engine's RocksDB opened directly (the engine must be closed), for tests that plant or
// damage records: catalog, chunk store and meta column families.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace verbund::storage::testing {

struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"catalog", {}}, {"chunks", {}}, {"meta", {}}};
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &raw).ok());
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
  }
  rocksdb::ColumnFamilyHandle* catalog() { return handles[1]; }
  rocksdb::ColumnFamilyHandle* chunks() { return handles[2]; }
  rocksdb::ColumnFamilyHandle* meta() { return handles[3]; }

  // Every (key, value) of a column family, in key order.
  std::vector<std::pair<std::string, std::string>> Entries(rocksdb::ColumnFamilyHandle* cf) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    return out;
  }
  std::vector<std::pair<std::string, std::string>> Chunks() { return Entries(chunks()); }
  std::vector<std::string> CatalogKeys() {
    std::vector<std::string> out;
    for (auto& [k, v] : Entries(catalog())) out.push_back(std::move(k));
    return out;
  }
};

}  // namespace verbund::storage::testing
