// API tokens: `vbt_<id>_<secret>`, where <id> is 8 random bytes in lower-case hex (public: used
// to look the token up, list and revoke it) and <secret> is 32 random bytes in unpadded
// base64url (43 characters). The directory stores only SHA-256 of the 32 secret bytes and
// compares it in constant time (CRYPTO_memcmp).
//
// Thread-safety: pure functions (the random source is the caller's).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::security {

inline constexpr std::string_view kTokenPrefix = "vbt_";
inline constexpr size_t kTokenIdBytes = 8;
inline constexpr size_t kTokenSecretBytes = 32;
inline constexpr size_t kTokenIdChars = 2 * kTokenIdBytes;  // 16
inline constexpr size_t kTokenSecretChars = 43;             // base64url of 32 bytes, no padding
inline constexpr size_t kTokenChars = 4 + kTokenIdChars + 1 + kTokenSecretChars;  // 64

using SecretHash = std::array<uint8_t, 32>;
// Fills n bytes with cryptographically strong randomness.
using RandomSource = std::function<Status(void* out, size_t n)>;

struct ParsedToken {
  std::string_view id;  // 16 hex characters, a view into the input
  std::array<uint8_t, kTokenSecretBytes> secret{};
};

// Malformed unless `token` is exactly the form above (canonical base64url: the unused low bits
// of the last character are zero).
Result<ParsedToken> ParseToken(std::string_view token);

struct NewToken {
  std::string token;  // shown to the user once
  std::string id;
  SecretHash hash;  // what is stored
};
Result<NewToken> MakeToken(const RandomSource& random);

SecretHash HashSecret(const std::array<uint8_t, kTokenSecretBytes>& secret);
// Constant-time equality of two hashes (CRYPTO_memcmp).
bool SecretHashEquals(const SecretHash& a, const SecretHash& b);
// True if `id` is 16 lower-case hex characters.
bool ValidTokenId(std::string_view id);

}  // namespace verbund::security
