#include "mqtt/retained_store.h"

#include "mqtt/topic.h"

namespace verbund::mqtt {

RetainedStore::Shard& RetainedStore::ShardOf(std::string_view topic) {
  return shards_[std::hash<std::string_view>{}(topic) % kShards];
}

bool RetainedStore::Apply(const MessagePtr& msg, RetainedStamp stamp) {
  Shard& s = ShardOf(msg->topic);
  std::lock_guard lock(s.mu);
  if (msg->payload.empty()) return s.messages.erase(msg->topic) > 0;
  s.messages[msg->topic] = Shard::Entry{msg, stamp};
  return true;
}

std::vector<MessagePtr> RetainedStore::Match(std::string_view filter,
                                             std::span<const uint64_t> watermarks) const {
  std::vector<MessagePtr> out;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [topic, e] : s.messages) {
      if (!watermarks.empty() &&
          (e.stamp.shard >= watermarks.size() || e.stamp.seq > watermarks[e.stamp.shard])) {
        continue;  // applied after the subscription reached that shard: delivered live
      }
      if (TopicMatches(filter, topic)) out.push_back(e.msg);
    }
  }
  return out;
}

std::vector<MessagePtr> RetainedStore::All() const {
  std::vector<MessagePtr> out;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [topic, e] : s.messages) out.push_back(e.msg);
  }
  return out;
}

size_t RetainedStore::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.messages.size();
  }
  return n;
}

}  // namespace verbund::mqtt
