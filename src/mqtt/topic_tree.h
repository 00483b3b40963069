// The subscription trie. Each I/O thread holds its own replica (see broker.h), so matching on
// the publish path takes no lock; changes are applied to every replica by the broker.
//
// Thread-safety: none; one thread owns each TopicTree.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/codec/packet.h"

namespace verbund::mqtt {

struct SessionSlot;

struct SubscriberEntry {
  std::shared_ptr<SessionSlot> slot;
  SubscriptionOptions options;
  uint32_t subscription_id = 0;  // 0 = none
};

class TopicTree {
 public:
  TopicTree();
  ~TopicTree();

  // Adds or replaces the subscription of `entry.slot` to `filter` (in `share_group`, "" = not
  // shared). Returns true if it was new.
  bool Add(std::string_view filter, std::string_view share_group, SubscriberEntry entry);
  // Returns true if a subscription was removed.
  bool Remove(std::string_view filter, std::string_view share_group, const SessionSlot* slot);

  // Appends every subscription matching `topic`; for each shared group one member is chosen
  // (round robin). Pointers stay valid until the tree is next changed.
  void Match(std::string_view topic, std::vector<const SubscriberEntry*>* out);

  size_t size() const { return size_; }

 private:
  struct SharedGroup {
    std::vector<SubscriberEntry> members;
    size_t next = 0;
  };
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> children;
    std::vector<SubscriberEntry> subscribers;
    std::unordered_map<std::string, SharedGroup> shared;
    Node* plus = nullptr;  // children["+"]
    Node* hash = nullptr;  // children["#"]
    bool empty() const { return children.empty() && subscribers.empty() && shared.empty(); }
  };

  void Collect(Node* node, std::vector<const SubscriberEntry*>* out);
  void MatchLevel(Node* node, const std::vector<std::string_view>& levels, size_t i,
                  std::vector<const SubscriberEntry*>* out);

  std::unique_ptr<Node> root_;
  size_t size_ = 0;
};

}  // namespace verbund::mqtt
