#include "security/web_sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace verbund::security {
namespace {

constexpr size_t kIdBytes = 32;

std::string Hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

Status OpenSslRandom(void* out, size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return Internal("RAND_bytes failed");
  }
  return Status::OK();
}

}  // namespace

WebSessions::WebSessions(WebSessionOptions options) : options_(std::move(options)) {}

size_t WebSessions::KeyHash::operator()(const Key& k) const {
  size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // already uniformly distributed
  return h;
}

WebSessions::Key WebSessions::KeyOf(std::string_view id) {
  Key k;
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), k.data());
  return k;
}

bool WebSessions::CsrfMatches(std::string_view presented, std::string_view expected) {
  return !expected.empty() && presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

void WebSessions::EvictLocked(int64_t now_ns, const std::string& full_name) {
  std::erase_if(sessions_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return now_ns - e.last_used_ns >= options_.idle_ttl_ns ||
           now_ns - e.opened_ns >= options_.absolute_ttl_ns;
  });
  auto evict_lru = [&](auto&& pred) {
    auto victim = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (pred(it->second) &&
          (victim == sessions_.end() || it->second.last_used_ns < victim->second.last_used_ns)) {
        victim = it;
      }
    }
    if (victim != sessions_.end()) sessions_.erase(victim);
  };
  size_t mine = 0;
  for (const auto& [k, e] : sessions_) mine += e.identity.FullName() == full_name;
  if (mine >= options_.max_per_principal) {
    evict_lru([&](const Entry& e) { return e.identity.FullName() == full_name; });
  }
  if (sessions_.size() >= options_.max_sessions) evict_lru([](const Entry&) { return true; });
}

Result<OpenedSession> WebSessions::Open(const Identity& identity, int64_t now_ns) {
  uint8_t bytes[2 * kIdBytes];
  Status st =
      options_.random ? options_.random(bytes, sizeof bytes) : OpenSslRandom(bytes, sizeof bytes);
  if (!st.ok()) return st;
  OpenedSession s;
  s.id = Hex(bytes, kIdBytes);
  s.csrf = Hex(bytes + kIdBytes, kIdBytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  s.expires_ns = now_ns + options_.absolute_ttl_ns;
  std::lock_guard lock(mu_);
  EvictLocked(now_ns, identity.FullName());
  Entry& e = sessions_[KeyOf(s.id)];
  e.identity = identity;
  e.csrf = s.csrf;
  e.opened_ns = now_ns;
  e.last_used_ns = now_ns;
  return s;
}

std::optional<ActiveSession> WebSessions::Use(std::string_view id, int64_t now_ns) {
  if (id.size() != 2 * kIdBytes) return std::nullopt;
  const Key key = KeyOf(id);
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  Entry& e = it->second;
  if (now_ns - e.last_used_ns >= options_.idle_ttl_ns ||
      now_ns - e.opened_ns >= options_.absolute_ttl_ns) {
    sessions_.erase(it);
    return std::nullopt;
  }
  e.last_used_ns = now_ns;
  return ActiveSession{
      e.identity, e.csrf,
      std::min(now_ns + options_.idle_ttl_ns, e.opened_ns + options_.absolute_ttl_ns)};
}

bool WebSessions::Close(std::string_view id) {
  const Key key = KeyOf(id);
  std::lock_guard lock(mu_);
  return sessions_.erase(key) > 0;
}

size_t WebSessions::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace verbund::security
