// Maps an MQTT topic to a measurement and tags: `factory/{site}/{line}/{machine}` turns
// `factory/munich/line1/press` into measurement `factory` with tags site=munich, line=line1,
// machine=press. Literal levels must match; a topic with another number of levels does not match
// (the caller then uses the topic itself as the measurement).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace verbund::ingest {

class TopicTemplate {
 public:
  // InvalidArgument for an empty template, an unterminated '{', or a repeated tag name.
  static Result<TopicTemplate> Parse(std::string_view pattern);

  struct Mapping {
    std::string measurement;
    std::vector<std::pair<std::string, std::string>> tags;  // sorted by key
  };
  // `measurement_override` replaces the default (the first literal level, or the topic).
  std::optional<Mapping> Apply(std::string_view topic, std::string_view measurement_override) const;

 private:
  struct Level {
    bool placeholder = false;
    std::string text;  // literal, or tag name
  };
  std::vector<Level> levels_;
  std::string default_measurement_;
};

}  // namespace verbund::ingest
