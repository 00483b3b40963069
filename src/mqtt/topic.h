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

// `filter` inside a tenant's namespace: "acme/" + filter, or "$share/g/acme/f" for "$share/g/f";
// filters of hub topics stay as they are.
std::string MountedFilter(std::string_view filter, std::string_view mount);

// Counts levels ("a/b" = 2).
size_t TopicLevels(std::string_view topic);

}  // namespace verbund::mqtt
