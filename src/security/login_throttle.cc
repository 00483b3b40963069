#include "security/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <functional>

namespace verbund::security {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;

// "P|" + principal + "|" + network, "A|" + address: the prefixes keep the two kinds apart.
std::string PrincipalKey(std::string_view principal, std::string_view address) {
  std::string key = "P|";
  key += principal;
  key += '|';
  key += LoginThrottle::NetworkOf(address);
  return key;
}
std::string AddressKey(std::string_view address) {
  return "A|" + LoginThrottle::AddressOf(address);
}

}  // namespace

LoginThrottle::LoginThrottle(LoginThrottleOptions options) : options_(options) {}

std::string LoginThrottle::AddressOf(std::string_view a) {
  if (a.starts_with('[')) {
    size_t close = a.find(']');
    if (close != std::string_view::npos) return std::string(a.substr(1, close - 1));
    return std::string(a);
  }
  // One colon: "ipv4:port"; more: a bare IPv6 address.
  size_t colon = a.find(':');
  if (colon != std::string_view::npos && a.find(':', colon + 1) == std::string_view::npos) {
    return std::string(a.substr(0, colon));
  }
  return std::string(a);
}

std::string LoginThrottle::NetworkOf(std::string_view address) {
  std::string ip = AddressOf(address);
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    buf[3] = 0;
    inet_ntop(AF_INET, buf, text, sizeof text);
    return std::string(text) + "/24";
  }
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(buf, kMapped, 12) == 0) {  // ::ffff:a.b.c.d is the IPv4 address
      buf[15] = 0;
      inet_ntop(AF_INET, buf + 12, text, sizeof text);
      return std::string(text) + "/24";
    }
    std::memset(buf + 8, 0, 8);
    inet_ntop(AF_INET6, buf, text, sizeof text);
    return std::string(text) + "/64";
  }
  return ip;
}

LoginThrottle::Shard& LoginThrottle::ShardFor(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

int64_t LoginThrottle::Remaining(const std::string& key, int64_t now_ns) {
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return 0;
  if (now_ns - it->second.last_failure_ns > options_.forget_after_ms * kNsPerMs) {
    s.lru.erase(it->second.lru);
    s.entries.erase(it);
    return 0;
  }
  int64_t wait = it->second.blocked_until_ns - now_ns;
  return wait <= 0 ? 0 : (wait + kNsPerMs - 1) / kNsPerMs;
}

void LoginThrottle::Fail(const std::string& key, int64_t now_ns) {
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(key);
  if (it != s.entries.end() &&
      now_ns - it->second.last_failure_ns > options_.forget_after_ms * kNsPerMs) {
    it->second.failures = 0;  // quiet long enough: start over
  }
  if (it == s.entries.end()) {
    size_t cap = std::max<size_t>(1, options_.max_entries / kShards);
    while (s.entries.size() >= cap && !s.lru.empty()) {
      s.entries.erase(s.lru.back());
      s.lru.pop_back();
    }
    s.lru.push_front(key);
    it = s.entries.emplace(key, Entry{}).first;
    it->second.lru = s.lru.begin();
  } else {
    s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
  }
  Entry& e = it->second;
  e.failures = std::min<uint32_t>(e.failures + 1, 63);
  int64_t delay_ms = options_.base_delay_ms;
  for (uint32_t i = 1; i < e.failures && delay_ms < options_.max_delay_ms; ++i) delay_ms *= 2;
  delay_ms = std::min(delay_ms, options_.max_delay_ms);
  e.last_failure_ns = now_ns;
  e.blocked_until_ns = now_ns + delay_ms * kNsPerMs;
}

void LoginThrottle::Clear(const std::string& key) {
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return;
  s.lru.erase(it->second.lru);
  s.entries.erase(it);
}

ThrottleDecision LoginThrottle::Check(std::string_view principal, std::string_view address,
                                      int64_t now_ns) {
  int64_t wait = std::max(Remaining(PrincipalKey(principal, address), now_ns),
                          Remaining(AddressKey(address), now_ns));
  if (wait == 0) return {};
  return {false, wait};
}

void LoginThrottle::RecordFailure(std::string_view principal, std::string_view address,
                                  int64_t now_ns) {
  Fail(PrincipalKey(principal, address), now_ns);
  Fail(AddressKey(address), now_ns);
}

void LoginThrottle::RecordSuccess(std::string_view principal, std::string_view address,
                                  int64_t now_ns) {
  Clear(PrincipalKey(principal, address));
}

size_t LoginThrottle::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace verbund::security
