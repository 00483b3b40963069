#include "keys/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <atomic>
#include <optional>
#include <vector>

#include "keys/base64.h"

namespace verbund::keys {
namespace {

constexpr uint64_t kN = 1 << 14, kR = 8, kP = 1;

std::string Base64(const unsigned char* data, size_t n) {
  return EncodeBase64(std::string_view(reinterpret_cast<const char*>(data), n));
}

bool Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r, uint64_t p,
            unsigned char* out, size_t out_len) {
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                        64ull << 20, out, out_len) == 1;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

std::string HashPassword(std::string_view password) {
  unsigned char salt[16];
  RAND_bytes(salt, sizeof salt);
  unsigned char hash[32];
  Scrypt(password, std::string_view(reinterpret_cast<char*>(salt), sizeof salt), kN, kR, kP, hash,
         sizeof hash);
  return "$scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" + std::to_string(kP) +
         "$" + Base64(salt, sizeof salt) + "$" + Base64(hash, sizeof hash);
}

namespace {
std::atomic<uint64_t> verifications{0};
}  // namespace

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  auto parts = Split(encoded, '$');
  // "", "scrypt", N, r, p, salt, hash
  if (parts.size() != 7 || parts[1] != "scrypt") return false;
  uint64_t n = 0, r = 0, p = 0;
  try {
    n = std::stoull(std::string(parts[2]));
    r = std::stoull(std::string(parts[3]));
    p = std::stoull(std::string(parts[4]));
  } catch (...) {
    return false;
  }
  if (n > (1 << 20) || r > 32 || p > 16) return false;
  auto salt = DecodeBase64(parts[5]);
  auto want = DecodeBase64(parts[6]);
  if (!salt || !want || want->empty() || want->size() > 64) return false;
  unsigned char got[64];
  verifications.fetch_add(1, std::memory_order_relaxed);
  if (!Scrypt(password, *salt, n, r, p, got, want->size())) return false;
  return CRYPTO_memcmp(got, want->data(), want->size()) == 0;
}

uint64_t PasswordVerifications() { return verifications.load(std::memory_order_relaxed); }

}  // namespace verbund::keys
