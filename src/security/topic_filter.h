// MQTT topic filters as access rules see them (MQTT 5.0 section 4.7): validity, matching a topic,
// and whether one filter covers another. Topics here are relative to a tenant's namespace.
//
// `$` rule: a filter whose first level is a wildcard (`+` or `#`) never matches a topic whose
// first level starts with `$`, exactly as in MQTT; so rule `#` does not cover `$x/#`.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <string_view>
#include <vector>

namespace verbund::security {

inline constexpr size_t kMaxTopicBytes = 65535;

// A topic name: non-empty, at most kMaxTopicBytes, valid UTF-8, no NUL, `+` or `#`.
bool ValidTopicName(std::string_view topic);
// A topic filter: like a name, but `+` may stand alone in a level and `#` alone in the last.
bool ValidTopicFilter(std::string_view filter);

// True if `s` holds '+', '#' or NUL (one pass; find_first_of would scan once per character).
inline bool HasWildcardOrNul(std::string_view s) {
  for (char c : s) {
    if (c == '+' || c == '#' || c == '\0') return true;
  }
  return false;
}

// True if `filter` matches the topic name `topic` ("a/#" matches "a" and "a/b").
bool FilterMatches(std::string_view filter, std::string_view topic);

// True if every topic `sub` can match is matched by `rule` (both valid filters). Examples:
// `a/#` covers `a/b/+` and `a`; `a/+` does not cover `a/#`; `+/#` covers `#`; `#` does not
// cover `$SYS/#`.
bool FilterCovers(std::string_view rule, std::string_view sub);

// The levels of a topic or filter without allocating for up to 16 levels: "a//b" -> {a,"",b}.
class TopicLevels {
 public:
  explicit TopicLevels(std::string_view topic);
  size_t size() const { return size_; }
  std::string_view operator[](size_t i) const {
    return i < kInline ? inline_[i] : heap_[i - kInline];
  }
  // True if the first level starts with '$'.
  bool dollar() const { return size_ > 0 && !(*this)[0].empty() && (*this)[0][0] == '$'; }

 private:
  static constexpr size_t kInline = 16;
  std::array<std::string_view, kInline> inline_;
  std::vector<std::string_view> heap_;
  size_t size_ = 0;
};

}  // namespace verbund::security
