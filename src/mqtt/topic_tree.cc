#include "mqtt/topic_tree.h"

#include "mqtt/topic.h"

namespace verbund::mqtt {

TopicTree::TopicTree() : root_(std::make_unique<Node>()) {}
TopicTree::~TopicTree() = default;

bool TopicTree::Add(std::string_view filter, std::string_view share_group, SubscriberEntry entry) {
  Node* node = root_.get();
  for (std::string_view level : SplitTopic(filter)) {
    auto& child = node->children[std::string(level)];
    if (!child) {
      child = std::make_unique<Node>();
      if (level == "+") node->plus = child.get();
      if (level == "#") node->hash = child.get();
    }
    node = child.get();
  }
  std::vector<SubscriberEntry>* list =
      share_group.empty() ? &node->subscribers : &node->shared[std::string(share_group)].members;
  for (auto& existing : *list) {
    if (existing.slot == entry.slot) {
      existing = std::move(entry);
      return false;
    }
  }
  list->push_back(std::move(entry));
  ++size_;
  return true;
}

bool TopicTree::Remove(std::string_view filter, std::string_view share_group,
                       const SessionSlot* slot) {
  std::vector<std::pair<Node*, std::string>> path;
  Node* node = root_.get();
  for (std::string_view level : SplitTopic(filter)) {
    auto it = node->children.find(std::string(level));
    if (it == node->children.end()) return false;
    path.emplace_back(node, std::string(level));
    node = it->second.get();
  }
  bool removed = false;
  auto erase_from = [&](std::vector<SubscriberEntry>& list) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->slot.get() == slot) {
        list.erase(it);
        removed = true;
        return;
      }
    }
  };
  if (share_group.empty()) {
    erase_from(node->subscribers);
  } else {
    auto g = node->shared.find(std::string(share_group));
    if (g != node->shared.end()) {
      erase_from(g->second.members);
      if (g->second.members.empty()) node->shared.erase(g);
    }
  }
  if (!removed) return false;
  --size_;
  // Prune empty nodes bottom-up.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    Node* parent = it->first;
    auto child = parent->children.find(it->second);
    if (!child->second->empty()) break;
    if (parent->plus == child->second.get()) parent->plus = nullptr;
    if (parent->hash == child->second.get()) parent->hash = nullptr;
    parent->children.erase(child);
  }
  return true;
}

void TopicTree::Collect(Node* node, std::vector<const SubscriberEntry*>* out) {
  for (const auto& s : node->subscribers) out->push_back(&s);
  for (auto& [name, group] : node->shared) {
    if (group.members.empty()) continue;
    out->push_back(&group.members[group.next++ % group.members.size()]);
  }
}

void TopicTree::MatchLevel(Node* node, const std::vector<std::string_view>& levels, size_t i,
                           std::vector<const SubscriberEntry*>* out) {
  if (i == levels.size()) {
    Collect(node, out);
    if (node->hash) Collect(node->hash, out);  // "a/#" matches "a"
    return;
  }
  // A '$' topic is not matched by a wildcard in the first level.
  bool dollar_root = i == 0 && !levels[0].empty() && levels[0][0] == '$';
  if (node->hash && !dollar_root) Collect(node->hash, out);
  if (node->plus && !dollar_root) MatchLevel(node->plus, levels, i + 1, out);
  if (node->children.empty()) return;
  // Heterogeneous lookup would avoid this copy; levels are short, so the cost is small.
  auto it = node->children.find(std::string(levels[i]));
  if (it != node->children.end() && it->second.get() != node->plus &&
      it->second.get() != node->hash) {
    MatchLevel(it->second.get(), levels, i + 1, out);
  }
}

void TopicTree::Match(std::string_view topic, std::vector<const SubscriberEntry*>* out) {
  std::vector<std::string_view> levels = SplitTopic(topic);
  MatchLevel(root_.get(), levels, 0, out);
}

}  // namespace verbund::mqtt
