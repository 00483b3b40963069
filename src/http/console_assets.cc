#include "http/console_assets.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "http/responses.h"

namespace verbund::http {
namespace {

namespace fs = std::filesystem;

std::string_view ContentTypeOf(std::string_view path) {
  struct Kind {
    std::string_view ext, type;
  };
  static constexpr Kind kKinds[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Kind& k : kKinds) {
    if (path.ends_with(k.ext)) return k.type;
  }
  return "application/octet-stream";
}

// A strong validator: the first 16 bytes of the file's SHA-256, quoted.
std::string EtagOf(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned i = 0; i < 16 && i < len; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 15];
  }
  tag += '"';
  return tag;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  // A comma-separated list; weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view item = if_none_match.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

void AddSecurityHeaders(Response* r) {
  r->headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("X-Frame-Options", "DENY");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

Response Redirect(std::string location) {
  Response r;
  r.status = 302;
  r.headers.emplace_back("Location", std::move(location));
  AddSecurityHeaders(&r);
  return r;
}

}  // namespace

ConsoleAssets::ConsoleAssets(std::string why_missing) : why_missing_(std::move(why_missing)) {}

Result<ConsoleAssets> ConsoleAssets::Load(const std::string& dir, Limits limits) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
    return NotFound("no index.html in " + dir);
  }
  ConsoleAssets assets;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return IOError("reading " + dir + ": " + ec.message());
  for (const fs::directory_entry& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string rel = fs::relative(entry.path(), dir, ec).generic_string();
    if (ec) return IOError("reading " + entry.path().string() + ": " + ec.message());
    if (assets.files_.size() >= limits.max_files) {
      return ResourceExhausted(dir + ": more than " + std::to_string(limits.max_files) + " files");
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) return IOError("reading " + entry.path().string());
    File f;
    f.body = std::move(body).str();
    assets.total_bytes_ += f.body.size();
    if (assets.total_bytes_ > limits.max_bytes) {
      return ResourceExhausted(dir + ": more than " + std::to_string(limits.max_bytes) + " bytes");
    }
    f.content_type = std::string(ContentTypeOf(rel));
    f.etag = EtagOf(f.body);
    assets.files_.emplace(rel, std::move(f));
  }
  return assets;
}

bool ConsoleAssets::Handles(std::string_view path) {
  return path == "/" || path == "/console" || path.starts_with(kConsolePrefix);
}

Response ConsoleAssets::Serve(std::string_view method, std::string_view path,
                              std::string_view if_none_match) const {
  if (method != "GET" && method != "HEAD") {
    Response r = NativeError(405, "method_not_allowed", "the console's files are read-only");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/" || path == "/console") return Redirect(std::string(kConsolePrefix));
  std::string_view rel = path.substr(kConsolePrefix.size());
  if (rel.empty()) rel = "index.html";
  auto it = files_.find(rel);
  // A path of the single page (no extension in its last segment) is index.html.
  const std::string_view last = rel.substr(rel.rfind('/') + 1);
  if (it == files_.end() && last.find('.') == std::string_view::npos) {
    it = files_.find(std::string_view("index.html"));
  }
  if (it == files_.end()) {
    Response r = NativeError(404, "not_found",
                             files_.empty() ? why_missing_ : "no such file in the console");
    AddSecurityHeaders(&r);
    return r;
  }
  const File& f = it->second;
  Response r;
  r.headers.emplace_back("ETag", f.etag);
  // Vite names every asset by its content's hash: such a file never changes.
  r.headers.emplace_back("Cache-Control", rel.starts_with("assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  AddSecurityHeaders(&r);
  if (!if_none_match.empty() && EtagMatches(if_none_match, f.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.content_type = f.content_type;
  r.body = f.body;  // (the server sends only the headers of a HEAD answer)
  return r;
}

}  // namespace verbund::http
