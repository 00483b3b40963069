// Chunk = header (version, type, count, stats) + timestamp section + value section.
// Byte layout in doc/format/chunk.md.
#include "storage/chunk_codec.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

#include "core/coding.h"
#include "storage/encoding/bool_codec.h"
#include "storage/encoding/chunk_format.h"
#include "storage/encoding/float_codec.h"
#include "storage/encoding/int_codec.h"
#include "storage/encoding/string_codec.h"
#include "storage/encoding/timestamp_codec.h"

namespace verbund::storage {

using namespace encoding;  // NOLINT(google-build-using-namespace)

ValueType ColumnType(const ValueColumn& c) { return static_cast<ValueType>(c.index() + 1); }

size_t ColumnSize(const ValueColumn& c) {
  return std::visit([](const auto& v) { return v.size(); }, c);
}

namespace {

template <typename T>
void NumericStats(std::span<const T> v, ChunkStats* s) {
  bool any = false;
  double lo = 0, hi = 0, sum = 0;
  for (T x : v) {
    double d = static_cast<double>(x);
    if (std::isnan(d)) continue;
    if (!any) {
      lo = hi = d;
      any = true;
    }
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += d;
  }
  s->min = lo;
  s->max = hi;
  s->sum = sum;
  s->first = static_cast<double>(v.front());
  s->last = static_cast<double>(v.back());
}

// Numeric stats (min, max, sum, first, last): five doubles with their all-zero low bytes dropped
// (integers and short binary fractions need 2-4 bytes). Layout: 3 bytes holding five 4-bit byte
// counts (value i in bits 4i..4i+3), then each value's top `count` bytes, little-endian.
constexpr int kStatValues = 5;

void PutNumericStats(std::string* dst, const double (&v)[kStatValues]) {
  uint32_t lengths = 0;
  uint64_t bits[kStatValues];
  int len[kStatValues];
  for (int i = 0; i < kStatValues; ++i) {
    bits[i] = std::bit_cast<uint64_t>(v[i]);
    len[i] = bits[i] == 0 ? 0 : 8 - std::countr_zero(bits[i]) / 8;
    lengths |= static_cast<uint32_t>(len[i]) << (4 * i);
  }
  for (int i = 0; i < 3; ++i) dst->push_back(static_cast<char>(lengths >> (8 * i)));
  for (int i = 0; i < kStatValues; ++i) {
    for (int b = 8 - len[i]; b < 8; ++b) dst->push_back(static_cast<char>(bits[i] >> (8 * b)));
  }
}

bool GetNumericStats(std::string_view* in, double* const (&v)[kStatValues]) {
  if (in->size() < 3) return false;
  uint32_t lengths = 0;
  for (int i = 0; i < 3; ++i)
    lengths |= static_cast<uint32_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(3);
  if (lengths >> (4 * kStatValues)) return false;
  for (int i = 0; i < kStatValues; ++i) {
    int len = (lengths >> (4 * i)) & 0xf;
    if (len > 8 || in->size() < static_cast<size_t>(len)) return false;
    uint64_t bits = 0;
    for (int b = 0; b < len; ++b) {
      bits |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[b])) << (8 * (8 - len + b));
    }
    in->remove_prefix(len);
    *v[i] = std::bit_cast<double>(bits);
  }
  return true;
}

