#include "query/json_format.h"

#include <charconv>
#include <cmath>

namespace verbund::query {

EpochUnit ParseEpoch(std::string_view s) {
  if (s.empty()) return EpochUnit::kRfc3339;
  if (s == "h") return EpochUnit::kHour;
  if (s == "m") return EpochUnit::kMinute;
  if (s == "s") return EpochUnit::kSecond;
  if (s == "ms") return EpochUnit::kMillisecond;
  if (s == "u" || s == "us" || s == "\xc2\xb5") return EpochUnit::kMicrosecond;
  return EpochUnit::kNanosecond;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8Len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 >= 0xA0) return 0; // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c == 0xF4 && c1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

namespace {

// Printable ASCII that JSON (as Go writes it) passes through unchanged.
inline bool PlainJsonByte(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Runs of bytes that need no escaping are copied at once.
    size_t run = i;
    while (run < s.size() && PlainJsonByte(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      out->append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': *out += "\\\""; break;
        case '\\': *out += "\\\\"; break;
        case '\n': *out += "\\n"; break;
        case '\r': *out += "\\r"; break;
        case '\t': *out += "\\t"; break;
        case '<': case '>': case '&':
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
          break;
        default:
          if (c < 0x20) {
            *out += "\\u00";
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xF]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t n = Utf8Len(s, i);
    if (n == 0) {
      *out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 / U+2029 are escaped by Go for JSONP safety.
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      *out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out->append(s.substr(i, n));
    }
    i += n;
  }
  out->push_back('"');
}

void AppendJsonFloat(std::string* out, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    *out += "null";
    return;
  }
  char buf[64];
  const double a = std::fabs(v);
  std::to_chars_result r;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    // Go writes e-07 as e-7 (but keeps at least one digit).
    size_t n = static_cast<size_t>(r.ptr - buf);
    if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
      buf[n - 2] = buf[n - 1];
      --n;
    }
    out->append(buf, n);
    return;
  }
  // Go's 'f' with shortest precision: the shortest round-trip digits, padded with zeros (so
  // 838488366986797800, not the exact 838488366986797824). Take the digits from the shortest
  // scientific form and place the decimal point by hand.
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t epos = sci.find('e');
  std::string digits;
  bool neg = false;
  for (size_t i = 0; i < epos; ++i) {
    if (sci[i] == '-') neg = true;
    else if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exp = 0;
  std::from_chars(sci.data() + epos + (sci[epos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  if (neg) out->push_back('-');
  // Value = 0.d1d2d3... * 10^(exp+1); the point goes after (exp + 1) digits.
  int point = exp + 1;
  if (point <= 0) {
    *out += "0.";
    out->append(static_cast<size_t>(-point), '0');
    *out += digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    *out += digits;
    out->append(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out->append(digits, 0, static_cast<size_t>(point));
    out->push_back('.');
    out->append(digits, static_cast<size_t>(point), std::string::npos);
  }
}

namespace {

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

}  // namespace

std::string FormatRfc3339Nano(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // Digits by hand (this runs once per row of a time column); int64 nanoseconds span the years
  // 1677..2262, always four digits.
  std::string out(19, '\0');
  auto put = [&out](size_t at, uint64_t v, size_t width) {
    for (size_t k = width; k-- > 0; v /= 10) out[at + k] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<uint64_t>(y), 4);
  out[4] = '-';
  put(5, m, 2);
  out[7] = '-';
  put(8, d, 2);
  out[10] = 'T';
  put(11, static_cast<uint64_t>(rem / 3600), 2);
  out[13] = ':';
  put(14, static_cast<uint64_t>(rem / 60 % 60), 2);
  out[16] = ':';
  put(17, static_cast<uint64_t>(rem % 60), 2);
  if (frac != 0) {
    // Nine digits, trailing zeros dropped.
    char f[10];
    f[0] = '.';
    auto v = static_cast<uint64_t>(frac);
    for (size_t k = 9; k > 0; --k, v /= 10) f[k] = static_cast<char>('0' + v % 10);
    size_t len = 10;
    while (f[len - 1] == '0') --len;
    out.append(f, len);
  }
  out += 'Z';
  return out;
}

void AppendJsonTime(std::string* out, int64_t ns, EpochUnit unit) {
  int64_t div = 1;
  switch (unit) {
    case EpochUnit::kRfc3339:
      out->push_back('"');
      *out += FormatRfc3339Nano(ns);
      out->push_back('"');
      return;
    case EpochUnit::kNanosecond: div = 1; break;
    case EpochUnit::kMicrosecond: div = 1'000; break;
    case EpochUnit::kMillisecond: div = 1'000'000; break;
    case EpochUnit::kSecond: div = 1'000'000'000; break;
    case EpochUnit::kMinute: div = 60'000'000'000; break;
    case EpochUnit::kHour: div = 3'600'000'000'000; break;
  }
  *out += std::to_string(ns / div);
}

}  // namespace verbund::query
