#include "mqtt/topic.h"

#include <algorithm>

namespace verbund::mqtt {

std::vector<std::string_view> SplitTopic(std::string_view topic) {
  std::vector<std::string_view> levels;
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      levels.push_back(topic.substr(start));
      return levels;
    }
    levels.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  size_t f = 0, t = 0;
  while (true) {
    size_t fe = filter.find('/', f);
    std::string_view flevel = filter.substr(f, fe == std::string_view::npos ? std::string_view::npos : fe - f);
    if (flevel == "#") return true;
    size_t te = topic.find('/', t);
    std::string_view tlevel = topic.substr(t, te == std::string_view::npos ? std::string_view::npos : te - t);
    if (flevel != "+" && flevel != tlevel) return false;
    bool fend = fe == std::string_view::npos;
    bool tend = te == std::string_view::npos;
    if (fend && tend) return true;
    if (tend) {
      // "a/#" matches "a": the filter's next level must be the final "#".
      return filter.substr(fe + 1) == "#";
    }
    if (fend) return false;
    f = fe + 1;
    t = te + 1;
  }
}

std::optional<SharedFilter> ParseSharedFilter(std::string_view filter) {
  constexpr std::string_view kPrefix = "$share/";
  if (filter.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = filter.substr(kPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  SharedFilter sf{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
  if (sf.filter.empty() || sf.group.find_first_of("+#") != std::string::npos) return std::nullopt;
  return sf;
}

bool IsHubTopic(std::string_view topic) {
  return topic.starts_with("$SYS") && (topic.size() == 4 || topic[4] == '/');
}

std::string MountTopic(std::string_view topic, std::string_view mount) {
  std::string out;
  if (mount.empty() || IsHubTopic(topic)) {
    out = topic;
    return out;
  }
  out.reserve(mount.size() + topic.size() + 1);
  if (topic.starts_with('$')) out.push_back('$');
  out.append(mount);
  out.append(topic);
  return out;
}

std::optional<std::string_view> UnmountTopic(std::string_view topic, std::string_view mount) {
  if (mount.empty() || IsHubTopic(topic)) return topic;
  if (topic.starts_with('$')) {
    if (topic.size() <= mount.size() || topic.substr(1, mount.size()) != mount) return std::nullopt;
    return topic.substr(1 + mount.size());
  }
  if (!topic.starts_with(mount)) return std::nullopt;
  return topic.substr(mount.size());
}

std::string MountedFilter(std::string_view filter, std::string_view mount) {
  if (auto shared = ParseSharedFilter(filter)) {
    return "$share/" + shared->group + '/' + MountTopic(shared->filter, mount);
  }
  return MountTopic(filter, mount);
}

size_t TopicLevels(std::string_view topic) {
  return static_cast<size_t>(std::count(topic.begin(), topic.end(), '/')) + 1;
}

}  // namespace verbund::mqtt
