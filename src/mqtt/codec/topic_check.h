// Internal to the codec: one-pass validation of a PUBLISH topic name (UTF-8 rules of spec
// 1.5.4 plus the no-wildcards rule of 4.7), so the hot decode path scans the topic once.
#pragma once

#include <string_view>

namespace verbund::mqtt {

enum class TopicNameCheck { kOk, kInvalidUtf8, kWildcard };

// An empty topic is kOk here; callers apply their own emptiness rule.
TopicNameCheck CheckTopicName(std::string_view topic);

}  // namespace verbund::mqtt
