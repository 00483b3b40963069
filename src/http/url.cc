#include "http/url.h"

#include <charconv>

namespace verbund::http {

std::string_view Params::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return {};
}

bool Params::Has(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return true;
  }
  return false;
}

void Params::PrependAll(const Params& other) {
  items_.insert(items_.begin(), other.items_.begin(), other.items_.end());
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
      continue;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= s.size()) {
      return Malformed("invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
    }
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return Malformed("invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<Params> ParseQueryString(std::string_view s) {
  Params params;
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view piece = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    ASSIGN_OR_RETURN(std::string n, PercentDecode(name, true));
    ASSIGN_OR_RETURN(std::string v, PercentDecode(value, true));
    params.Add(std::move(n), std::move(v));
  }
  return params;
}

Result<Target> ParseTarget(std::string_view target) {
  size_t q = target.find('?');
  Target t;
  ASSIGN_OR_RETURN(t.path, PercentDecode(target.substr(0, q), false));
  if (q != std::string_view::npos) {
    ASSIGN_OR_RETURN(t.params, ParseQueryString(target.substr(q + 1)));
  }
  return t;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace verbund::http
