#include "storage/catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/coding.h"

namespace verbund::storage {
namespace {

constexpr char kMetaIndexKeyId[] = "index_key_id";
constexpr char kMetaNextSeriesId[] = "next_series_id";

std::string EntryAad(std::string_view rocks_key, keys::KeyId key_id) {
  std::string aad = "VBCAT1";
  aad.append(rocks_key);
  PutFixed32(&aad, key_id);
  return aad;
}

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

std::string EncodeSeriesKey(const SeriesKey& key) {
  std::string out;
  PutLengthPrefixed(&out, key.tenant);
  PutLengthPrefixed(&out, key.measurement);
  PutVarint64(&out, key.tags.size());
  for (const auto& [k, v] : key.tags) {
    PutLengthPrefixed(&out, k);
    PutLengthPrefixed(&out, v);
  }
  PutLengthPrefixed(&out, key.field);
  return out;
}

bool DecodeSeriesKey(std::string_view* in, SeriesKey* key) {
  std::string_view t, m, f;
  uint64_t n = 0;
  if (!GetLengthPrefixed(in, &t) || !GetLengthPrefixed(in, &m) || !GetVarint64(in, &n) ||
      n > in->size()) {
    return false;
  }
  key->tenant = std::string(t);
  key->measurement = std::string(m);
  key->tags.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view k, v;
    if (!GetLengthPrefixed(in, &k) || !GetLengthPrefixed(in, &v)) return false;
    key->tags.emplace_back(std::string(k), std::string(v));
  }
  if (!GetLengthPrefixed(in, &f)) return false;
  key->field = std::string(f);
  return true;
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

std::string Catalog::LookupKey(const SeriesKey& key) const {
  auto h = IndexHash(EncodeSeriesKey(key));
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

Result<SeriesInfo> Catalog::OpenEntry(std::string_view rocks_key, std::string_view value) {
  if (value.size() < 4) return Corruption("catalog entry too short");
  const keys::KeyId key_id = DecodeFixed32(value.data());
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
  ASSIGN_OR_RETURN(std::string plain,
                   keys::Aead::Open(key, EntryAad(rocks_key, key_id), value.substr(4)));
  std::string_view in(plain);
  SeriesInfo info;
  uint64_t id = 0;
  if (!DecodeSeriesKey(&in, &info.key) || in.empty()) return Corruption("bad catalog entry");
  const uint8_t type = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (type < 1 || type > 4 || !GetVarint64(&in, &id) || !in.empty()) {
    return Corruption("bad catalog entry");
  }
  info.type = static_cast<ValueType>(type);
  info.id = id;
  return info;
}

Status Catalog::LoadAll(const std::function<void(SeriesInfo)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<SeriesInfo> info = OpenEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!info.ok()) {
      if (info.status().code() == StatusCode::kFailedPrecondition) continue;  // locked tenant
      return info.status().Annotate("catalog");
    }
    fn(std::move(info).value());
  }
  return Rocks(it->status());
}

Result<std::optional<SeriesInfo>> Catalog::Find(const SeriesKey& key) {
  const std::string k = LookupKey(key);
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_, k, &v);
  if (s.IsNotFound()) return std::optional<SeriesInfo>();
  if (!s.ok()) return Rocks(s);
  ASSIGN_OR_RETURN(SeriesInfo info, OpenEntry(k, v));
  if (!(info.key == key)) return Corruption("catalog: hash collision or swapped entry");
  return std::optional<SeriesInfo>(std::move(info));
}

Status Catalog::Add(std::vector<SeriesInfo>* infos) {
  std::lock_guard lock(add_mu_);
  rocksdb::WriteBatch wb;
  SeriesId next = next_id_;
  for (SeriesInfo& info : *infos) {
    ASSIGN_OR_RETURN(keys::KeyId key_id, keys_->ActiveKeyId(info.key.tenant));
    ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(key_id));
    info.id = next++;
    std::string plain = EncodeSeriesKey(info.key);
    plain.push_back(static_cast<char>(info.type));
    PutVarint64(&plain, info.id);
    const std::string k = LookupKey(info.key);
    std::string value;
    PutFixed32(&value, key_id);
    RETURN_IF_ERROR(keys::Aead::SealTo(key, EntryAad(k, key_id), plain, &value));
    RETURN_IF_ERROR(Rocks(wb.Put(cf_, k, value)));
  }
  std::string counter;
  PutFixed64(&counter, next);
  RETURN_IF_ERROR(Rocks(wb.Put(meta_, kMetaNextSeriesId, counter)));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  RETURN_IF_ERROR(Rocks(db_->Write(wo, &wb)));
  next_id_ = next;
  return Status::OK();
}

Result<std::string> Catalog::SealSystem(std::string_view aad, std::string_view plaintext) {
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(system_key_id_));
  std::string out;
  PutFixed32(&out, system_key_id_);
  RETURN_IF_ERROR(keys::Aead::SealTo(key, aad, plaintext, &out));
  return out;
}

Result<std::string> Catalog::OpenSystem(std::string_view aad, std::string_view sealed) {
  if (sealed.size() < 4) return Corruption("sealed metadata too short");
  ASSIGN_OR_RETURN(keys::DataKey key, keys_->GetKey(DecodeFixed32(sealed.data())));
  return keys::Aead::Open(key, aad, sealed.substr(4));
}

}  // namespace verbund::storage
