#include "ingest/line_protocol.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace verbund::ingest {
namespace {

constexpr size_t kMaxKeyLength = 65535;  // InfluxDB models.MaxKeyLength
constexpr int64_t kMinNanoTime = std::numeric_limits<int64_t>::min() + 2;
constexpr int64_t kMaxNanoTime = std::numeric_limits<int64_t>::max() - 1;
constexpr const char* kTimeOutOfRange =
    "time outside range -9223372036854775806 - 9223372036854775806";

inline bool IsNumeric(char c) { return (c >= '0' && c <= '9') || c == '.'; }
inline bool IsSkippableSpace(char c) { return c == ' ' || c == '\t' || c == '\0'; }

// A boolean value whose first byte is already known to be t, T, f or F.
inline bool IsBooleanWord(std::string_view v) {
  return v.size() == 1 || v == "true" || v == "True" || v == "TRUE" || v == "false" ||
         v == "False" || v == "FALSE";
}

size_t SkipWhitespace(std::string_view b, size_t i) {
  while (i < b.size() && IsSkippableSpace(b[i])) ++i;
  return i;
}

// Which escape sequences a component understands ("\" + one of `chars` drops the backslash).
enum class EscapeSet { kMeasurement, kTag, kFieldKey };

inline bool Escapable(EscapeSet set, char c) {
  switch (set) {
    case EscapeSet::kMeasurement: return c == ',' || c == ' ';
    case EscapeSet::kTag: return c == ',' || c == ' ' || c == '=';
    case EscapeSet::kFieldKey: return c == ',' || c == ' ' || c == '=' || c == '"';
  }
  return false;
}

}  // namespace

Precision ParsePrecision(std::string_view s) {
  if (s == "u" || s == "us" || s == "\xc2\xb5") return Precision::kMicrosecond;
  if (s == "ms") return Precision::kMillisecond;
  if (s == "s") return Precision::kSecond;
  if (s == "m") return Precision::kMinute;
  if (s == "h") return Precision::kHour;
  return Precision::kNanosecond;
}

int64_t PrecisionNs(Precision p) {
  switch (p) {
    case Precision::kNanosecond: return 1;
    case Precision::kMicrosecond: return 1'000;
    case Precision::kMillisecond: return 1'000'000;
    case Precision::kSecond: return 1'000'000'000;
    case Precision::kMinute: return 60'000'000'000;
    case Precision::kHour: return 3'600'000'000'000;
  }
  return 1;
}

std::string ParsedBatch::ErrorText() const {
  std::string out;
  for (const LineError& e : errors_) {
    if (!out.empty()) out.push_back('\n');
    out += e.message;
  }
  return out;
}

std::string PartialWriteError(std::string_view reason, size_t dropped) {
  std::string out = "partial write: ";
  out += reason;
  out += " dropped=";
  out += std::to_string(dropped);
  return out;
}

// Parses lines into a ParsedBatch. One instance per body.
class LineParser {
 public:
  LineParser(ParsedBatch* batch, const ParseOptions& options)
      : batch_(batch), options_(options), mult_(PrecisionNs(options.precision)) {
    TimestampNs now = options.now;
    int64_t rem = now % mult_;
    if (rem < 0) rem += mult_;
    default_ts_ = now - rem;
  }

  void ParseBody(std::string_view body);
  // Points the spans of every point at the final tag and field arrays.
  void Finish();

 private:
  struct PointOffsets {
    size_t tag_begin, tag_count, field_begin, field_count;
  };
  // What the first good line with a series text parsed to, for the lines repeating that text.
  struct SeriesMemo {
    std::string_view measurement;
    size_t tag_begin, tag_count;
    // Field keys of the latest good line without quotes or backslashes that the general path
    // parsed with this series text (count 0 until there is one): such keys contain no ' ', ','
    // or '=', so matching them byte for byte reads a line exactly as ParsePoint would.
    size_t field_begin = 0, field_count = 0;
  };

