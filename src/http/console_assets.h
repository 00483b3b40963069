// The web console's files (web/console, built by npm at build time), served by the hub itself
// under /console/ so that nothing else has to run: `GET /` and `GET /console` redirect to
// `/console/`, a file under it is answered from memory, and any other path under it without a
// file extension is the single page (index.html, whose router reads the URL's fragment).
//
// Every answer carries the console's security headers: a strict Content-Security-Policy (only
// the hub's own scripts, styles, images and API; no inline script or style, no framing), nosniff,
// no referrer. Hashed assets (assets/*) are cached for a year; index.html is revalidated (ETag).
//
// The files are read once, when the hub starts (a few hundred KiB); a directory that is missing
// leaves the console unavailable with a clear 404 and the rest of the hub unaffected.
//
// Thread-safety: immutable after Load; Serve may be called concurrently.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/api.h"

namespace verbund::http {

inline constexpr std::string_view kConsolePrefix = "/console/";

// The Content-Security-Policy every console answer carries (doc/security.md).
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

class ConsoleAssets {
 public:
  struct Limits {
    size_t max_files = 2000;
    size_t max_bytes = 64 << 20;
  };
  // An empty set: every console path answers 404 with `why_missing`.
  explicit ConsoleAssets(std::string why_missing = "the web console is not installed");
  // Reads every regular file under `dir` (index.html required). Errors name the file.
  static Result<ConsoleAssets> Load(const std::string& dir, Limits limits);
  static Result<ConsoleAssets> Load(const std::string& dir) { return Load(dir, Limits{}); }

  // True for the paths Serve answers: "/", "/console" and everything under "/console/".
  static bool Handles(std::string_view path);
  // The answer to GET or HEAD of `path`; `if_none_match` is the request's If-None-Match.
  Response Serve(std::string_view method, std::string_view path,
                 std::string_view if_none_match) const;

  size_t file_count() const { return files_.size(); }
  size_t total_bytes() const { return total_bytes_; }

 private:
  struct File {
    std::string body;
    std::string content_type;
    std::string etag;  // quoted
  };
  std::map<std::string, File, std::less<>> files_;  // by path relative to the directory
  size_t total_bytes_ = 0;
  std::string why_missing_;
};

}  // namespace verbund::http
