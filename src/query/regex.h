// Regular expressions for InfluxQL (`=~ /re/`, FROM /re/, WITH KEY =~ /re/). Unanchored search
// like Go's regexp.MatchString. Backed by std::regex (ECMAScript); a leading "(?i)" flag is
// honoured. Errors never escape as exceptions: Compile returns InvalidArgument, and a match that
// exceeds the library's complexity limits counts as "no match". Backtracking engine: a hostile
// pattern can be slow (exponential); RE2 would be the linear-time replacement.
// Thread-safety: a compiled Regex is immutable and safe to share.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::query {

class Regex {
 public:
  // Texts longer than this never match (stack safety of the backtracking matcher).
  static constexpr size_t kMaxMatchBytes = 8192;

  static Result<Regex> Compile(std::string_view pattern);
  bool Match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // shared so that compiled conditions copy cheaply
  std::string pattern_;
};

}  // namespace verbund::query
