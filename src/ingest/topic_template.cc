#include "ingest/topic_template.h"

#include <algorithm>
#include <set>

namespace verbund::ingest {

Result<TopicTemplate> TopicTemplate::Parse(std::string_view pattern) {
  if (pattern.empty()) return InvalidArgument("empty topic template");
  TopicTemplate t;
  std::set<std::string> names;
  size_t start = 0;
  while (true) {
    size_t slash = pattern.find('/', start);
    std::string_view level = pattern.substr(start, slash == std::string_view::npos ? slash : slash - start);
    Level l;
    if (!level.empty() && level.front() == '{') {
      if (level.size() < 3 || level.back() != '}') {
        return InvalidArgument("topic template '" + std::string(pattern) + "': bad placeholder '" +
                               std::string(level) + "'");
      }
      l.placeholder = true;
      l.text = std::string(level.substr(1, level.size() - 2));
      if (!names.insert(l.text).second) {
        return InvalidArgument("topic template '" + std::string(pattern) + "': tag '" + l.text +
                               "' appears twice");
      }
    } else {
      if (level.find_first_of("{}+#") != std::string_view::npos) {
        return InvalidArgument("topic template '" + std::string(pattern) + "': bad level '" +
                               std::string(level) + "'");
      }
      l.text = std::string(level);
      if (t.default_measurement_.empty()) t.default_measurement_ = l.text;
    }
    t.levels_.push_back(std::move(l));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return t;
}

std::optional<TopicTemplate::Mapping> TopicTemplate::Apply(std::string_view topic,
                                                           std::string_view measurement_override) const {
  Mapping m;
  size_t start = 0;
  for (size_t i = 0; i < levels_.size(); ++i) {
    if (start > topic.size()) return std::nullopt;
    size_t slash = topic.find('/', start);
    bool last = i + 1 == levels_.size();
    if (last != (slash == std::string_view::npos)) return std::nullopt;  // level count differs
    std::string_view level = topic.substr(start, last ? std::string_view::npos : slash - start);
    const Level& l = levels_[i];
    if (l.placeholder) {
      if (level.empty()) return std::nullopt;
      m.tags.emplace_back(l.text, std::string(level));
    } else if (level != l.text) {
      return std::nullopt;
    }
    start = last ? topic.size() : slash + 1;
  }
  std::sort(m.tags.begin(), m.tags.end());
  if (!measurement_override.empty()) m.measurement = std::string(measurement_override);
  else if (!default_measurement_.empty()) m.measurement = default_measurement_;
  else m.measurement = std::string(topic);
  return m;
}

}  // namespace verbund::ingest
