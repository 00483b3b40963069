// AES-256-GCM sealing of records, chunks and wrapped keys (OpenSSL EVP).
//
// Sealed form: | nonce (12) | ciphertext (= plaintext length) | tag (16) |, nonce random per
// seal. Open() returns Corruption when the tag does not verify (wrong key, wrong AAD, or any
// flipped bit) and never returns unauthenticated bytes.
//
// Thread-safety: all functions are safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::keys {

// Identifies a data key; appears in clear in WAL records and chunk values. 0 is never issued.
using KeyId = uint32_t;

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kSealOverhead = kNonceBytes + kTagBytes;

// A 256-bit symmetric key. Wiped on destruction.
struct DataKey {
  std::array<uint8_t, kKeyBytes> bytes{};

  DataKey() = default;
  DataKey(const DataKey&) = default;
  DataKey& operator=(const DataKey&) = default;
  ~DataKey();
};

// Fills `n` bytes from OpenSSL's CSPRNG. Internal error if the RNG fails.
Status RandomBytes(void* out, size_t n);
Result<DataKey> GenerateKey();

class Aead {
 public:
  // Appends nonce||ciphertext||tag to *out. Internal on an OpenSSL failure.
  static Status SealTo(const DataKey& key, std::string_view aad, std::string_view plaintext,
                       std::string* out);
  static Result<std::string> Seal(const DataKey& key, std::string_view aad,
                                  std::string_view plaintext);
  // Corruption if `sealed` is too short or the tag does not verify. Writes into *out (replaced).
  static Status OpenTo(const DataKey& key, std::string_view aad, std::string_view sealed,
                       std::string* out);
  static Result<std::string> Open(const DataKey& key, std::string_view aad,
                                  std::string_view sealed);
};

// HMAC-SHA-256 of `data` under `key` (for keyed lookup hashes that reveal nothing in clear).
std::array<uint8_t, 32> HmacSha256(const DataKey& key, std::string_view data);

// Derives a sub-key for one purpose ("verbund catalog index v1") from a data key (HKDF-like:
// HMAC(key, label)).
DataKey DeriveKey(const DataKey& key, std::string_view label);

}  // namespace verbund::keys
