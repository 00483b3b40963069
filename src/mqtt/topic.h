// Topic names and filters (MQTT 4.7): matching, levels, shared subscriptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace verbund::mqtt {

// Splits "a/b/c" into {"a","b","c"}; "" gives {""}; "/a" gives {"", "a"}.
std::vector<std::string_view> SplitTopic(std::string_view topic);

// True if `topic` (a name, no wildcards) matches `filter`. '$'-topics are not matched by a
// filter starting with a wildcard.
bool TopicMatches(std::string_view filter, std::string_view topic);

// "$share/group/filter" -> {group, filter}; nullopt for a plain filter.
struct SharedFilter {
  std::string group;
  std::string filter;
};
std::optional<SharedFilter> ParseSharedFilter(std::string_view filter);

// `$SYS` and `$SYS/...`: the hub's own topics, outside every tenant's namespace (who may read
// them is the authorizer's decision).
bool IsHubTopic(std::string_view topic);

// A client's topic or filter inside its tenant's namespace (mount "acme/"): "acme/" + topic; a
// '$' topic of the client becomes "$acme/$..." so that it stays a '$' topic, never matched by a
// leading wildcard (4.7.2); hub topics and an empty mount leave it as it is.
std::string MountTopic(std::string_view topic, std::string_view mount);
// The inverse for delivery: the topic as the client knows it, or nullopt when `topic` is not in
// the namespace.
std::optional<std::string_view> UnmountTopic(std::string_view topic, std::string_view mount);
// A SUBSCRIBE filter mounted: MountTopic, and "$share/g/f" becomes "$share/g/" + MountTopic(f).
std::string MountedFilter(std::string_view filter, std::string_view mount);

// Counts levels ("a/b" = 2).
size_t TopicLevels(std::string_view topic);

}  // namespace verbund::mqtt
