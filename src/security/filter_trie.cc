#include "security/filter_trie.h"

#include <algorithm>

namespace verbund::security {

void FilterTrie::Insert(std::string_view filter, RuleRef ref) {
  TopicLevels levels(filter);
  uint32_t n = 0;
  for (size_t i = 0; i < levels.size(); ++i) {
    std::string_view level = levels[i];
    if (level == "#") {
      nodes_[n].hash.push_back(ref);
      ++count_;
      return;
    }
    uint32_t next;
    if (level == "+") {
      next = nodes_[n].plus;
      if (next == kNone) {
        next = static_cast<uint32_t>(nodes_.size());
        nodes_[n].plus = next;
        nodes_.emplace_back();
      }
    } else {
      auto& children = nodes_[n].children;
      auto it = std::lower_bound(children.begin(), children.end(), level,
                                 [](const Child& c, std::string_view l) { return c.level < l; });
      if (it != children.end() && it->level == level) {
        next = it->node;
      } else {
        next = static_cast<uint32_t>(nodes_.size());
        children.insert(it, Child{std::string(level), next});
        nodes_.emplace_back();
      }
    }
    n = next;
  }
  nodes_[n].exact.push_back(ref);
  ++count_;
}

}  // namespace verbund::security
