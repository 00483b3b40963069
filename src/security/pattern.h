// Rule patterns with their `%c` (client id) and `%u` (principal name) placeholders parsed, and
// their specialisation for one session.
//
// A topic pattern is an MQTT filter; a placeholder may appear inside any literal level
// ("factory/%u/#", "dev-%c/+"). A data pattern is `<database-glob>/<measurement-glob>` split at
// its first `/`, where `*` matches any run of characters. `%` followed by anything but `c` or
// `u` is refused. Substitution never widens a rule: if the value substituted is empty or holds
// `+`, `#`, `/` or NUL, the rule does not match at all for that session, and a `*` inside a
// substituted value is literal text, not a glob. For a deny rule, "does not match" would let an
// odd client id escape it, so the policy fails closed instead: such a deny rule then denies its
// rights on everything (see policy.h).
//
// Thread-safety: immutable values after construction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "security/types.h"

namespace verbund::security {

inline constexpr size_t kMaxPatternBytes = 4096;

// A literal run, `*` (data patterns only), `%c` or `%u`.
struct PatternPiece {
  enum class Kind : uint8_t { kLiteral, kStar, kClientId, kPrincipal };
  Kind kind = Kind::kLiteral;
  std::string text;  // kLiteral only

  bool operator==(const PatternPiece&) const = default;
};
using PieceList = std::vector<PatternPiece>;

// `*` globs without placeholders: parts[0] * parts[1] * ... * parts[n]; matching is linear.
class Glob {
 public:
  Glob() = default;
  // From pieces holding only literals and stars.
  explicit Glob(const PieceList& pieces);
  bool Matches(std::string_view text) const;
  // True if the glob is a single literal (no star); then literal() is it.
  bool exact() const { return parts_.size() == 1; }
  const std::string& literal() const { return parts_[0]; }

 private:
  std::vector<std::string> parts_{std::string()};
};

// A parsed topic pattern.
struct TopicPattern {
  std::vector<PieceList> levels;  // "+" and "#" are levels holding one literal piece "+"/"#"
  bool has_placeholders = false;
};

// A parsed data pattern.
struct DataPattern {
  PieceList db;
  PieceList measurement;
  bool has_placeholders = false;
};

Result<TopicPattern> ParseTopicPattern(std::string_view pattern);
Result<DataPattern> ParseDataPattern(std::string_view pattern);

// True if `value` may stand in for a placeholder (non-empty, no `+ # /` or NUL).
bool SubstitutableValue(std::string_view value);

// The filter with placeholders replaced, or nullopt when a needed value is not substitutable.
std::optional<std::string> SpecializeTopic(const TopicPattern& p, std::string_view client_id,
                                           std::string_view principal);
struct DataGlobs {
  Glob db;
  Glob measurement;
};
std::optional<DataGlobs> SpecializeData(const DataPattern& p, std::string_view client_id,
                                        std::string_view principal);

// Checks a rule before it is stored: effect, rights (non-zero; publish/subscribe or write/query,
// never both kinds and never admin), principal selector (`*` or a principal name), pattern.
Status CheckRule(const Rule& rule);

}  // namespace verbund::security