  // Returns false with *reason set when the line is invalid.
  bool ParsePoint(std::string_view b, uint32_t line, std::string* reason);
  // The fast path for a line without quotes or backslashes whose series text is memoised and
  // whose fields repeat the memo's keys in order with plain values (see FastValue). Returns
  // false, having added nothing, for any other line: ParsePoint then parses it (and words its
  // errors), so both paths accept the same lines with the same results.
  bool ParseKnownSeries(std::string_view b, uint32_t line);
  // Records a good point: its series index (a new memo for a new series text), its spans.
  void AddPoint(Point pt, size_t tag_begin, size_t tag_count, size_t field_begin);
  bool ScanNumber(std::string_view b, size_t* pos, std::string* reason);
  bool ScanBoolean(std::string_view b, size_t* pos, std::string* reason);
  bool ConvertField(std::string_view key, std::string_view value, std::string* reason);
  std::string_view Unescape(std::string_view raw, EscapeSet set);
  std::string_view UnescapeStringValue(std::string_view raw);

  // The line being parsed has no backslash (nothing to unescape) and no quote.
  bool line_plain_ = false;
  ParsedBatch* batch_;
  const ParseOptions& options_;
  int64_t mult_;
  TimestampNs default_ts_;
  std::vector<PointOffsets> offsets_;
  std::unordered_map<std::string_view, uint32_t> series_index_;  // series text -> memos_ index
  std::vector<SeriesMemo> memos_;
};

std::string_view LineParser::Unescape(std::string_view raw, EscapeSet set) {
  if (line_plain_ || raw.find('\\') == std::string_view::npos) return raw;
  std::string& out = batch_->unescaped_.emplace_back();
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && Escapable(set, raw[i + 1])) {
      out.push_back(raw[++i]);
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

std::string_view LineParser::UnescapeStringValue(std::string_view raw) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  std::string& out = batch_->unescaped_.emplace_back();
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '\\' || raw[i + 1] == '"')) {
      out.push_back(raw[++i]);
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

void LineParser::ParseBody(std::string_view body) {
  // Room for typical lines (TSBS: ~230 bytes, 5 fields, 8 tags) so the arrays grow rarely; unused
  // capacity is never touched.
  batch_->points_.reserve(body.size() / 128 + 16);
  offsets_.reserve(body.size() / 128 + 16);
  batch_->fields_.reserve(body.size() / 32 + 16);
  batch_->tags_.reserve(body.size() / 32 + 16);
  const char* base = body.data();
  const size_t n = body.size();
  size_t pos = 0;
  uint32_t line_no = 1;
  std::string reason;
  while (pos < n) {
    const size_t start = pos;
    size_t end;
    uint32_t extra_lines = 0;
    // Fast path: a line without quotes or backslashes ends at the next newline.
    const void* nl = std::memchr(base + start, '\n', n - start);
    size_t seg_end = nl ? static_cast<const char*>(nl) - base : n;
    std::string_view seg(base + start, seg_end - start);
    line_plain_ =
        seg.find('"') == std::string_view::npos && seg.find('\\') == std::string_view::npos;
    if (line_plain_) {
      end = seg_end;
    } else {
      // InfluxDB's scanLine: escapes skip a byte; quotes in the field section hide newlines.
      bool quoted = false, fields = false;
      int equals = 0, commas = 0;
      size_t i = start;
      while (i < n) {
        char c = base[i];
        if (c == '\\') {
          if (i + 1 < n && base[i + 1] == '\n') ++extra_lines;
          i += 2;
          continue;
        }
        if (c == ' ') fields = true;
        if (fields) {
          if (!quoted && c == '=') {
            ++i;
            ++equals;
            continue;
          }
          if (!quoted && c == ',') {
            ++i;
            ++commas;
            continue;
          }
          if (c == '"' && equals > commas) {
            ++i;
            quoted = !quoted;
            continue;
          }
        }
        if (c == '\n') {
          if (!quoted) break;
          ++extra_lines;
        }
        ++i;
      }
      end = std::min(i, n);
    }
    pos = end + 1;
    const uint32_t this_line = line_no;
    line_no += 1 + extra_lines;

    std::string_view block(base + start, end - start);
    size_t s = SkipWhitespace(block, 0);
    if (s >= block.size() || block[s] == '#') continue;
    if (block.back() == '\n') block.remove_suffix(1);
    block.remove_prefix(s);
    if (block.empty()) continue;

    if (options_.max_line_bytes != 0 && block.size() > options_.max_line_bytes) {
      std::string msg = "unable to parse '";
      msg.append(block.substr(0, 64));
      msg += "...': line too long (" + std::to_string(block.size()) + " > " +
             std::to_string(options_.max_line_bytes) + " bytes)";
      batch_->errors_.push_back({this_line, std::move(msg)});
      continue;
    }
    if (line_plain_ && options_.reuse_series && ParseKnownSeries(block, this_line)) continue;
    const size_t tag_mark = batch_->tags_.size();
    const size_t field_mark = batch_->fields_.size();
    reason.clear();
    if (!ParsePoint(block, this_line, &reason)) {
      batch_->tags_.resize(tag_mark);
      batch_->fields_.resize(field_mark);
      std::string msg;
      msg.reserve(block.size() + reason.size() + 20);
      msg += "unable to parse '";
      msg.append(block);
      msg += "': ";
      msg += reason;
      batch_->errors_.push_back({this_line, std::move(msg)});
    }
  }
}

bool LineParser::ScanNumber(std::string_view b, size_t* pos, std::string* reason) {
  const size_t start = *pos;
  size_t i = start;
  bool is_int = false, is_unsigned = false, decimal = false, scientific = false;
  const size_t n = b.size();
  auto invalid = [&] {
    *pos = i;
    *reason = "invalid number";
    return false;
  };
  if (i < n && b[i] == '-') {
    ++i;
    if (i == n) return invalid();
  }
  for (; i < n; ++i) {
    char c = b[i];
    if (c == ',' || c == ' ') break;
    if (c == 'i' && i > start && !(is_int || is_unsigned)) {
      is_int = true;
      continue;
    }
    if (c == 'u' && i > start && !(is_int || is_unsigned)) {
      is_unsigned = true;
      continue;
    }
    if (c == '.') {
      if (decimal) return invalid();
      decimal = true;
    }
    if (i > start && (c == 'e' || c == 'E')) {
      scientific = true;
      continue;
    }
    if ((c == '+' || c == '-') && (b[i - 1] == 'e' || b[i - 1] == 'E')) continue;
    if (!IsNumeric(c)) return invalid();
  }
  if ((is_int || is_unsigned) && (decimal || scientific)) return invalid();
  size_t digits = i - start;
  if (is_int) --digits;
  if (decimal) --digits;
  if (b[start] == '-') --digits;
  if (digits == 0) return invalid();
  *pos = i;
  if (is_int) {
    if (b[i - 1] != 'i') return invalid();
    std::string_view num = b.substr(start, i - 1 - start);
    if (num.size() >= 19) {
      int64_t v;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec != std::errc() || p != num.data() + num.size()) {
        *reason = "unable to parse integer " + std::string(num) +
                  ": strconv.ParseInt: parsing \"" + std::string(num) + "\": value out of range";
        return false;
      }
    }
  } else if (is_unsigned) {
    if (b[i - 1] != 'u' || b[start] == '-') return invalid();
    std::string_view num = b.substr(start, i - 1 - start);
    if (num.size() >= 20) {
      uint64_t v;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec != std::errc() || p != num.data() + num.size()) {
        *reason = "unable to parse unsigned " + std::string(num) +
                  ": strconv.ParseUint: parsing \"" + std::string(num) + "\": value out of range";
        return false;
      }
    }
  } else if (scientific) {
    std::string_view num = b.substr(start, i - start);
    double v;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size()) {
      *reason = "invalid float";
      return false;
    }
  }
  return true;
}

