// A topic-level trie of rule filters: finds every stored filter matching a topic, or covering a
// subscription filter, in time proportional to the topic's depth and the wildcard branches
// taken, not to the number of filters stored.
//
// Thread-safety: build with Insert from one thread; after that, concurrent const use is safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "security/topic_filter.h"
#include "security/types.h"

namespace verbund::security {

// What the policy index keeps of one rule.
struct RuleRef {
  Rights rights = 0;
  Effect effect = Effect::kAllow;
  uint32_t selector = 0;  // 0: every principal; otherwise a principal id of the tenant policy
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

class FilterTrie {
 public:
  FilterTrie() : nodes_(1) {}

  // `filter` must be a valid topic filter.
  void Insert(std::string_view filter, RuleRef ref);
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

  // Calls visit(const RuleRef&) for each stored filter matching the topic name; stops early and
  // returns true as soon as visit returns true.
  template <typename Visit>
  bool VisitMatching(const TopicLevels& topic, Visit&& visit) const {
    return Match(0, topic, 0, visit);
  }
  // The same for each stored filter covering the subscription filter `sub` (see FilterCovers).
  template <typename Visit>
  bool VisitCovering(const TopicLevels& sub, Visit&& visit) const {
    return Cover(0, sub, 0, visit);
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Child {
    std::string level;
    uint32_t node;
  };
  struct Node {
    std::vector<Child> children;  // sorted by level: a binary search over contiguous memory
    uint32_t plus = kNone;
    std::vector<RuleRef> hash;   // filters ending in "#" below this node
    std::vector<RuleRef> exact;  // filters ending at this node
  };

  static uint32_t Find(const Node& node, std::string_view level) {
    size_t lo = 0, hi = node.children.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int c = std::string_view(node.children[mid].level).compare(level);
      if (c == 0) return node.children[mid].node;
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return kNone;
  }

  template <typename Visit>
  static bool VisitAll(const std::vector<RuleRef>& refs, Visit& visit) {
    for (const RuleRef& r : refs) {
      if (visit(r)) return true;
    }
    return false;
  }

  template <typename Visit>
  bool Match(uint32_t n, const TopicLevels& t, size_t i, Visit& visit) const {
    const Node& node = nodes_[n];
    bool root_dollar = i == 0 && t.dollar();
    if (!root_dollar && VisitAll(node.hash, visit)) return true;
    if (i == t.size()) return VisitAll(node.exact, visit);
    if (!node.children.empty()) {
      uint32_t child = Find(node, t[i]);
      if (child != kNone && Match(child, t, i + 1, visit)) return true;
    }
    if (node.plus != kNone && !root_dollar && Match(node.plus, t, i + 1, visit)) return true;
    return false;
  }

  template <typename Visit>
  bool Cover(uint32_t n, const TopicLevels& s, size_t i, Visit& visit) const {
    const Node& node = nodes_[n];
    bool root_dollar = i == 0 && !s[0].empty() && s[0][0] == '$';
    if (!root_dollar && VisitAll(node.hash, visit)) return true;
    if (i == s.size()) return VisitAll(node.exact, visit);
    std::string_view level = s[i];
    if (level == "#") {
      // `+/#` covers `#` at the root (see FilterCovers).
      return i == 0 && node.plus != kNone && VisitAll(nodes_[node.plus].hash, visit);
    }
    if (level != "+" && !node.children.empty()) {
      uint32_t child = Find(node, level);
      if (child != kNone && Cover(child, s, i + 1, visit)) return true;
    }
    if (node.plus != kNone && !root_dollar && Cover(node.plus, s, i + 1, visit)) return true;
    return false;
  }

  std::vector<Node> nodes_;
  size_t count_ = 0;
};

}  // namespace verbund::security
