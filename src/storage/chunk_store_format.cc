#include "storage/chunk_store_format.h"

#include <bit>

#include "core/coding.h"

namespace verbund::storage {
namespace {

void PutBE64(std::string* dst, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  dst->append(b, 8);
}
uint64_t GetBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
constexpr uint64_t kSignFlip = 1ull << 63;

}  // namespace

std::string ChunkKey(SeriesId id, TimestampNs start, uint64_t seq) {
  std::string k;
  k.reserve(kChunkKeyBytes);
  PutBE64(&k, id);
  PutBE64(&k, static_cast<uint64_t>(start) ^ kSignFlip);
  PutBE64(&k, seq);
  return k;
}

std::string ChunkSeekKey(SeriesId id, TimestampNs start) {
  std::string k;
  PutBE64(&k, id);
  PutBE64(&k, static_cast<uint64_t>(start) ^ kSignFlip);
  return k;
}

bool ParseChunkKey(std::string_view key, ChunkKeyParts* parts) {
  if (key.size() != kChunkKeyBytes) return false;
  parts->id = GetBE64(key.data());
  parts->start = static_cast<TimestampNs>(GetBE64(key.data() + 8) ^ kSignFlip);
  parts->seq = GetBE64(key.data() + 16);
  return true;
}

Status ParseChunkValueHeader(std::string_view value, ChunkValueHeader* header) {
  if (value.size() < kChunkValueHeaderBytes + keys::kSealOverhead) {
    return Corruption("chunk value too short");
  }
  if (static_cast<uint8_t>(value[0]) != kChunkValueVersion) {
    return Corruption("unknown chunk value version " +
                      std::to_string(static_cast<uint8_t>(value[0])));
  }
  header->key_id = DecodeFixed32(value.data() + 1);
  header->max_ts = static_cast<TimestampNs>(DecodeFixed64(value.data() + 5));
  return Status::OK();
}

std::string ChunkAad(SeriesId id, TimestampNs min_ts, TimestampNs max_ts, keys::KeyId key_id,
                     uint64_t seq) {
  std::string aad = "VBCHK1";
  PutFixed64(&aad, id);
  PutFixed64(&aad, static_cast<uint64_t>(min_ts));
  PutFixed64(&aad, static_cast<uint64_t>(max_ts));
  PutFixed32(&aad, key_id);
  PutFixed64(&aad, seq);
  return aad;
}

Status SealChunkValue(const keys::DataKey& key, keys::KeyId key_id, const ChunkKeyParts& k,
                      TimestampNs max_ts, uint8_t flags, double m2, std::string_view encoded,
                      std::string* out) {
  std::string plain;
  plain.reserve(9 + encoded.size());
  plain.push_back(static_cast<char>(flags));
  PutFixed64(&plain, std::bit_cast<uint64_t>(m2));
  plain.append(encoded);
  out->clear();
  out->reserve(kChunkValueHeaderBytes + plain.size() + keys::kSealOverhead);
  out->push_back(static_cast<char>(kChunkValueVersion));
  PutFixed32(out, key_id);
  PutFixed64(out, static_cast<uint64_t>(max_ts));
  return keys::Aead::SealTo(key, ChunkAad(k.id, k.start, max_ts, key_id, k.seq), plain, out);
}

Status OpenChunkValue(const keys::DataKey& key, const ChunkKeyParts& k, std::string_view value,
                      std::string* plaintext, OpenedChunk* out) {
  ChunkValueHeader h;
  RETURN_IF_ERROR(ParseChunkValueHeader(value, &h));
  RETURN_IF_ERROR(keys::Aead::OpenTo(key, ChunkAad(k.id, k.start, h.max_ts, h.key_id, k.seq),
                                     value.substr(kChunkValueHeaderBytes), plaintext));
  if (plaintext->size() < 9) return Corruption("chunk plaintext too short");
  out->flags = static_cast<uint8_t>((*plaintext)[0]);
  out->m2 = std::bit_cast<double>(DecodeFixed64(plaintext->data() + 1));
  out->encoded = std::string_view(*plaintext).substr(9);
  return Status::OK();
}

}  // namespace verbund::storage
