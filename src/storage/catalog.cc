#include "storage/catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/coding.h"
#include "keys/sealed.h"
#include "storage/catalog_format.h"

namespace verbund::storage {
namespace {

constexpr char kMetaIndexKeyId[] = "index_key_id";
constexpr char kMetaNextSeriesId[] = "next_series_id";

}  // namespace

Status FromRocks(int code, const std::string& message) {
  using C = rocksdb::Status::Code;
  switch (static_cast<C>(code)) {
    case C::kOk:
      return Status::OK();
    case C::kNotFound:
      return NotFound("rocksdb: " + message);
    case C::kCorruption:
      return Corruption("rocksdb: " + message);
    case C::kInvalidArgument:
      return InvalidArgument("rocksdb: " + message);
    case C::kBusy:
    case C::kTryAgain:
    case C::kTimedOut:
      return Unavailable("rocksdb: " + message);
    default:
      return IOError("rocksdb: " + message);
  }
}

static Status Rocks(const rocksdb::Status& s) {
  return FromRocks(static_cast<int>(s.code()), s.ToString());
}

Status Catalog::Init() {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, kMetaIndexKeyId, &v);
  if (s.IsNotFound()) {
    ASSIGN_OR_RETURN(system_key_id_, keys_->ActiveKeyId(kSystemTenant));
    std::string enc;
    PutFixed32(&enc, system_key_id_);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(Rocks(db_->Put(wo, meta_, kMetaIndexKeyId, enc)));
  } else if (!s.ok()) {
    return Rocks(s);
  } else {
    if (v.size() != 4) return Corruption("catalog: bad index key id");
    system_key_id_ = DecodeFixed32(v.data());
  }
  ASSIGN_OR_RETURN(keys::DataKey system_key, keys_->GetKey(system_key_id_));
  index_key_ = keys::DeriveKey(system_key, "verbund catalog index v1");
  s = db_->Get(rocksdb::ReadOptions(), meta_, kMetaNextSeriesId, &v);
  if (s.ok()) {
    if (v.size() != 8) return Corruption("catalog: bad id counter");
    next_id_ = DecodeFixed64(v.data());
  } else if (!s.IsNotFound()) {
    return Rocks(s);
  }
  return Status::OK();
}

std::array<uint8_t, 32> Catalog::IndexHash(std::string_view data) const {
  return keys::HmacSha256(index_key_, data);
}

Status Catalog::OpenRecord(std::string_view rocks_key, std::string_view value,
                           std::vector<SeriesInfo>* out) {
  if (value.size() < 4) return Corruption("catalog record too short");
  const keys::KeyId key_id = DecodeFixed32(value.data());
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
  SeriesId first = 0;
  if (ParseCatalogGroupKey(rocks_key, &first)) {
    ASSIGN_OR_RETURN(std::string plain,
                     keys::Aead::Open(key, CatalogGroupAad(rocks_key, key_id), value.substr(4)));
    return DecodeCatalogGroup(plain, first, out);
  }
  if (rocks_key.size() != kCatalogEntryKeyBytes) return Corruption("bad catalog record key");
  ASSIGN_OR_RETURN(std::string plain,
                   keys::Aead::Open(key, CatalogEntryAad(rocks_key, key_id), value.substr(4)));
  SeriesInfo info;
  RETURN_IF_ERROR(DecodeCatalogEntry(plain, &info));
  out->assign(1, std::move(info));
  return Status::OK();
}

Status Catalog::LoadAll(const std::function<void(SeriesInfo)>& fn) {
  std::lock_guard lock(mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
  std::set<std::string> tenants_with_small_group;
  std::vector<SeriesInfo> entries;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view k = it->key().ToStringView();
    Status st = OpenRecord(k, it->value().ToStringView(), &entries);
    if (st.code() == StatusCode::kFailedPrecondition) {  // locked tenant
      locked_.emplace(k);
      continue;
    }
    if (!st.ok()) return st.Annotate("catalog");
    if (k.size() == kCatalogEntryKeyBytes) {
      ++uncompacted_;  // format 1: compaction moves it into a group
    } else if (entries.size() >= kCatalogGroupMaxEntries) {
      full_.emplace(k);
    } else if (entries.size() < kCatalogGroupMaxEntries &&
               !tenants_with_small_group.insert(entries[0].key.tenant).second) {
      ++uncompacted_;  // a second small group of the tenant
    }
    for (SeriesInfo& e : entries) fn(std::move(e));
  }
  return Rocks(it->status());
}

Status Catalog::RecoverLockedLocked() {
  for (auto it = locked_.begin(); it != locked_.end();) {
    std::string v;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_, *it, &v);
    if (s.IsNotFound()) {
      it = locked_.erase(it);
      continue;
    }
    if (!s.ok()) return Rocks(s);
    // Tenants still locked cost a key lookup, not a decryption.
    if (v.size() >= 4 && !keys_->GetKey(DecodeFixed32(v.data())).ok()) {
      ++it;
      continue;
    }
    std::vector<SeriesInfo> entries;
    Status st = OpenRecord(*it, v, &entries);
    if (st.code() == StatusCode::kFailedPrecondition) {
      ++it;
      continue;
    }
    if (!st.ok()) return st.Annotate("catalog");
    for (SeriesInfo& e : entries) recovered_.emplace(EncodeSeriesKey(e.key), std::move(e));
    it = locked_.erase(it);
  }
  return Status::OK();
}

