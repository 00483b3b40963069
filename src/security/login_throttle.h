// Back-off for failed logins, per principal and per source address.
//
// Two kinds of entries, each with its own exponential back-off (base delay doubling per
// consecutive failure, capped) that is forgotten after a quiet period without failures:
//
//  - (principal, source network): the network is the /24 of an IPv4 address, the /64 of an
//    IPv6 one. Guessing one principal's password from one network slows down; but a failure
//    from network A never delays that principal's correct login from network B, so an attacker
//    cannot lock a device or user out by failing on purpose from elsewhere.
//  - (source address): one address failing against many principals (credential stuffing)
//    slows down for every principal it tries.
//
// A login is allowed when neither entry is backing off. RecordSuccess clears only the
// (principal, network) entry: a valid account of an attacker must not reset its address's
// back-off against others. The entry count is capped (oldest entries evicted first), so a flood
// of failures with fresh names cannot exhaust memory; an attacker with many addresses can at
// worst evict entries early, which the incident detectors (credential stuffing) see anyway.
//
// Thread-safety: all methods are safe from any thread (entries are sharded, one mutex each).
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace verbund::security {

struct LoginThrottleOptions {
  int64_t base_delay_ms = 100;            // after the first failure
  int64_t max_delay_ms = 30'000;          // cap of the doubling
  int64_t forget_after_ms = 15 * 60'000;  // quiet period after which an entry is dropped
  size_t max_entries = 100'000;           // both kinds together
};

struct ThrottleDecision {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // when !allowed
};

class LoginThrottle {
 public:
  explicit LoginThrottle(LoginThrottleOptions options = {});

  // `principal` as presented (e.g. "tenant/name"); `address` an IP, "ip:port" or "[ipv6]:port".
  ThrottleDecision Check(std::string_view principal, std::string_view address, int64_t now_ns);
  void RecordFailure(std::string_view principal, std::string_view address, int64_t now_ns);
  void RecordSuccess(std::string_view principal, std::string_view address, int64_t now_ns);

  size_t size() const;  // entries held

  // The address without port and brackets, and its network ("10.1.2.0/24", "2001:db8:0:1::/64");
  // an unparsable address is its own network.
  static std::string AddressOf(std::string_view address);
  static std::string NetworkOf(std::string_view address);

 private:
  struct Entry {
    uint32_t failures = 0;
    int64_t last_failure_ns = 0;
    int64_t blocked_until_ns = 0;
    std::list<std::string>::iterator lru;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> lru;  // front: most recently failed
  };
  static constexpr size_t kShards = 16;

  Shard& ShardFor(const std::string& key);
  // Milliseconds until `key` may try again (0: now); drops an entry past its quiet period.
  int64_t Remaining(const std::string& key, int64_t now_ns);
  void Fail(const std::string& key, int64_t now_ns);
  void Clear(const std::string& key);

  const LoginThrottleOptions options_;
  std::array<Shard, kShards> shards_;
};

}  // namespace verbund::security
