// Browser sessions of the web console: after a login with a password or an API token
// (POST /api/v1/session), the browser holds a random session id in an HttpOnly, SameSite=Strict
// cookie and sends the session's CSRF token in the X-CSRF-Token header with every request that
// changes something. A session carries the identity it was opened with; it ends on logout, after
// `idle_ttl_ns` without use, `absolute_ttl_ns` after the login, or when the directory no longer
// holds the identity as it was (the caller checks Snapshot::IsCurrent on every use).
//
// Sessions live in memory only: a restarted hub asks everyone to log in again. Only SHA-256 of
// each session id is kept (a memory dump of the table yields no usable cookie); the CSRF token is
// compared in constant time.
//
// Thread-safety: every method may be called from any thread concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "security/token.h"
#include "security/types.h"

namespace verbund::security {

struct WebSessionOptions {
  int64_t idle_ttl_ns = 30LL * 60 * 1'000'000'000;        // 30 minutes without a request
  int64_t absolute_ttl_ns = 12LL * 3600 * 1'000'000'000;  // 12 hours after the login
  size_t max_sessions = 10'000;   // beyond: the session used least recently is ended
  size_t max_per_principal = 32;  // beyond: that principal's least recently used one is ended
  RandomSource random;            // empty: OpenSSL's RAND_bytes
};

struct OpenedSession {
  std::string id;          // the cookie value: 64 lower-case hex characters
  std::string csrf;        // 64 lower-case hex characters
  int64_t expires_ns = 0;  // absolute end (monotonic clock)
};

struct ActiveSession {
  Identity identity;
  std::string csrf;
  int64_t expires_ns = 0;  // the earlier of the idle and the absolute end, after this use
};

class WebSessions {
 public:
  explicit WebSessions(WebSessionOptions options = {});

  Result<OpenedSession> Open(const Identity& identity, int64_t now_ns);
  // The live session with this id (its idle clock restarted), or nullopt.
  std::optional<ActiveSession> Use(std::string_view id, int64_t now_ns);
  // False when there was no such session.
  bool Close(std::string_view id);
  size_t size() const;

  // Constant-time comparison of a presented CSRF token with the session's.
  static bool CsrfMatches(std::string_view presented, std::string_view expected);

 private:
  using Key = std::array<uint8_t, 32>;  // SHA-256 of the id
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    Identity identity;
    std::string csrf;
    int64_t opened_ns = 0;
    int64_t last_used_ns = 0;
  };
  static Key KeyOf(std::string_view id);
  void EvictLocked(int64_t now_ns, const std::string& full_name);  // REQUIRES(mu_)

  const WebSessionOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Entry, KeyHash> sessions_;  // GUARDED_BY(mu_)
};

}  // namespace verbund::security
