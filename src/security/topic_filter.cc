#include "security/topic_filter.h"

#include "security/names.h"

namespace verbund::security {
namespace {

bool IsWildcardLevel(std::string_view level) { return level == "+" || level == "#"; }
bool IsDollarLiteral(std::string_view level) { return !level.empty() && level[0] == '$'; }

}  // namespace

TopicLevels::TopicLevels(std::string_view topic) {
  const char* p = topic.data();
  const char* end = p + topic.size();
  const char* start = p;
  for (;; ++p) {
    if (p == end || *p == '/') {
      std::string_view level(start, static_cast<size_t>(p - start));
      if (size_ < kInline) {
        inline_[size_] = level;
      } else {
        heap_.push_back(level);
      }
      ++size_;
      if (p == end) return;
      start = p + 1;
    }
  }
}

bool ValidTopicName(std::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicBytes) return false;
  if (HasWildcardOrNul(topic)) return false;
  return ValidUtf8(topic);
}

bool ValidTopicFilter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicBytes) return false;
  if (filter.find('\0') != std::string_view::npos || !ValidUtf8(filter)) return false;
  TopicLevels levels(filter);
  for (size_t i = 0; i < levels.size(); ++i) {
    std::string_view l = levels[i];
    if (l.find_first_of("+#") == std::string_view::npos) continue;
    if (l == "+") continue;
    if (l == "#" && i + 1 == levels.size()) continue;
    return false;
  }
  return true;
}

bool FilterMatches(std::string_view filter, std::string_view topic) {
  TopicLevels f(filter);
  TopicLevels t(topic);
  bool dollar = t.dollar();
  for (size_t i = 0; i < f.size(); ++i) {
    std::string_view fl = f[i];
    if (fl == "#") return !(i == 0 && dollar);
    if (i >= t.size()) return false;
    if (fl == "+") {
      if (i == 0 && dollar) return false;
      continue;
    }
    if (fl != t[i]) return false;
  }
  return f.size() == t.size();
}

bool FilterCovers(std::string_view rule, std::string_view sub) {
  TopicLevels r(rule);
  TopicLevels s(sub);
  // A subscription whose first level is a `$` literal only matches `$` topics, which a rule
  // starting with a wildcard never matches.
  bool sub_dollar = IsDollarLiteral(s[0]);
  for (size_t i = 0;; ++i) {
    if (i < r.size() && r[i] == "#") return !(i == 0 && sub_dollar);
    if (i == s.size()) return i == r.size();  // both end (a trailing rule `#` returned above)
    if (i == r.size()) return false;          // sub goes deeper (or is `#`, matching deeper)
    std::string_view sl = s[i];
    std::string_view rl = r[i];
    if (sl == "#") {
      // Only `#` covers `#`, except at the root where `+/#` matches every topic `#` matches
      // (a topic has at least one level, and `+/#` matches one level and all below).
      return i == 0 && rl == "+" && r.size() == 2 && r[1] == "#";
    }
    if (sl == "+") {
      if (rl != "+") return false;
      continue;
    }
    if (rl == "+") {
      if (i == 0 && sub_dollar) return false;
      continue;
    }
    if (IsWildcardLevel(rl) || rl != sl) return false;
  }
}

}  // namespace verbund::security
