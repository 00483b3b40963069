#include "mqtt/auth.h"

#include <fstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "core/logging.h"

namespace verbund::mqtt {
namespace {

constexpr uint64_t kN = 1 << 14, kR = 8, kP = 1;

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(len);
  return out;
}

std::optional<std::string> Unbase64(std::string_view s) {
  std::string out(3 * s.size() / 4 + 3, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (len < 0) return std::nullopt;
  size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(len - pad);
  return out;
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
  auto salt = Unbase64(parts[5]);
  auto want = Unbase64(parts[6]);
  if (!salt || !want || want->empty() || want->size() > 64) return false;
  unsigned char got[64];
  if (!Scrypt(password, *salt, n, r, p, got, want->size())) return false;
  return CRYPTO_memcmp(got, want->data(), want->size()) == 0;
}

Result<std::unique_ptr<PasswordAuthenticator>> PasswordAuthenticator::Create(
    const std::string& password_file, bool allow_anonymous) {
  auto auth = std::unique_ptr<PasswordAuthenticator>(new PasswordAuthenticator());
  auth->allow_anonymous_ = allow_anonymous;
  if (password_file.empty()) return auth;
  std::ifstream in(password_file);
  if (!in) return InvalidArgument("mqtt.password_file: cannot read '" + password_file + "'");
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || line.compare(colon + 1, 8, "$scrypt$") != 0) {
      return InvalidArgument("mqtt.password_file: line " + std::to_string(lineno) +
                             ": expected user:$scrypt$... (make one with `verbund --hash-password`)");
    }
    auth->users_[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return auth;
}

std::variant<Principal, ReasonCode> PasswordAuthenticator::Authenticate(const ConnectInfo& info) {
  if (info.cert_identity) return Principal{*info.cert_identity, false};
  if (info.username) {
    auto it = users_.find(*info.username);
    if (it != users_.end()) {
      if (info.password && VerifyPassword(*info.password, it->second)) {
        return Principal{*info.username, false};
      }
      return ReasonCode::kBadUserNameOrPassword;
    }
    if (!users_.empty()) return ReasonCode::kBadUserNameOrPassword;
  }
  if (allow_anonymous_) return Principal{info.username.value_or(""), true};
  return ReasonCode::kNotAuthorized;
}

}  // namespace verbund::mqtt
