// Password hashing: scrypt (OpenSSL EVP_PBE_scrypt) with a fresh 16-byte salt, encoded as
// `$scrypt$<N>$<r>$<p>$<salt-b64>$<hash-b64>` (N=16384, r=8, p=1, 32-byte hash, standard
// base64 with padding). The encoding is what mqtt.password_file and the security directory store.
//
// Thread-safety: both functions are safe from any thread. Each call costs one scrypt run
// (about 16 MiB of memory and tens of milliseconds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace verbund::keys {

// Derives the scrypt encoding of a password with a fresh random salt.
std::string HashPassword(std::string_view password);
// Checks a password against an encoded hash; the final comparison is constant-time
// (CRYPTO_memcmp). A malformed encoding (or parameters above N=2^20, r=32, p=16) is false.
bool VerifyPassword(std::string_view password, std::string_view encoded);

// How many scrypt derivations VerifyPassword has run in this process: lets tests check that a
// code path costs exactly one (e.g. an unknown user as much as a wrong password) without timing.
uint64_t PasswordVerifications();

}  // namespace verbund::keys