// Parses the header from the front of *in, advancing it.
Result<ChunkHeader> ParseHeader(std::string_view* in) {
  if (in->size() < 3) return Corruption("chunk: truncated header");
  uint8_t version = static_cast<uint8_t>((*in)[0]);
  uint8_t min_compatible = static_cast<uint8_t>((*in)[1]);
  uint8_t type = static_cast<uint8_t>((*in)[2]);
  in->remove_prefix(3);
  if (min_compatible > kChunkFormatVersion || min_compatible > version || version == 0) {
    return Corruption("chunk: unsupported format version " + std::to_string(version) +
                      " (needs reader >= " + std::to_string(min_compatible) + ")");
  }
  if (type < static_cast<uint8_t>(ValueType::kFloat) ||
      type > static_cast<uint8_t>(ValueType::kString)) {
    return Corruption("chunk: bad value type");
  }
  ChunkHeader h;
  h.type = static_cast<ValueType>(type);
  ChunkStats& s = h.stats;
  uint64_t count = 0, min_ts = 0, span = 0;
  if (!GetVarint64(in, &count) || !GetFixed64(in, &min_ts) || !GetVarint64(in, &span)) {
    return Corruption("chunk: truncated header");
  }
  if (count == 0 || count > kMaxChunkSamples) return Corruption("chunk: bad count");
  s.count = static_cast<uint32_t>(count);
  s.min_ts = static_cast<TimestampNs>(min_ts);
  s.max_ts = static_cast<TimestampNs>(min_ts + span);
  if (s.max_ts < s.min_ts) return Corruption("chunk: max_ts < min_ts");
  switch (h.type) {
    case ValueType::kFloat:
    case ValueType::kInt:
      if (!GetNumericStats(in, {&s.min, &s.max, &s.sum, &s.first, &s.last})) {
        return Corruption("chunk: bad stats");
      }
      break;
    case ValueType::kBool: {
      uint64_t trues = 0;
      if (!GetVarint64(in, &trues) || trues > count || in->empty()) {
        return Corruption("chunk: bad bool stats");
      }
      uint8_t ends = static_cast<uint8_t>((*in)[0]);
      in->remove_prefix(1);
      if (ends > 3) return Corruption("chunk: bad bool stats");
      s.sum = static_cast<double>(trues);
      s.min = trues == count ? 1 : 0;
      s.max = trues > 0 ? 1 : 0;
      s.first = ends & 1;
      s.last = (ends >> 1) & 1;
      break;
    }
    case ValueType::kString:
      break;
  }
  return h;
}

}  // namespace

ChunkStats ComputeStats(std::span<const TimestampNs> ts, const ValueColumn& values) {
  ChunkStats s;
  s.count = static_cast<uint32_t>(ts.size());
  if (ts.empty()) return s;
  s.min_ts = ts.front();
  s.max_ts = ts.back();
  switch (ColumnType(values)) {
    case ValueType::kFloat:
      NumericStats<double>(std::get<std::vector<double>>(values), &s);
      break;
    case ValueType::kInt:
      NumericStats<int64_t>(std::get<std::vector<int64_t>>(values), &s);
      break;
    case ValueType::kBool: {
      const auto& b = std::get<std::vector<uint8_t>>(values);
      size_t trues = std::count_if(b.begin(), b.end(), [](uint8_t x) { return x != 0; });
      s.sum = static_cast<double>(trues);
      s.min = trues == b.size() ? 1 : 0;
      s.max = trues > 0 ? 1 : 0;
      s.first = b.front() != 0;
      s.last = b.back() != 0;
      break;
    }
    case ValueType::kString:
      break;
  }
  return s;
}

