#include "security/token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace verbund::security {
namespace {

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHex[] = "0123456789abcdef";

int B64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string B64UrlEncode(const uint8_t* data, size_t n) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64Url[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kB64Url[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace

bool ValidTokenId(std::string_view id) {
  if (id.size() != kTokenIdChars) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<ParsedToken> ParseToken(std::string_view token) {
  if (token.size() != kTokenChars || !token.starts_with(kTokenPrefix)) {
    return Malformed("token: expected vbt_<16 hex>_<43 base64url>");
  }
  ParsedToken out;
  out.id = token.substr(kTokenPrefix.size(), kTokenIdChars);
  if (!ValidTokenId(out.id) || token[kTokenPrefix.size() + kTokenIdChars] != '_') {
    return Malformed("token: bad id");
  }
  std::string_view secret = token.substr(kTokenPrefix.size() + kTokenIdChars + 1);
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (char c : secret) {
    int v = B64UrlValue(c);
    if (v < 0) return Malformed("token: bad secret");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.secret[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  // 43 characters carry 258 bits: 32 bytes and 2 bits that must be zero.
  if (n != kTokenSecretBytes || (acc & ((1u << bits) - 1)) != 0) {
    return Malformed("token: bad secret");
  }
  return out;
}

Result<NewToken> MakeToken(const RandomSource& random) {
  uint8_t id[kTokenIdBytes];
  std::array<uint8_t, kTokenSecretBytes> secret;
  RETURN_IF_ERROR(random(id, sizeof id));
  RETURN_IF_ERROR(random(secret.data(), secret.size()));
  NewToken out;
  for (uint8_t b : id) {
    out.id += kHex[b >> 4];
    out.id += kHex[b & 15];
  }
  out.token = std::string(kTokenPrefix) + out.id + "_" + B64UrlEncode(secret.data(), secret.size());
  out.hash = HashSecret(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return out;
}

SecretHash HashSecret(const std::array<uint8_t, kTokenSecretBytes>& secret) {
  SecretHash h;
  SHA256(secret.data(), secret.size(), h.data());
  return h;
}

bool SecretHashEquals(const SecretHash& a, const SecretHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace verbund::security
