// Fuzzes what an HTTP request says about who sent it: the request target (path and query
// parameters, where `u`/`p` live), the Authorization header (Basic, Token, Bearer), and, read
// from the same bytes, a Cookie header (the console's session cookie) and a console login body
// (JSON). Any bytes must parse or fail with a Status; a Basic header that parses must
// round-trip; a session cookie found is never empty and holds no separator.
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/credentials.h"
#include "http/session_routes.h"
#include "http/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // First line: the request target; the rest: the Authorization header value.
  const size_t nl = in.find('\n');
  std::string_view target = in.substr(0, nl);
  std::string_view authorization = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  verbund::http::Params params;
  if (auto t = verbund::http::ParseTarget(target); t.ok()) params = t->params;
  if (auto session = verbund::http::SessionCookie(authorization)) {
    if (session->empty() || session->find(';') != std::string::npos) __builtin_trap();
  }
  if (auto login = verbund::http::LoginCredentials(in); login.ok() && login->empty()) {
    __builtin_trap();
  }
  auto c = verbund::http::ExtractCredentials(params, authorization);
  if (c.ok() && c->username && c->password && !authorization.empty() &&
      (authorization[0] == 'B' || authorization[0] == 'b') && authorization.size() > 6 &&
      (authorization[1] == 'a' || authorization[1] == 'A')) {
    // Basic: user ':' password encodes back to a header that gives the same pair.
    std::string pair = *c->username + ":" + *c->password;
    std::string b64(4 * ((pair.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                            reinterpret_cast<const unsigned char*>(pair.data()),
                            static_cast<int>(pair.size()));
    b64.resize(static_cast<size_t>(n));
    auto again = verbund::http::ExtractCredentials({}, "Basic " + b64);
    if (!again.ok() || again->username != c->username || again->password != c->password) {
      __builtin_trap();
    }
  }
  return 0;
}
