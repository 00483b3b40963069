#include "storage/wal/batch_codec.h"

#include <bit>

#include "core/coding.h"

namespace verbund::storage::wal {

BatchEncoder::BatchEncoder(size_t expected_entries) { body_.reserve(expected_entries * 12 + 16); }

void BatchEncoder::Add(SeriesId id, TimestampNs ts, const Value& value) {
  PutVarint64(&body_, ZigZagEncode(static_cast<int64_t>(id - prev_id_)));
  PutVarint64(&body_, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(ts) -
                                                        static_cast<uint64_t>(prev_ts_))));
  prev_id_ = id;
  prev_ts_ = ts;
  body_.push_back(static_cast<char>(TypeOf(value)));
  switch (TypeOf(value)) {
    case ValueType::kFloat:
      PutFixed64(&body_, std::bit_cast<uint64_t>(std::get<double>(value)));
      break;
    case ValueType::kInt:
      PutVarint64(&body_, ZigZagEncode(std::get<int64_t>(value)));
      break;
    case ValueType::kBool:
      body_.push_back(std::get<bool>(value) ? 1 : 0);
      break;
    case ValueType::kString:
      PutLengthPrefixed(&body_, std::get<std::string>(value));
      break;
  }
  ++count_;
}

std::string BatchEncoder::Finish() {
  std::string out;
  out.reserve(body_.size() + 10);
  PutVarint64(&out, count_);
  out.append(body_);
  body_.clear();
  count_ = 0;
  prev_id_ = 0;
  prev_ts_ = 0;
  return out;
}

Result<std::vector<DecodedEntry>> DecodeBatch(std::string_view in) {
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return Corruption("bad batch count");
  std::vector<DecodedEntry> out;
  out.reserve(n);
  SeriesId id = 0;
  TimestampNs ts = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t did = 0, dts = 0;
    if (!GetVarint64(&in, &did) || !GetVarint64(&in, &dts) || in.empty()) {
      return Corruption("truncated batch entry");
    }
    id += static_cast<SeriesId>(ZigZagDecode(did));
    ts = static_cast<TimestampNs>(static_cast<uint64_t>(ts) +
                                  static_cast<uint64_t>(ZigZagDecode(dts)));
    const auto type = static_cast<ValueType>(in[0]);
    in.remove_prefix(1);
    switch (type) {
      case ValueType::kFloat: {
        uint64_t bits = 0;
        if (!GetFixed64(&in, &bits)) return Corruption("truncated float");
        out.push_back({id, ts, Value(std::bit_cast<double>(bits))});
        break;
      }
      case ValueType::kInt: {
        uint64_t v = 0;
        if (!GetVarint64(&in, &v)) return Corruption("truncated int");
        out.push_back({id, ts, Value(ZigZagDecode(v))});
        break;
      }
      case ValueType::kBool:
        if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return Corruption("bad bool");
        out.push_back({id, ts, Value(in[0] == 1)});
        in.remove_prefix(1);
        break;
      case ValueType::kString: {
        std::string_view s;
        if (!GetLengthPrefixed(&in, &s)) return Corruption("truncated string");
        out.push_back({id, ts, Value(std::string(s))});
        break;
      }
      default:
        return Corruption("unknown value type " + std::to_string(static_cast<int>(type)));
    }
  }
  if (!in.empty()) return Corruption("trailing bytes after batch");
  return out;
}

std::string EncodeDelete(const DeleteRecord& d) {
  std::string out;
  PutVarint64(&out, ZigZagEncode(d.from));
  PutVarint64(&out, ZigZagEncode(d.to));
  PutVarint64(&out, d.ids.size());
  for (SeriesId id : d.ids) PutVarint64(&out, id);
  return out;
}

Result<DeleteRecord> DecodeDelete(std::string_view in) {
  DeleteRecord d;
  uint64_t from = 0, to = 0, n = 0;
  if (!GetVarint64(&in, &from) || !GetVarint64(&in, &to) || !GetVarint64(&in, &n) ||
      n > in.size()) {
    return Corruption("bad delete record");
  }
  d.from = ZigZagDecode(from);
  d.to = ZigZagDecode(to);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!GetVarint64(&in, &id)) return Corruption("truncated delete record");
    d.ids.push_back(id);
  }
  if (!in.empty()) return Corruption("trailing bytes after delete record");
  return d;
}

}  // namespace verbund::storage::wal
