#include "security/pattern.h"

#include "security/names.h"
#include "security/topic_filter.h"

namespace verbund::security {
namespace {

// Splits `text` into literal runs and placeholders (and stars when `stars`).
Result<PieceList> ParsePieces(std::string_view text, bool stars, bool* has_placeholders) {
  PieceList out;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.push_back({PatternPiece::Kind::kLiteral, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 1 >= text.size() || (text[i + 1] != 'c' && text[i + 1] != 'u')) {
        return InvalidArgument(
            "pattern: '%' must be followed by 'c' (client id) or 'u' (principal)");
      }
      flush();
      out.push_back(
          {text[i + 1] == 'c' ? PatternPiece::Kind::kClientId : PatternPiece::Kind::kPrincipal,
           ""});
      *has_placeholders = true;
      ++i;
    } else if (c == '*' && stars) {
      flush();
      if (out.empty() || out.back().kind != PatternPiece::Kind::kStar) {
        out.push_back({PatternPiece::Kind::kStar, ""});
      }
    } else {
      literal += c;
    }
  }
  flush();
  return out;
}

// Appends the substituted text of `pieces` to *out (topic levels: no stars).
bool AppendSubstituted(const PieceList& pieces, std::string_view client_id,
                       std::string_view principal, std::string* out) {
  for (const auto& p : pieces) {
    switch (p.kind) {
      case PatternPiece::Kind::kLiteral:
      case PatternPiece::Kind::kStar:
        *out += p.kind == PatternPiece::Kind::kStar ? std::string_view("*") : p.text;
        break;
      case PatternPiece::Kind::kClientId:
        if (!SubstitutableValue(client_id)) return false;
        *out += client_id;
        break;
      case PatternPiece::Kind::kPrincipal:
        if (!SubstitutableValue(principal)) return false;
        *out += principal;
        break;
    }
  }
  return true;
}

// Replaces placeholders with literal pieces (merging adjacent literals); stars stay stars.
std::optional<PieceList> SubstitutePieces(const PieceList& pieces, std::string_view client_id,
                                          std::string_view principal) {
  PieceList out;
  auto add_literal = [&](std::string_view s) {
    if (!out.empty() && out.back().kind == PatternPiece::Kind::kLiteral) {
      out.back().text += s;
    } else {
      out.push_back({PatternPiece::Kind::kLiteral, std::string(s)});
    }
  };
  for (const auto& p : pieces) {
    switch (p.kind) {
      case PatternPiece::Kind::kLiteral:
        add_literal(p.text);
        break;
      case PatternPiece::Kind::kStar:
        out.push_back(p);
        break;
      case PatternPiece::Kind::kClientId:
        if (!SubstitutableValue(client_id)) return std::nullopt;
        add_literal(client_id);
        break;
      case PatternPiece::Kind::kPrincipal:
        if (!SubstitutableValue(principal)) return std::nullopt;
        add_literal(principal);
        break;
    }
  }
  return out;
}

}  // namespace

Glob::Glob(const PieceList& pieces) {
  for (const auto& p : pieces) {
    if (p.kind == PatternPiece::Kind::kStar) {
      parts_.emplace_back();
    } else {
      parts_.back() += p.text;
    }
  }
}

bool Glob::Matches(std::string_view text) const {
  if (parts_.size() == 1) return text == parts_[0];
  const std::string& first = parts_.front();
  const std::string& last = parts_.back();
  if (text.size() < first.size() + last.size()) return false;
  if (!text.starts_with(first) || !text.ends_with(last)) return false;
  // Middle parts, leftmost first, within the text between the anchored ends.
  std::string_view mid = text.substr(first.size(), text.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < parts_.size(); ++i) {
    size_t pos = mid.find(parts_[i]);
    if (pos == std::string_view::npos) return false;
    mid.remove_prefix(pos + parts_[i].size());
  }
  return true;
}

bool SubstitutableValue(std::string_view value) {
  if (value.empty() || HasWildcardOrNul(value)) return false;
  return value.find('/') == std::string_view::npos;
}

Result<TopicPattern> ParseTopicPattern(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) return InvalidArgument("pattern: too long");
  if (!ValidTopicFilter(pattern)) {
    return InvalidArgument("pattern '" + std::string(pattern.substr(0, 200)) +
                           "': not a valid MQTT topic filter");
  }
  TopicPattern out;
  TopicLevels levels(pattern);
  for (size_t i = 0; i < levels.size(); ++i) {
    ASSIGN_OR_RETURN(PieceList pieces,
                     ParsePieces(levels[i], /*stars=*/false, &out.has_placeholders));
    out.levels.push_back(std::move(pieces));
  }
  return out;
}

Result<DataPattern> ParseDataPattern(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) return InvalidArgument("pattern: too long");
  if (pattern.find('\0') != std::string_view::npos || !ValidUtf8(pattern)) {
    return InvalidArgument("pattern: NUL or invalid UTF-8");
  }
  size_t slash = pattern.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == pattern.size()) {
    return InvalidArgument("pattern '" + std::string(pattern.substr(0, 200)) +
                           "': expected <database-glob>/<measurement-glob>");
  }
  DataPattern out;
  ASSIGN_OR_RETURN(out.db, ParsePieces(pattern.substr(0, slash), true, &out.has_placeholders));
  ASSIGN_OR_RETURN(out.measurement,
                   ParsePieces(pattern.substr(slash + 1), true, &out.has_placeholders));
  return out;
}

std::optional<std::string> SpecializeTopic(const TopicPattern& p, std::string_view client_id,
                                           std::string_view principal) {
  std::string out;
  for (size_t i = 0; i < p.levels.size(); ++i) {
    if (i > 0) out += '/';
    if (!AppendSubstituted(p.levels[i], client_id, principal, &out)) return std::nullopt;
  }
  return out;
}

std::optional<DataGlobs> SpecializeData(const DataPattern& p, std::string_view client_id,
                                        std::string_view principal) {
  auto db = SubstitutePieces(p.db, client_id, principal);
  auto m = SubstitutePieces(p.measurement, client_id, principal);
  if (!db || !m) return std::nullopt;
  return DataGlobs{Glob(*db), Glob(*m)};
}

Status CheckRule(const Rule& rule) {
  if (rule.effect != Effect::kAllow && rule.effect != Effect::kDeny) {
    return InvalidArgument("rule: effect must be allow or deny");
  }
  if (rule.rights == 0 || (rule.rights & ~kAllRights) != 0) {
    return InvalidArgument(
        "rule: rights must be a non-empty set of publish, subscribe, write, query");
  }
  if (rule.rights & Bit(Right::kAdmin)) {
    return InvalidArgument("rule: admin is granted by the tenant_admin flag, not by rules");
  }
  if ((rule.rights & kTopicRights) && (rule.rights & kDataRights)) {
    return InvalidArgument(
        "rule: a rule is either for publish/subscribe (topic filter) or for write/query "
        "(database/measurement glob), not both");
  }
  if (rule.principal != "*") RETURN_IF_ERROR(CheckPrincipalName(rule.principal));
  if (rule.rights & kTopicRights) return ParseTopicPattern(rule.pattern).status();
  return ParseDataPattern(rule.pattern).status();
}

}  // namespace verbund::security
