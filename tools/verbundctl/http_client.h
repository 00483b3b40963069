// A small synchronous HTTP/1.1 client for verbundctl's admin commands (Boost.Beast, plain http):
// one connection per request, `Authorization: Token <token>`, JSON bodies.
//
// Thread-safety: an HttpClient is used by one thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::ctl {

struct ServerUrl {
  std::string host;
  std::string port;       // "8086" when the URL names none
  std::string base_path;  // "" or "/prefix" (no trailing '/')
};

// "http://host[:port][/prefix]", "host:port" (http assumed). https:// is InvalidArgument (not
// supported yet), as is anything else that is not an http URL.
Result<ServerUrl> ParseServerUrl(std::string_view url);

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// Percent-encodes one path segment (everything but unreserved characters), so a certificate
// identity like "CN=a/O=b" stays one segment.
std::string EncodePathSegment(std::string_view segment);

// The message of an API error body {"error":{"code":..,"message":..}} (or {"error":".."}); the
// body itself, or "HTTP <status>", when it is not one.
std::string ErrorMessage(const HttpResponse& response);

// verbundctl's exit code for an HTTP status (exit_codes.h): 2xx ok, 401/403 not authorized,
// 404 not found, 409 conflict, anything else a server error.
int ExitCodeForStatus(unsigned status);

class HttpClient {
 public:
  HttpClient(ServerUrl server, std::string token,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // `path` starts with '/' and is already encoded. Unavailable when the hub cannot be reached
  // (resolve, connect, send or receive failed), with the reason.
  Result<HttpResponse> Send(std::string_view method, std::string_view path,
                            std::string_view json_body = {}) const;

 private:
  ServerUrl server_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace verbund::ctl
