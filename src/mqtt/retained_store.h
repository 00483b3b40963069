// Retained messages (MQTT 3.3.1.3): one per topic, replaced by a newer retained publish, cleared
// by an empty one. Written through to the broker's persistent store when one is attached.
//
// Thread-safety: all methods are thread-safe; the map is sharded by topic hash so concurrent
// publishers rarely contend.
//
// Exactly once for a new subscription: each message is stamped with the broker shard that
// applied it and that shard's sequence number. A shard applies a retained message and routes it
// in one step on its own thread, so when a subscription is added to that shard's replica, the
// shard's last sequence number splits its messages exactly: those at or below it were routed
// before the subscription existed there (the subscriber must get them from the store), those
// above it are delivered live. Match() with the watermarks taken at subscription time returns
// only the former.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/message.h"

namespace verbund::mqtt {

// Which broker shard applied a retained message, and that shard's sequence number for it (from
// 1). Messages restored at start-up carry {0, 0}: older than any subscription.
struct RetainedStamp {
  size_t shard = 0;
  uint64_t seq = 0;
};

class RetainedStore {
 public:
  // Sets (non-empty payload) or clears (empty payload) the retained message of msg->topic.
  // Returns true if the store changed.
  bool Apply(const MessagePtr& msg, RetainedStamp stamp = {});
  // Every retained message whose topic matches `filter`. With `watermarks` (one per shard, the
  // shard's last sequence number when the subscription was added to it), only messages stamped
  // at or below their shard's watermark: the rest reached the subscription live.
  std::vector<MessagePtr> Match(std::string_view filter,
                                std::span<const uint64_t> watermarks = {}) const;
  // Every retained message (for persistence).
  std::vector<MessagePtr> All() const;
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    struct Entry {
      MessagePtr msg;
      RetainedStamp stamp;
    };
    std::unordered_map<std::string, Entry> messages;
  };
  Shard& ShardOf(std::string_view topic);
  std::array<Shard, kShards> shards_;
};

}  // namespace verbund::mqtt