std::string EncodeChunk(std::span<const TimestampNs> ts, const ValueColumn& values) {
  assert(!ts.empty() && ts.size() == ColumnSize(values));
  assert(ts.size() <= kMaxChunkSamples);
  assert(std::is_sorted(ts.begin(), ts.end()));
  // Release builds: a contract violation yields the empty string, which never decodes.
  if (ts.empty() || ts.size() != ColumnSize(values) || ts.size() > kMaxChunkSamples) return {};
  ChunkStats s = ComputeStats(ts, values);
  ValueType type = ColumnType(values);

  std::string out;
  out.push_back(static_cast<char>(kChunkFormatVersion));
  out.push_back(static_cast<char>(kChunkMinCompatibleVersion));  // raised below if needed
  out.push_back(static_cast<char>(type));
  PutVarint64(&out, s.count);
  PutFixed64(&out, static_cast<uint64_t>(s.min_ts));
  PutVarint64(&out, static_cast<uint64_t>(s.max_ts) - static_cast<uint64_t>(s.min_ts));
  switch (type) {
    case ValueType::kFloat:
    case ValueType::kInt:
      PutNumericStats(&out, {s.min, s.max, s.sum, s.first, s.last});
      break;
    case ValueType::kBool:
      PutVarint64(&out, static_cast<uint64_t>(s.sum));
      out.push_back(static_cast<char>((s.first != 0 ? 1 : 0) | (s.last != 0 ? 2 : 0)));
      break;
    case ValueType::kString:
      break;
  }

  std::string ts_section;
  uint8_t min_reader = EncodeTimestamps(ts, s.min_ts, &ts_section);
  PutLengthPrefixed(&out, ts_section);

  switch (type) {
    case ValueType::kFloat:
      min_reader = std::max(min_reader, EncodeFloats(std::get<std::vector<double>>(values), &out));
      break;
    case ValueType::kInt:
      min_reader = std::max(min_reader, IntModeVersion(EncodeIntStream(
                                            std::get<std::vector<int64_t>>(values), 0, &out)));
      break;
    case ValueType::kBool:
      EncodeBools(std::get<std::vector<uint8_t>>(values), &out);
      break;
    case ValueType::kString:
      EncodeStrings(std::get<std::vector<std::string>>(values), &out);
      break;
  }
  out[1] = static_cast<char>(std::max(kChunkMinCompatibleVersion, min_reader));
  return out;
}

Result<ChunkHeader> DecodeChunkHeader(std::string_view chunk) { return ParseHeader(&chunk); }

Status DecodeChunkInto(std::string_view chunk, DecodedChunk* out) {
  ASSIGN_OR_RETURN(ChunkHeader h, ParseHeader(&chunk));
  const size_t n = h.stats.count;
  std::string_view ts_section;
  if (!GetLengthPrefixed(&chunk, &ts_section)) return Corruption("chunk: truncated timestamps");
  // Every block of kBlockSize timestamps costs at least one byte: caps n by the input size.
  if (!IntStreamCountPlausible(n, ts_section.size())) return Corruption("chunk: count too large");
  out->ts.resize(n);
  RETURN_IF_ERROR(DecodeTimestamps(&ts_section, n, h.stats.min_ts, h.stats.max_ts, out->ts.data()));
  if (!ts_section.empty()) return Corruption("chunk: trailing bytes after timestamps");

  switch (h.type) {
    case ValueType::kFloat: {
      if (!std::holds_alternative<std::vector<double>>(out->values)) out->values.emplace<0>();
      auto& v = std::get<std::vector<double>>(out->values);
      v.resize(n);
      RETURN_IF_ERROR(DecodeFloats(&chunk, n, v.data()));
      break;
    }
    case ValueType::kInt: {
      if (!std::holds_alternative<std::vector<int64_t>>(out->values)) out->values.emplace<1>();
      auto& v = std::get<std::vector<int64_t>>(out->values);
      v.resize(n);
      RETURN_IF_ERROR(DecodeIntStream(&chunk, n, 0, v.data()));
      break;
    }
    case ValueType::kBool: {
      if (!std::holds_alternative<std::vector<uint8_t>>(out->values)) out->values.emplace<2>();
      auto& v = std::get<std::vector<uint8_t>>(out->values);
      v.resize(n);
      RETURN_IF_ERROR(DecodeBools(&chunk, n, v.data()));
      break;
    }
    case ValueType::kString: {
      if (!std::holds_alternative<std::vector<std::string>>(out->values)) {
        out->values.emplace<3>();
      }
      RETURN_IF_ERROR(DecodeStrings(&chunk, n, &std::get<std::vector<std::string>>(out->values)));
      break;
    }
  }
  if (!chunk.empty()) return Corruption("chunk: trailing bytes after values");
  return Status::OK();
}

Result<DecodedChunk> DecodeChunk(std::string_view chunk) {
  DecodedChunk out;
  RETURN_IF_ERROR(DecodeChunkInto(chunk, &out));
  return out;
}

}  // namespace verbund::storage
