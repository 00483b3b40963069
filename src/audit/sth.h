// Signed tree heads (doc/format/audit.md, "Signed tree head"): the hub's Ed25519 signature
// over (version, tree size, timestamp, root), and the hub's signing key.
//
//   STH encoding (113 bytes)  version u8 = 1 | tree_size u64 | timestamp_ns i64 | root (32) |
//                             signature (64)
//   signed message (65 bytes) "VerbundAuditSTH\0" (16) | version | tree_size | timestamp | root
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/hash.h"
#include "core/clock.h"
#include "core/status.h"

struct evp_pkey_st;

namespace verbund::audit {

class AuditLog;

inline constexpr uint8_t kSthVersion = 1;
inline constexpr size_t kSthBytes = 113;
inline constexpr size_t kSthSignedBytes = 65;
inline constexpr char kSthContext[] = "VerbundAuditSTH";  // + its NUL: 16 bytes

struct SignedTreeHead {
  uint8_t version = kSthVersion;
  uint64_t tree_size = 0;
  TimestampNs timestamp_ns = 0;
  Hash root{};
  std::array<uint8_t, 64> signature{};

  bool operator==(const SignedTreeHead&) const = default;
};

// The message the signature covers.
std::string SthSignedBytes(const SignedTreeHead& sth);
std::string EncodeSth(const SignedTreeHead& sth);
// Malformed unless exactly 113 bytes of a known version.
Result<SignedTreeHead> DecodeSth(std::string_view bytes);
// {"version":1,"tree_size":..,"timestamp_ns":..,"root":"hex","signature":"hex"}
std::string SthToJson(const SignedTreeHead& sth);
Result<SignedTreeHead> SthFromJson(std::string_view json);

// An Ed25519 public key (the 32 raw bytes of RFC 8032).
struct PublicKey {
  std::array<uint8_t, 32> raw{};
  std::string Hex() const;
  std::string Pem() const;
  // Accepts 64 hex digits or a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block.
  static Result<PublicKey> Parse(std::string_view text);
  bool operator==(const PublicKey&) const = default;
};

// OK if `sth` carries a valid signature by `key`; Corruption otherwise.
Status VerifySth(const SignedTreeHead& sth, const PublicKey& key);

// The hub's Ed25519 private key. Move-only; the key never leaves OpenSSL except as the PEM
// file it was loaded from.
class SigningKey {
 public:
  static Result<SigningKey> Generate();
  // PKCS#8 PEM ("PRIVATE KEY").
  static Result<SigningKey> FromPem(std::string_view pem);
  // Loads <dir>/signing.key, or generates one and writes it (mode 0600, durably) if missing.
  static Result<SigningKey> LoadOrCreate(const std::string& dir);
  // Loads <dir>/signing.key; NotFound if missing.
  static Result<SigningKey> Load(const std::string& dir);

  SigningKey(SigningKey&& o) noexcept;
  SigningKey& operator=(SigningKey&& o) noexcept;
  ~SigningKey();

  std::string Pem() const;
  const PublicKey& public_key() const { return public_; }
  // Fills in sth->signature over SthSignedBytes(*sth).
  Status Sign(SignedTreeHead* sth) const;

 private:
  SigningKey() = default;
  static Result<SigningKey> Wrap(evp_pkey_st* pkey);
  evp_pkey_st* pkey_ = nullptr;
  PublicKey public_;
};

// Every tree head in <dir>/sth.log, oldest first, without changing the file (a torn tail is
// ignored); an empty vector if the file does not exist. *valid_bytes (if set) receives the
// length of the good prefix.
Result<std::vector<SignedTreeHead>> ReadSthLog(const std::string& dir,
                                               uint64_t* valid_bytes = nullptr);

struct SthSignerOptions {
  std::string dir;               // the audit directory (sth.log lives there)
  uint32_t interval_ms = 1000;   // Start(): at most this long between a new entry and its STH
  const Clock* clock = nullptr;  // nullptr: SystemClock::Default()
};

// Produces signed tree heads over an AuditLog's synced prefix and keeps every one of them in
// <dir>/sth.log (append-only framed records, fdatasynced before SignNow returns).
// Driving: either the owner calls MaybeSign() from its own timer at least once a second, or
// Start() runs a thread that does so every interval_ms. Thread-safe. The log is borrowed and
// must outlive the signer.
class SthSigner {
 public:
  // Reads sth.log (a torn tail is cut off) and checks the newest STH against the log: its
  // size must not exceed the log's and its root must match (Corruption otherwise: the log lost
  // or changed entries a signature covered).
  static Result<std::unique_ptr<SthSigner>> Open(const SthSignerOptions& options, AuditLog* log,
                                                 SigningKey key);
  ~SthSigner();  // stops the thread

  // Syncs the log and signs its head now, even if unchanged.
  Result<SignedTreeHead> SignNow();
  // Signs if the log has grown since the latest STH (or none exists yet).
  Status MaybeSign();
  void Start();
  void Stop();

  std::optional<SignedTreeHead> Latest() const;
  std::vector<SignedTreeHead> History() const;  // oldest first
  const PublicKey& public_key() const { return key_.public_key(); }

 private:
  SthSigner(const SthSignerOptions& options, AuditLog* log, SigningKey key);
  Status Load();
  void Run();

  const SthSignerOptions options_;
  const Clock* clock_;
  AuditLog* const log_;
  const SigningKey key_;

  std::mutex sign_mu_;  // one signature at a time; guards fd_
  int fd_ = -1;

  mutable std::mutex mu_;  // guards history_ and the thread state
  std::vector<SignedTreeHead> history_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace verbund::audit
