// Retained messages (MQTT 3.3.1.3): one per topic, replaced by a newer retained publish, cleared
// by an empty one. Written through to the broker's persistent store when one is attached.
//
// Thread-safety: all methods are thread-safe; the map is sharded by topic hash so concurrent
// publishers rarely contend.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/message.h"

namespace verbund::mqtt {

class RetainedStore {
 public:
  // Sets (non-empty payload) or clears (empty payload) the retained message of msg->topic.
  // Returns true if the store changed.
  bool Apply(const MessagePtr& msg);
  // Every retained message whose topic matches `filter`.
  std::vector<MessagePtr> Match(std::string_view filter) const;
  // Every retained message (for persistence).
  std::vector<MessagePtr> All() const;
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, MessagePtr> messages;
  };
  Shard& ShardOf(std::string_view topic);
  std::array<Shard, kShards> shards_;
};

}  // namespace verbund::mqtt
