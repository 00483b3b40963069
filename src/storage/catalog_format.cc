#include "storage/catalog_format.h"

#include "core/coding.h"
#include "storage/encoding/zstd_frame.h"

namespace verbund::storage {
namespace {

// zstd level for groups: near the ratio of -19 on catalog data at a fraction of its time, so a
// full group (4096 entries, ~600 KiB) compresses in milliseconds under the catalog lock.
constexpr int kZstdLevel = 12;

std::string Aad(std::string_view label, std::string_view rocks_key, keys::KeyId key_id) {
  std::string aad(label);
  aad.append(rocks_key);
  PutFixed32(&aad, key_id);
  return aad;
}

std::string EncodeEntries(const std::vector<SeriesInfo>& entries) {
  std::string out;
  PutVarint64(&out, entries.size());
  for (size_t i = 1; i < entries.size(); ++i) {
    PutVarint64(&out, entries[i].id - entries[i - 1].id - 1);
  }
  for (const SeriesInfo& e : entries) out.push_back(static_cast<char>(e.type));
  for (const SeriesInfo& e : entries) PutLengthPrefixed(&out, EncodeSeriesKey(e.key));
  return out;
}

Status DecodeEntries(std::string_view in, SeriesId first, std::vector<SeriesInfo>* out) {
  uint64_t count = 0;
  // Every entry takes at least 1 (type) + 1 (key length) bytes.
  if (!GetVarint64(&in, &count) || count == 0 || count > in.size() / 2) {
    return Corruption("catalog group: bad entry count");
  }
  out->clear();
  out->resize(count);
  SeriesId id = first;
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) {
      uint64_t gap = 0;
      if (!GetVarint64(&in, &gap) || gap >= UINT64_MAX - id) {
        return Corruption("catalog group: bad id gap");
      }
      id += gap + 1;
    }
    (*out)[i].id = id;
  }
  if (in.size() < count) return Corruption("catalog group: truncated types");
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t type = static_cast<uint8_t>(in[i]);
    if (type < 1 || type > 4) return Corruption("catalog group: bad value type");
    (*out)[i].type = static_cast<ValueType>(type);
  }
  in.remove_prefix(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    if (!GetLengthPrefixed(&in, &key)) return Corruption("catalog group: truncated key");
    if (!DecodeSeriesKey(&key, &(*out)[i].key) || !key.empty()) {
      return Corruption("catalog group: bad series key");
    }
    if ((*out)[i].key.tenant != (*out)[0].key.tenant) {
      return Corruption("catalog group: mixed tenants");
    }
  }
  if (!in.empty()) return Corruption("catalog group: trailing bytes");
  return Status::OK();
}

}  // namespace

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

std::string CatalogEntryAad(std::string_view rocks_key, keys::KeyId key_id) {
  return Aad("VBCAT1", rocks_key, key_id);
}

std::string CatalogGroupAad(std::string_view rocks_key, keys::KeyId key_id) {
  return Aad("VBCAT2", rocks_key, key_id);
}

std::string CatalogGroupKey(SeriesId first) {
  std::string k(1, static_cast<char>(kCatalogGroupKeyTag));
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(first >> (8 * i)));
  return k;
}

bool ParseCatalogGroupKey(std::string_view key, SeriesId* first) {
  if (key.size() != kCatalogGroupKeyBytes || static_cast<uint8_t>(key[0]) != kCatalogGroupKeyTag) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 1; i < kCatalogGroupKeyBytes; ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  *first = v;
  return true;
}

std::string EncodeCatalogGroup(const std::vector<SeriesInfo>& entries, bool compress) {
  const std::string raw = EncodeEntries(entries);
  if (compress) {
    std::optional<std::string> z = encoding::ZstdCompress(raw, kZstdLevel);
    if (z && z->size() + VarintLength(raw.size()) < raw.size()) {
      std::string out(1, static_cast<char>(kCatalogGroupZstd));
      PutVarint64(&out, raw.size());
      out.append(*z);
      return out;
    }
  }
  std::string out(1, static_cast<char>(kCatalogGroupRaw));
  out.append(raw);
  return out;
}

Status DecodeCatalogGroup(std::string_view plain, SeriesId first, std::vector<SeriesInfo>* out) {
  if (plain.empty()) return Corruption("catalog group: empty");
  const uint8_t codec = static_cast<uint8_t>(plain[0]);
  plain.remove_prefix(1);
  if (codec == kCatalogGroupRaw) return DecodeEntries(plain, first, out);
  if (codec != kCatalogGroupZstd) return Corruption("catalog group: unknown codec");
  uint64_t raw_size = 0;
  if (!GetVarint64(&plain, &raw_size) || raw_size == 0 || raw_size > kCatalogGroupMaxRawBytes ||
      raw_size > plain.size() * encoding::kMaxZstdRatio) {
    return Corruption("catalog group: bad raw size");
  }
  std::string raw;
  RETURN_IF_ERROR(encoding::ZstdDecompressExact(plain, raw_size, "catalog group", &raw));
  return DecodeEntries(raw, first, out);
}

Status DecodeCatalogEntry(std::string_view in, SeriesInfo* out) {
  uint64_t id = 0;
  if (!DecodeSeriesKey(&in, &out->key) || in.empty()) return Corruption("bad catalog entry");
  const uint8_t type = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (type < 1 || type > 4 || !GetVarint64(&in, &id) || !in.empty()) {
    return Corruption("bad catalog entry");
  }
  out->type = static_cast<ValueType>(type);
  out->id = id;
  return Status::OK();
}

}  // namespace verbund::storage
