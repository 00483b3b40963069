#include "query/regex.h"

#include <cctype>
#include <regex>
#include <string>
#include <vector>

namespace verbund::query {

struct Regex::Impl {
  std::regex re;
};

namespace {

// Refuses the pattern shapes that make a backtracking matcher exponential: a quantifier applied
// to a quantifier (`a**`, `(a*)*`, `(a+)+`) or to a group containing an alternation (`(a|a)*`).
// The patterns Grafana and dashboards generate (`^(a|b|c)$`, `.*foo.*`, `^cpu[0-9]+$`) pass.
Status CheckBacktrackingSafe(std::string_view p) {
  struct Group {
    bool risky = false;  // contains a quantifier or an alternation
  };
  std::vector<Group> stack(1);
  bool last_was_quantifier = false;   // the previous atom was a quantifier
  bool last_atom_risky = false;       // the previous atom was a group that is risky
  auto bad = [&] {
    return InvalidArgument("regular expression `" + std::string(p) +
                           "` nests repetition (not supported)");
  };
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    bool quantifier = false;
    if (c == '\\') {
      ++i;
    } else if (c == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') ++i;
      if (i < p.size() && p[i] == ']') ++i;
      while (i < p.size() && p[i] != ']') {
        if (p[i] == '\\') ++i;
        ++i;
      }
    } else if (c == '(') {
      stack.emplace_back();
      if (i + 1 < p.size() && p[i + 1] == '?') ++i;  // (?: (?= (?! (?i)
      last_was_quantifier = false;
      last_atom_risky = false;
      continue;
    } else if (c == ')') {
      bool risky = stack.back().risky;
      if (stack.size() > 1) stack.pop_back();
      if (risky) stack.back().risky = true;
      last_was_quantifier = false;
      last_atom_risky = risky;
      continue;
    } else if (c == '|') {
      stack.back().risky = true;
      last_was_quantifier = false;
      last_atom_risky = false;
      continue;
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      if (c == '{') {
        size_t j = i + 1;
        while (j < p.size() && (std::isdigit(static_cast<unsigned char>(p[j])) || p[j] == ',')) ++j;
        if (j < p.size() && p[j] == '}' && j > i + 1) {
          quantifier = true;
          i = j;
        }
      } else if (c == '?' && last_was_quantifier) {
        // lazy modifier (`*?`): part of the previous quantifier
        last_was_quantifier = false;
        continue;
      } else {
        quantifier = true;
      }
      if (quantifier) {
        if (last_was_quantifier || last_atom_risky) return bad();
        stack.back().risky = true;
        last_was_quantifier = true;
        last_atom_risky = false;
        continue;
      }
    }
    last_was_quantifier = false;
    last_atom_risky = false;
  }
  return Status::OK();
}

}  // namespace

Result<Regex> Regex::Compile(std::string_view pattern) {
  auto flags = std::regex::ECMAScript;
  std::string_view p = pattern;
  if (p.starts_with("(?i)")) {
    flags |= std::regex::icase;
    p.remove_prefix(4);
  }
  if (p.size() > 4096) return InvalidArgument("regular expression too long");
  // Repetition counts above 1000 are refused (as RE2 does): they blow up the automaton, and
  // libstdc++ overflows on huge ones.
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      // Backreferences (\1) are not RE2 syntax, and libstdc++ overflows on huge ones.
      if (i + 1 < p.size() && std::isdigit(static_cast<unsigned char>(p[i + 1]))) {
        return InvalidArgument("invalid escape sequence in `" + std::string(pattern) + "`");
      }
      ++i;
      continue;
    }
    if (p[i] != '{') continue;
    size_t j = i + 1;
    while (j < p.size() && (std::isdigit(static_cast<unsigned char>(p[j])) || p[j] == ',')) {
      size_t start = j;
      while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) ++j;
      if (j - start > 4 || (j > start && std::stoi(std::string(p.substr(start, j - start))) > 1000)) {
        return InvalidArgument("invalid repeat count in `" + std::string(pattern) + "`");
      }
      if (j < p.size() && p[j] == ',') ++j;
    }
  }
  RETURN_IF_ERROR(CheckBacktrackingSafe(p));
  Regex r;
  r.pattern_ = std::string(pattern);
  // std::regex reports syntax errors by throwing; this is the one place they are caught.
  try {
    auto impl = std::make_shared<Impl>();
    impl->re = std::regex(p.begin(), p.end(), flags);
    r.impl_ = std::move(impl);
  } catch (const std::regex_error& e) {
    return InvalidArgument(std::string("invalid regular expression: `") + std::string(pattern) +
                           "`");
  }
  return r;
}

bool Regex::Match(std::string_view text) const {
  if (!impl_) return false;
  // libstdc++'s backtracking matcher recurses per input character; longer texts could exhaust
  // the stack, so they never match (documented in doc/query.md).
  if (text.size() > kMaxMatchBytes) return false;
  try {
    return std::regex_search(text.begin(), text.end(), impl_->re);
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace verbund::query
