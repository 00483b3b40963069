#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <utility>

#include "exit_codes.h"

namespace verbund::ctl {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  std::string_view rest = url;
  if (rest.substr(0, 8) == "https://") {
    return InvalidArgument("https is not supported by verbundctl yet: " + std::string(url));
  }
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  if (rest.find("://") != std::string_view::npos) {
    return InvalidArgument("not an http URL: " + std::string(url));
  }
  ServerUrl out;
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.base_path = std::string(path);
  }
  if (authority.empty()) return InvalidArgument("no host in server URL: " + std::string(url));
  size_t colon;
  if (authority.front() == '[') {  // [::1]:8086
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("bad IPv6 host: " + std::string(url));
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return InvalidArgument("bad server URL: " + std::string(url));
    }
    colon = after.empty() ? std::string_view::npos : close + 1;
  } else {
    colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
  }
  out.port = "8086";
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return InvalidArgument("bad port in server URL: " + std::string(url));
    }
    out.port = std::string(port);
  }
  if (out.host.empty()) return InvalidArgument("no host in server URL: " + std::string(url));
  return out;
}

std::string EncodePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ErrorMessage(const HttpResponse& response) {
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const nlohmann::json& e = j["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      return e["message"].get<std::string>();
    }
  }
  std::string body = response.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (!body.empty()) return body;
  return "HTTP " + std::to_string(response.status);
}

int ExitCodeForStatus(unsigned status) {
  if (status >= 200 && status < 300) return kExitOk;
  if (status == 401 || status == 403) return kExitNotAuthorized;
  if (status == 404) return kExitNotFound;
  if (status == 409) return kExitConflict;
  return kExitServerError;
}

HttpClient::HttpClient(ServerUrl server, std::string token, std::chrono::milliseconds timeout)
    : server_(std::move(server)), token_(std::move(token)), timeout_(timeout) {}

Result<HttpResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                      std::string_view json_body) const {
  const std::string where = server_.host + ":" + server_.port;
  boost::asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(server_.host, server_.port, ec);
  if (ec) return Unavailable("cannot resolve " + server_.host + ": " + ec.message());
  beast::tcp_stream stream(io);
  stream.expires_after(timeout_);
  stream.connect(endpoints, ec);
  if (ec) return Unavailable("cannot connect to " + where + ": " + ec.message());

  http::request<http::string_body> req;
  req.method(http::string_to_verb(std::string(method)));
  req.target(server_.base_path + std::string(path));
  req.version(11);
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "verbundctl");
  req.set(http::field::accept, "application/json");
  req.set(http::field::connection, "close");
  if (!token_.empty()) req.set(http::field::authorization, "Token " + token_);
  if (!json_body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(json_body);
  }
  req.prepare_payload();

  stream.expires_after(timeout_);
  http::write(stream, req, ec);
  if (ec) return Unavailable("cannot send to " + where + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  stream.expires_after(timeout_);
  http::read(stream, buffer, parser, ec);
  if (ec) return Unavailable("no answer from " + where + ": " + ec.message());
  const auto& res = parser.get();
  HttpResponse out;
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  out.body = res.body();
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // best effort
  return out;
}

}  // namespace verbund::ctl