Result<std::optional<SeriesInfo>> Catalog::Find(const SeriesKey& key) {
  std::lock_guard lock(mu_);
  if (!locked_.empty()) RETURN_IF_ERROR(RecoverLockedLocked());
  auto it = recovered_.find(EncodeSeriesKey(key));
  if (it == recovered_.end()) return std::optional<SeriesInfo>();
  std::optional<SeriesInfo> found(std::move(it->second));
  recovered_.erase(it);
  if (!(found->key == key)) return Corruption("catalog: entry does not match its key");
  return found;
}

Status Catalog::Add(std::vector<SeriesInfo>* infos) {
  std::lock_guard lock(mu_);
  rocksdb::WriteBatch wb;
  SeriesId next = next_id_;
  std::map<std::string, std::vector<size_t>> by_tenant;
  for (size_t i = 0; i < infos->size(); ++i) {
    (*infos)[i].id = next++;
    by_tenant[(*infos)[i].key.tenant].push_back(i);
  }
  uint64_t groups = 0;
  std::vector<std::string> full;
  for (const auto& [tenant, idx] : by_tenant) {
    ASSIGN_OR_RETURN(keys::KeyId key_id, keys_->ActiveKeyId(tenant));
    ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
    for (size_t b = 0; b < idx.size(); b += kCatalogGroupMaxEntries) {
      std::vector<SeriesInfo> group;
      for (size_t i = b; i < std::min(idx.size(), b + kCatalogGroupMaxEntries); ++i) {
        group.push_back((*infos)[idx[i]]);
      }
      const std::string k = CatalogGroupKey(group.front().id);
      std::string value;
      PutFixed32(&value, key_id);
      RETURN_IF_ERROR(
          keys::Aead::SealTo(key, CatalogGroupAad(k, key_id), EncodeCatalogGroup(group), &value));
      RETURN_IF_ERROR(Rocks(wb.Put(cf_, k, value)));
      if (group.size() >= kCatalogGroupMaxEntries) full.push_back(k);
      ++groups;
    }
  }
  std::string counter;
  PutFixed64(&counter, next);
  RETURN_IF_ERROR(Rocks(wb.Put(meta_, kMetaNextSeriesId, counter)));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(Rocks(db_->Write(wo, &wb)));
  next_id_ = next;
  uncompacted_ += groups;
  full_.insert(full.begin(), full.end());
  return Status::OK();
}

Status Catalog::Compact() {
  std::lock_guard lock(mu_);
  struct Record {
    std::string key;
    bool format1 = false;
    std::vector<SeriesInfo> entries;
  };
  std::map<std::string, std::vector<Record>> by_tenant;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Record r;
      r.key = it->key().ToString();
      // Records locked at open hold entries the engine does not know yet: leave them to Find.
      if (locked_.contains(r.key) || full_.contains(r.key)) continue;
      Status st = OpenRecord(r.key, it->value().ToStringView(), &r.entries);
      if (st.code() == StatusCode::kFailedPrecondition) continue;  // locked since
      if (!st.ok()) return st.Annotate("catalog");
      r.format1 = r.key.size() == kCatalogEntryKeyBytes;
      if (!r.format1 && r.entries.size() >= kCatalogGroupMaxEntries) continue;  // full
      by_tenant[r.entries[0].key.tenant].push_back(std::move(r));
    }
    RETURN_IF_ERROR(Rocks(it->status()));
  }
  rocksdb::WriteBatch wb;
  bool changed = false;
  std::vector<std::string> full;
  for (auto& [tenant, records] : by_tenant) {
    const bool any_format1 =
        std::any_of(records.begin(), records.end(), [](const Record& r) { return r.format1; });
    if (records.size() < 2 && !any_format1) continue;
    Result<keys::KeyId> key_id = keys_->ActiveKeyId(tenant);
    if (!key_id.ok()) continue;  // locked since: try again later
    ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(*key_id));
    std::vector<SeriesInfo> all;
    for (Record& r : records) {
      // Deletes first: a new group may take the key of an old one (its first id).
      RETURN_IF_ERROR(Rocks(wb.Delete(cf_, r.key)));
      for (SeriesInfo& e : r.entries) all.push_back(std::move(e));
    }
    std::sort(all.begin(), all.end(),
              [](const SeriesInfo& a, const SeriesInfo& b) { return a.id < b.id; });
    for (size_t b = 0; b < all.size(); b += kCatalogGroupMaxEntries) {
      std::vector<SeriesInfo> group(
          all.begin() + b, all.begin() + std::min(all.size(), b + kCatalogGroupMaxEntries));
      const std::string k = CatalogGroupKey(group.front().id);
      std::string value;
      PutFixed32(&value, *key_id);
      RETURN_IF_ERROR(
          keys::Aead::SealTo(key, CatalogGroupAad(k, *key_id), EncodeCatalogGroup(group), &value));
      RETURN_IF_ERROR(Rocks(wb.Put(cf_, k, value)));
      if (group.size() >= kCatalogGroupMaxEntries) full.push_back(k);
    }
    changed = true;
  }
  if (changed) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    RETURN_IF_ERROR(Rocks(db_->Write(wo, &wb)));
    full_.insert(full.begin(), full.end());
  }
  uncompacted_ = 0;
  return Status::OK();
}

uint64_t Catalog::uncompacted() const {
  std::lock_guard lock(mu_);
  return uncompacted_;
}

Result<std::string> Catalog::SealSystem(std::string_view aad, std::string_view plaintext) {
  return keys::SealWithKeyId(*keys_, system_key_id_, aad, plaintext);
}

Result<std::string> Catalog::OpenSystem(std::string_view aad, std::string_view sealed) {
  return keys::OpenWithKeyId(*keys_, aad, sealed);
}

}  // namespace verbund::storage
