// UTF-8 and topic validation (MQTT 3.1.1 sections 1.5.3 and 4.7; 5.0 sections 1.5.4, 4.7, 4.8.2).
#include <cstring>

#include "mqtt/codec/codec.h"
#include "mqtt/codec/topic_check.h"

namespace verbund::mqtt {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;
constexpr uint64_t kLowBits = 0x0101010101010101ULL;

// High bit of each byte of w that is zero (exact when no byte has its high bit set).
inline uint64_t ZeroBytes(uint64_t w) { return (w - kLowBits) & ~w & kHighBits; }

// True if none of the 8 bytes has the high bit set or is zero.
inline bool AsciiNoNul(uint64_t w) { return ((w & kHighBits) | ZeroBytes(w)) == 0; }

// True if none of the 8 bytes has the high bit set, is zero, '+' or '#'.
inline bool AsciiNoNulNoWildcard(uint64_t w) {
  if (w & kHighBits) return false;
  return (ZeroBytes(w) | ZeroBytes(w ^ (kLowBits * '+')) | ZeroBytes(w ^ (kLowBits * '#'))) == 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* end = p + s.size();
  while (p < end) {
    // Fast path: eight ASCII, non-NUL bytes at a time.
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (AsciiNoNul(w)) {
        p += 8;
        continue;
      }
    }
    uint8_t c = *p;
    if (c < 0x80) {
      if (c == 0) return false;  // U+0000 is not allowed
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (C0, C1) or beyond U+10FFFF
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    p += n + 1;
  }
  return true;
}

TopicNameCheck CheckTopicName(std::string_view topic) {
  const char* p = topic.data();
  const char* end = p + topic.size();
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (!AsciiNoNulNoWildcard(w)) break;
    p += 8;
  }
  for (const char* q = p; q < end; ++q) {
    if (*q == '+' || *q == '#') return TopicNameCheck::kWildcard;
  }
  return IsValidUtf8(std::string_view(p, end - p)) ? TopicNameCheck::kOk
                                                   : TopicNameCheck::kInvalidUtf8;
}

bool IsValidTopicName(std::string_view topic) {
  if (topic.empty() || topic.size() > 65535) return false;
  return CheckTopicName(topic) == TopicNameCheck::kOk;
}

namespace {

// Wildcards only as whole levels, '#' only as the last level.
bool IsValidPlainFilter(std::string_view filter) {
  if (filter.empty()) return false;
  const size_t n = filter.size();
  for (size_t i = 0; i < n; ++i) {
    char c = filter[i];
    if (c == '+') {
      if (i > 0 && filter[i - 1] != '/') return false;
      if (i + 1 < n && filter[i + 1] != '/') return false;
    } else if (c == '#') {
      if (i > 0 && filter[i - 1] != '/') return false;
      if (i + 1 != n) return false;
    }
  }
  return true;
}

constexpr std::string_view kSharePrefix = "$share/";

}  // namespace

bool IsValidTopicFilter(std::string_view filter) {
  if (filter.empty() || filter.size() > 65535) return false;
  if (!IsValidUtf8(filter)) return false;
  if (filter.substr(0, kSharePrefix.size()) == kSharePrefix) {
    // $share/{ShareName}/{filter}: ShareName non-empty without '/', '+', '#'.
    std::string_view rest = filter.substr(kSharePrefix.size());
    size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return false;
    std::string_view share_name = rest.substr(0, slash);
    if (share_name.find_first_of("+#") != std::string_view::npos) return false;
    return IsValidPlainFilter(rest.substr(slash + 1));
  }
  return IsValidPlainFilter(filter);
}

}  // namespace verbund::mqtt