bool LineParser::ScanBoolean(std::string_view b, size_t* pos, std::string* reason) {
  const size_t start = *pos;
  size_t i = start;
  const size_t n = b.size();
  *reason = "invalid boolean";
  if (i < n && b[i] != 't' && b[i] != 'f' && b[i] != 'T' && b[i] != 'F') {
    *pos = i;
    return false;
  }
  ++i;
  while (i < n && b[i] != ',' && b[i] != ' ') ++i;
  *pos = i;
  return IsBooleanWord(b.substr(start, i - start));
}

bool LineParser::ConvertField(std::string_view key, std::string_view value,
                              std::string* reason) {
  Field f;
  f.key = Unescape(key, EscapeSet::kFieldKey);
  if (value.empty()) {
    *reason = "missing field value";
    return false;
  }
  const char c0 = value[0];
  if (c0 == '"') {
    f.type = FieldType::kString;
    f.s = value.size() >= 2 ? UnescapeStringValue(value.substr(1, value.size() - 2))
                            : std::string_view();
  } else if (c0 == 't' || c0 == 'T') {
    f.type = FieldType::kBoolean;
    f.b = true;
  } else if (c0 == 'f' || c0 == 'F') {
    f.type = FieldType::kBoolean;
    f.b = false;
  } else if (value.back() == 'i') {
    f.type = FieldType::kInteger;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size() - 1, f.i);
    if (ec != std::errc() || p != value.data() + value.size() - 1) {
      *reason = "invalid number";
      return false;
    }
  } else if (value.back() == 'u') {
    f.type = FieldType::kUnsigned;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size() - 1, f.u);
    if (ec != std::errc() || p != value.data() + value.size() - 1) {
      *reason = "invalid number";
      return false;
    }
  } else {
    f.type = FieldType::kFloat;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), f.f);
    if (ec != std::errc() || p != value.data() + value.size()) {
      *reason = "invalid float";
      return false;
    }
  }
  batch_->fields_.push_back(f);
  return true;
}

