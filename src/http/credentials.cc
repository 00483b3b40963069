#include "http/credentials.h"

#include "keys/base64.h"

namespace verbund::http {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Standard base64 with padding (RFC 7617 uses RFC 4648 section 4).
std::optional<std::string> DecodeBase64(std::string_view in) {
  if (in.empty() || in.size() > 8192) return std::nullopt;
  return keys::DecodeBase64(in);
}

}  // namespace

Result<Credentials> ExtractCredentials(const Params& params, std::string_view authorization) {
  Credentials c;
  authorization = Trim(authorization);
  if (!authorization.empty()) {
    size_t space = authorization.find(' ');
    std::string_view scheme = authorization.substr(0, space);
    std::string_view value =
        space == std::string_view::npos ? std::string_view() : Trim(authorization.substr(space));
    if (EqualsIgnoreCase(scheme, "Basic")) {
      auto decoded = DecodeBase64(value);
      if (!decoded) return InvalidArgument("malformed Basic authorization");
      size_t colon = decoded->find(':');
      if (colon == std::string::npos) return InvalidArgument("malformed Basic authorization");
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
      return c;
    }
    if (EqualsIgnoreCase(scheme, "Token") || EqualsIgnoreCase(scheme, "Bearer")) {
      if (value.empty() || value.find(' ') != std::string_view::npos) {
        return InvalidArgument("malformed token authorization");
      }
      c.token = std::string(value);
      return c;
    }
    return InvalidArgument("unsupported authorization scheme '" + std::string(scheme) + "'");
  }
  if (params.Has("u") || params.Has("p")) {
    c.username = std::string(params.Get("u"));
    c.password = std::string(params.Get("p"));
  }
  return c;
}

std::optional<std::string> SessionCookie(std::string_view header) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != kSessionCookie) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!value.empty()) return std::string(value);
  }
  return std::nullopt;
}

}  // namespace verbund::http
