#include "ingest/payload_decoder.h"

#include <charconv>
#include <chrono>
#include <cmath>

namespace verbund::ingest {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int64_t UnitNs(std::string_view unit) {
  if (unit == "s") return 1'000'000'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "us") return 1'000;
  return 1;
}

void Flatten(const simdjson::dom::element& e, std::string& prefix, std::string_view time_field,
             DecodedPayload* out, std::optional<simdjson::dom::element>* time_value, int depth) {
  if (depth > 32) return;  // bounded recursion on hostile nesting
  for (auto [key, value] : simdjson::dom::object(e)) {
    size_t mark = prefix.size();
    if (!prefix.empty()) prefix.push_back('.');
    prefix.append(key.data(), key.size());
    if (prefix == time_field) {
      *time_value = value;  // the timestamp, not a field
    } else {
      switch (value.type()) {
        case simdjson::dom::element_type::OBJECT:
          Flatten(value, prefix, time_field, out, time_value, depth + 1);
          break;
        case simdjson::dom::element_type::ARRAY:
          ++out->skipped_arrays;
          break;
        case simdjson::dom::element_type::INT64:
          out->fields.emplace_back(prefix, static_cast<double>(int64_t(value)));
          break;
        case simdjson::dom::element_type::UINT64:
          out->fields.emplace_back(prefix, static_cast<double>(uint64_t(value)));
          break;
        case simdjson::dom::element_type::DOUBLE:
          out->fields.emplace_back(prefix, double(value));
          break;
        case simdjson::dom::element_type::BOOL:
          out->fields.emplace_back(prefix, bool(value));
          break;
        case simdjson::dom::element_type::STRING:
          out->fields.emplace_back(prefix, std::string(std::string_view(value)));
          break;
        case simdjson::dom::element_type::NULL_VALUE:
          break;
      }
    }
    prefix.resize(mark);
  }
}

}  // namespace

Result<TimestampNs> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return InvalidArgument("not an RFC 3339 time: '" + std::string(s.substr(0, 40)) + "'");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return InvalidArgument("RFC 3339 time out of range: '" + std::string(s.substr(0, 40)) + "'");
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) frac_ns = frac_ns * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return InvalidArgument("RFC 3339 time: empty fraction");
    for (int i = digits; i < 9; ++i) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return InvalidArgument("RFC 3339 time: bad offset");
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return InvalidArgument("RFC 3339 time: missing zone");
  }
  if (pos != s.size()) return InvalidArgument("RFC 3339 time: trailing characters");
  using namespace std::chrono;
  auto ymd = year_month_day{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return InvalidArgument("RFC 3339 time: no such date");
  int64_t days = sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * 1'000'000'000 + frac_ns;
}

Result<DecodedPayload> PayloadDecoder::Decode(std::string_view payload, PayloadFormat format,
                                              std::string_view time_field,
                                              std::string_view time_unit) {
  DecodedPayload out;
  if (format == PayloadFormat::kIgnore) return out;
  if (format == PayloadFormat::kNumber) {
    std::string_view s = payload;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
      return Malformed("payload is not a number");
    }
    out.fields.emplace_back("value", v);
    return out;
  }
  simdjson::dom::element root;
  auto error = parser_.parse(payload.data(), payload.size(), true).get(root);
  if (error) return Malformed(std::string("payload is not JSON: ") + simdjson::error_message(error));
  std::optional<simdjson::dom::element> time_value;
  switch (root.type()) {
    case simdjson::dom::element_type::OBJECT: {
      std::string prefix;
      Flatten(root, prefix, time_field, &out, &time_value, 0);
      break;
    }
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      out.fields.emplace_back("value", double(root));
      break;
    case simdjson::dom::element_type::BOOL:
      out.fields.emplace_back("value", bool(root));
      break;
    default:
      return Malformed("JSON payload is neither an object nor a number");
  }
  if (time_value) {
    const simdjson::dom::element& tv = *time_value;
    if (tv.is_string()) {
      if (time_unit != "rfc3339") return Malformed("time field is a string but time_unit is a number unit");
      ASSIGN_OR_RETURN(out.timestamp, ParseRfc3339(std::string_view(tv)));
    } else if (tv.is_number()) {
      double n = double(tv);
      if (!std::isfinite(n)) return Malformed("time field is not finite");
      int64_t unit = UnitNs(time_unit == "rfc3339" ? "ms" : time_unit);
      double ns = n * static_cast<double>(unit);
      if (std::abs(ns) > 9.2e18) return Malformed("time field out of range");
      out.timestamp = tv.is_int64() ? int64_t(tv) * unit : static_cast<int64_t>(ns);
    } else {
      return Malformed("time field is neither a string nor a number");
    }
  }
  return out;
}

}  // namespace verbund::ingest