bool LineParser::ParsePoint(std::string_view b, uint32_t line, std::string* reason) {
  const size_t n = b.size();
  // Measurement.
  if (n == 0 || b[0] == ',') {
    *reason = "missing measurement";
    return false;
  }
  size_t i = 0;
  bool has_tags = false;
  for (;;) {
    ++i;
    if (i >= n) {
      *reason = "missing fields";
      return false;
    }
    if (b[i - 1] == '\\') continue;
    if (b[i] == ',') {
      has_tags = true;
      break;
    }
    if (b[i] == ' ') break;
  }
  Point pt;
  pt.line = line;
  pt.measurement = Unescape(b.substr(0, i), EscapeSet::kMeasurement);
  const size_t tag_begin = batch_->tags_.size();
  if (has_tags) {
    ++i;
    for (;;) {
      // Tag key.
      const size_t ks = i;
      if (i >= n || b[i] == ' ' || b[i] == ',' || b[i] == '=') {
        *reason = "missing tag key";
        return false;
      }
      for (;;) {
        ++i;
        if (i >= n || ((b[i] == ' ' || b[i] == ',') && b[i - 1] != '\\')) {
          *reason = "missing tag value";
          return false;
        }
        if (b[i] == '=' && b[i - 1] != '\\') break;
      }
      std::string_view key = b.substr(ks, i - ks);
      ++i;
      // Tag value.
      const size_t vs = i;
      if (i >= n || b[i] == ',' || b[i] == ' ') {
        *reason = "missing tag value";
        return false;
      }
      bool more = false;
      for (;;) {
        ++i;
        if (i >= n) {
          *reason = "missing fields";
          return false;
        }
        if (b[i] == '=' && b[i - 1] != '\\') {
          *reason = "invalid tag format";
          return false;
        }
        if (b[i] == ',' && b[i - 1] != '\\') {
          more = true;
          break;
        }
        if (b[i] == ' ' && b[i - 1] != '\\') break;
      }
      batch_->tags_.push_back(
          {Unescape(key, EscapeSet::kTag), Unescape(b.substr(vs, i - vs), EscapeSet::kTag)});
      if (!more) break;
      ++i;
    }
    auto tb = batch_->tags_.begin() + static_cast<ptrdiff_t>(tag_begin);
    auto te = batch_->tags_.end();
    auto by_key = [](const Tag& x, const Tag& y) { return x.key < y.key; };
    if (!std::is_sorted(tb, te, by_key)) std::sort(tb, te, by_key);
    for (auto it = tb; it + 1 < te; ++it) {
      if (it->key == (it + 1)->key) {
        *reason = "duplicate tags";
        return false;
      }
    }
  }
  const size_t key_len = i;  // measurement and tags, escaped, as InfluxDB counts them
  pt.series = b.substr(0, key_len);
  if (key_len > kMaxKeyLength) {
    *reason = "max key length exceeded: " + std::to_string(key_len) + " > " +
              std::to_string(kMaxKeyLength);
    return false;
  }

  // Field section: validate exactly like InfluxDB's scanFields.
  const size_t fs = SkipWhitespace(b, i);
  i = fs;
  {
    bool quoted = false;
    int equals = 0, commas = 0;
    while (i < n) {
      const char c = b[i];
      if (c == '\\' && i + 1 < n) {
        i += 2;
        continue;
      }
      if (c == '"' && equals > commas) {
        quoted = !quoted;
        ++i;
        continue;
      }
      if (c == '=' && !quoted) {
        ++equals;
        if ((b[i - 1] == ' ' || b[i - 1] == ',') && b[i - 2] != '\\') {
          *reason = "missing field key";
          return false;
        }
        if (i + 1 >= n || b[i + 1] == ',' || b[i + 1] == ' ') {
          *reason = "missing field value";
          return false;
        }
        const char v = b[i + 1];
        if (IsNumeric(v) || v == '-' || v == 'N' || v == 'n') {
          size_t p = i + 1;
          if (!ScanNumber(b, &p, reason)) return false;
          i = p;
          continue;
        }
        if (v != '"') {
          size_t p = i + 1;
          if (!ScanBoolean(b, &p, reason)) return false;
          i = p;
          continue;
        }
      }
      if (c == ',' && !quoted) ++commas;
      if (c == ' ' && !quoted) break;
      ++i;
    }
    if (quoted) {
      *reason = "unbalanced quotes";
      return false;
    }
    if (equals == 0 || commas != equals - 1) {
      *reason = "invalid field format";
      return false;
    }
  }
  const size_t fe = i;

  // Per-field key length check (InfluxDB: series key + "#!~#" + field key).
  // Walk fields: key up to an unescaped '=', value up to an unquoted ','.
  struct RawField {
    std::string_view key, value;
  };
  RawField raw_small[16];
  std::vector<RawField> raw_big;
  size_t raw_count = 0;
  auto add_raw = [&](RawField r) {
    if (raw_count < 16) {
      raw_small[raw_count] = r;
    } else {
      if (raw_big.empty()) raw_big.assign(raw_small, raw_small + 16);
      raw_big.push_back(r);
    }
    ++raw_count;
  };
  for (size_t p = fs; p < fe;) {
    size_t k = p;
    while (k < fe && !(b[k] == '=' && (k == p || b[k - 1] != '\\'))) ++k;
    std::string_view key = b.substr(p, k - p);
    if (key.empty()) {
      // Reachable only through a NUL/tab before '=' (skipped as whitespace); InfluxDB would
      // accept an empty field key here, Verbund refuses it.
      *reason = "missing field key";
      return false;
    }
    size_t v = k + 1;
    const size_t vs = v;
    bool quoted = false;
    while (v < fe) {
      if (b[v] == '\\' && v + 1 < fe && (b[v + 1] == '"' || b[v + 1] == '\\')) {
        v += 2;
        continue;
      }
      if (b[v] == '"') {
        quoted = !quoted;
        ++v;
        continue;
      }
      if (b[v] == ',' && !quoted) break;
      ++v;
    }
    std::string_view value = vs <= fe ? b.substr(vs, std::min(v, fe) - vs) : std::string_view();
    if (key_len + 4 + key.size() > kMaxKeyLength) {
      *reason = "max key length exceeded: " + std::to_string(key_len + 4 + key.size()) + " > " +
                std::to_string(kMaxKeyLength);
      return false;
    }
    add_raw({key, value});
    p = v + 1;
  }

  // Timestamp.
  const size_t ts_start = SkipWhitespace(b, fe);
  i = ts_start;
  while (i < n && b[i] != '\n' && b[i] != ' ') {
    if (i == ts_start && b[i] == '-') {
      ++i;
      continue;
    }
    if (b[i] < '0' || b[i] > '9') {
      *reason = "bad timestamp";
      return false;
    }
    ++i;
  }
  std::string_view ts_text = b.substr(ts_start, i - ts_start);
  if (ts_text.empty()) {
    pt.ts = default_ts_;
  } else {
    int64_t ts;
    auto [p, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
    if (ec != std::errc() || p != ts_text.data() + ts_text.size()) {
      *reason = "strconv.ParseInt: parsing \"" + std::string(ts_text) + "\": " +
                (ec == std::errc::result_out_of_range ? "value out of range" : "invalid syntax");
      return false;
    }
    int64_t scaled;
    if (__builtin_mul_overflow(ts, mult_, &scaled) || scaled < kMinNanoTime ||
        scaled > kMaxNanoTime) {
      *reason = kTimeOutOfRange;
      return false;
    }
    pt.ts = scaled;
    for (; i < n; ++i) {
      if (b[i] != ' ') {
        *reason = "point is invalid";
        return false;
      }
    }
  }

  // Typed field values; a repeated key keeps its last value (InfluxDB builds a map).
  const size_t field_begin = batch_->fields_.size();
  const RawField* raws = raw_count <= 16 ? raw_small : raw_big.data();
  for (size_t r = 0; r < raw_count; ++r) {
    if (!ConvertField(raws[r].key, raws[r].value, reason)) return false;
  }
  const size_t nf = batch_->fields_.size() - field_begin;
  if (nf > 1) {
    Field* f = batch_->fields_.data() + field_begin;
    size_t out = 0;
    if (nf <= 32) {
      for (size_t r = 0; r < nf; ++r) {
        size_t j = 0;
        while (j < out && f[j].key != f[r].key) ++j;
        f[j] = f[r];
        if (j == out) ++out;
      }
    } else {
      std::unordered_map<std::string_view, size_t> slot;
      for (size_t r = 0; r < nf; ++r) {
        auto [it, inserted] = slot.emplace(f[r].key, out);
        f[it->second] = f[r];
        if (inserted) ++out;
      }
    }
    batch_->fields_.resize(field_begin + out);
  }
  AddPoint(pt, tag_begin, batch_->tags_.size() - tag_begin, field_begin);
  return true;
}

void LineParser::AddPoint(Point pt, size_t tag_begin, size_t tag_count, size_t field_begin) {
  const size_t field_count = batch_->fields_.size() - field_begin;
  auto [it, inserted] = series_index_.try_emplace(pt.series, static_cast<uint32_t>(memos_.size()));
  if (inserted) memos_.push_back({pt.measurement, tag_begin, tag_count});
  if (line_plain_) {
    memos_[it->second].field_begin = field_begin;
    memos_[it->second].field_count = field_count;
  }
  pt.series_index = it->second;
  // Spans are fixed up in Finish() once the vectors stop growing; keep offsets until then.
  batch_->points_.push_back(pt);
  offsets_.push_back({tag_begin, tag_count, field_begin, field_count});
}

namespace {

constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Digits [p, end) as an unsigned number; false unless 1..max_digits digits and nothing else.
bool ParseDigits(const char* p, const char* end, size_t max_digits, uint64_t* out) {
  const size_t n = static_cast<size_t>(end - p);
  if (n == 0 || n > max_digits) return false;
  uint64_t v = 0;
  for (; p < end; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// A field value in the forms ParsePoint accepts and converts the same way: booleans, integers
// (`i`, up to 18 digits) and unsigned (`u`, up to 19 digits) that cannot overflow, and decimal
// floats without exponent. False for anything else (strings, exponents, long numbers, errors).
bool FastValue(std::string_view v, Field* f) {
  if (v.empty()) return false;
  const char* p = v.data();
  const char* end = p + v.size();
  const char c0 = v[0];
  if (c0 == 't' || c0 == 'T' || c0 == 'f' || c0 == 'F') {
    if (!IsBooleanWord(v)) return false;
    f->type = FieldType::kBoolean;
    f->b = c0 == 't' || c0 == 'T';
    return true;
  }
  const bool negative = c0 == '-';
  if (negative) ++p;
  uint64_t u = 0;
  if (v.back() == 'i') {
    if (!ParseDigits(p, end - 1, 18, &u)) return false;
    f->type = FieldType::kInteger;
    f->i = negative ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
    return true;
  }
  if (v.back() == 'u') {
    if (negative || !ParseDigits(p, end - 1, 19, &u)) return false;
    f->type = FieldType::kUnsigned;
    f->u = u;
    return true;
  }
  // [-] digits [. digits], at least one digit: exact when the digits fit 2^53 and the scale is
  // an exact power of ten (one correctly rounded division, as std::from_chars would give).
  const char* dot = static_cast<const char*>(std::memchr(p, '.', static_cast<size_t>(end - p)));
  uint64_t whole = 0, frac = 0;
  const size_t whole_digits = static_cast<size_t>((dot ? dot : end) - p);
  const size_t frac_digits = dot ? static_cast<size_t>(end - dot - 1) : 0;
  if (whole_digits + frac_digits == 0 || whole_digits + frac_digits > 15) return false;
  if (whole_digits > 0 && !ParseDigits(p, p + whole_digits, 15, &whole)) return false;
  if (frac_digits > 0 && !ParseDigits(dot + 1, end, 15, &frac)) return false;
  const uint64_t mantissa = whole * static_cast<uint64_t>(kExactPow10[frac_digits]) + frac;
  double d = static_cast<double>(mantissa);  // < 10^15 < 2^53: exact
  if (frac_digits > 0) d /= kExactPow10[frac_digits];
  f->type = FieldType::kFloat;
  f->f = negative ? -d : d;
  return true;
}

}  // namespace

bool LineParser::ParseKnownSeries(std::string_view b, uint32_t line) {
  const size_t n = b.size();
  const char* sp = static_cast<const char*>(std::memchr(b.data(), ' ', n));
  if (sp == nullptr) return false;
  const size_t key_len = static_cast<size_t>(sp - b.data());
  auto it = series_index_.find(b.substr(0, key_len));
  if (it == series_index_.end()) return false;
  const SeriesMemo& memo = memos_[it->second];
  const size_t field_begin = batch_->fields_.size();
  auto fail = [&] {
    batch_->fields_.resize(field_begin);
    return false;
  };
  size_t i = key_len + 1;
  size_t k = 0;
  for (;;) {
    if (k == memo.field_count) return fail();
    const std::string_view key = batch_->fields_[memo.field_begin + k].key;
    if (n - i <= key.size() || std::memcmp(b.data() + i, key.data(), key.size()) != 0 ||
        b[i + key.size()] != '=') {
      return fail();
    }
    i += key.size() + 1;
    const size_t vs = i;
    while (i < n && b[i] != ',' && b[i] != ' ') ++i;
    Field f;
    f.key = key;
    if (!FastValue(b.substr(vs, i - vs), &f)) return fail();
    batch_->fields_.push_back(f);
    ++k;
    if (i == n || b[i] == ' ') break;
    ++i;  // ','
  }
  if (k != memo.field_count) return fail();
  Point pt;
  pt.line = line;
  pt.measurement = memo.measurement;
  pt.series = b.substr(0, key_len);
  if (i == n) {
    pt.ts = default_ts_;
  } else {
    // One space, then a timestamp of up to 19 digits (no sign) ending the line.
    uint64_t ts = 0;
    int64_t scaled;
    if (!ParseDigits(b.data() + i + 1, b.data() + n, 19, &ts) ||
        ts > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(static_cast<int64_t>(ts), mult_, &scaled) || scaled > kMaxNanoTime) {
      return fail();
    }
    pt.ts = scaled;
  }
  AddPoint(pt, memo.tag_begin, memo.tag_count, field_begin);
  return true;
}

void LineParser::Finish() {
  batch_->series_count_ = memos_.size();
  for (size_t p = 0; p < offsets_.size(); ++p) {
    const PointOffsets& o = offsets_[p];
    batch_->points_[p].tags = std::span<const Tag>(batch_->tags_.data() + o.tag_begin, o.tag_count);
    batch_->points_[p].fields =
        std::span<const Field>(batch_->fields_.data() + o.field_begin, o.field_count);
  }
}

std::vector<std::string_view> SplitLines(std::string_view body, size_t max_pieces,
                                         size_t min_piece_bytes) {
  std::vector<std::string_view> out;
  size_t pieces = std::min(max_pieces, body.size() / std::max<size_t>(min_piece_bytes, 1));
  if (pieces <= 1 || body.find('"') != std::string_view::npos) {
    out.push_back(body);
    return out;
  }
  const size_t step = body.size() / pieces;
  size_t start = 0;
  for (size_t k = 1; k < pieces && start < body.size(); ++k) {
    // The first unescaped newline at or after the even cut; ParseBody's scan lands on every
    // byte after a non-backslash, so such a newline ends a line there too.
    size_t nl = std::max(start, k * step);
    while ((nl = body.find('\n', nl)) != std::string_view::npos && nl > 0 && body[nl - 1] == '\\') {
      ++nl;
    }
    if (nl == std::string_view::npos) break;
    out.push_back(body.substr(start, nl + 1 - start));
    start = nl + 1;
  }
  if (start < body.size() || out.empty()) out.push_back(body.substr(start));
  return out;
}

ParsedBatch ParseLineProtocol(std::string_view body, const ParseOptions& options) {
  ParsedBatch batch;
  LineParser parser(&batch, options);
  parser.ParseBody(body);
  parser.Finish();
  return batch;
}

}  // namespace verbund::ingest
