#include "storage/encoding/string_codec.h"

#include <string_view>
#include <unordered_map>

#include "core/coding.h"
#include "storage/encoding/chunk_format.h"
#include "storage/encoding/int_codec.h"
#include "storage/encoding/zstd_frame.h"

namespace verbund::storage::encoding {
namespace {

enum class StringCompression : uint8_t { kNone = 0, kZstd = 1 };
constexpr int kZstdLevel = 3;

}  // namespace

void EncodeStrings(std::span<const std::string> v, std::string* dst) {
  std::unordered_map<std::string_view, int64_t> ids;
  std::vector<std::string_view> dict;
  std::vector<int64_t> id_of(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    auto [it, inserted] = ids.emplace(v[i], static_cast<int64_t>(dict.size()));
    if (inserted) dict.push_back(v[i]);
    id_of[i] = it->second;
  }
  std::string raw;
  PutVarint64(&raw, dict.size());
  for (std::string_view s : dict) PutLengthPrefixed(&raw, s);
  // Ids keep the packed-block modes: zstd runs over them anyway.
  EncodeIntStream(id_of, 0, &raw, /*max_version=*/1);

  std::optional<std::string> compressed = ZstdCompress(raw, kZstdLevel);
  if (compressed && compressed->size() < raw.size()) {
    dst->push_back(static_cast<char>(StringCompression::kZstd));
    PutVarint64(dst, raw.size());
    PutLengthPrefixed(dst, *compressed);
    return;
  }
  dst->push_back(static_cast<char>(StringCompression::kNone));
  PutLengthPrefixed(dst, raw);
}

Status DecodeStrings(std::string_view* in, size_t n, std::vector<std::string>* out) {
  if (in->empty()) return Corruption("strings: missing compression byte");
  uint8_t compression = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  std::string buffer;
  std::string_view raw;
  if (compression == static_cast<uint8_t>(StringCompression::kNone)) {
    if (!GetLengthPrefixed(in, &raw)) return Corruption("strings: truncated section");
  } else if (compression == static_cast<uint8_t>(StringCompression::kZstd)) {
    uint64_t raw_size = 0, csize = 0;
    if (!GetVarint64(in, &raw_size) || !GetVarint64(in, &csize) || csize > in->size()) {
      return Corruption("strings: truncated section");
    }
    // Bounds the allocation by the input size.
    if (raw_size > kMaxStringSectionBytes || raw_size > csize * kMaxZstdRatio) {
      return Corruption("strings: section too large");
    }
    RETURN_IF_ERROR(ZstdDecompressExact(in->substr(0, csize), raw_size, "strings", &buffer));
    in->remove_prefix(csize);
    raw = buffer;
  } else {
    return Corruption("strings: bad compression byte");
  }

  uint64_t dict_size = 0;
  if (!GetVarint64(&raw, &dict_size) || dict_size > raw.size() || dict_size > n) {
    return Corruption("strings: bad dictionary size");
  }
  std::vector<std::string_view> dict(dict_size);
  for (auto& s : dict) {
    if (!GetLengthPrefixed(&raw, &s)) return Corruption("strings: truncated dictionary");
  }
  if (!IntStreamCountPlausible(n, raw.size())) return Corruption("strings: count too large");
  out->clear();
  out->reserve(n);
  size_t total = 0;
  bool bad_id = false;
  Status st = DecodeIntStreamTo(&raw, n, 0, [&](const int64_t* id, size_t k) {
    for (size_t i = 0; i < k && !bad_id; ++i) {
      if (static_cast<uint64_t>(id[i]) >= dict_size) {
        bad_id = true;
        return;
      }
      std::string_view s = dict[id[i]];
      total += s.size();
      if (total > kMaxDecodedStringBytes) {
        bad_id = true;
        return;
      }
      out->emplace_back(s);
    }
  });
  RETURN_IF_ERROR(st);
  if (bad_id) return Corruption("strings: bad id or column too large");
  if (!raw.empty()) return Corruption("strings: trailing bytes in section");
  if (out->size() != n) return Corruption("strings: count mismatch");
  return Status::OK();
}

}  // namespace verbund::storage::encoding
