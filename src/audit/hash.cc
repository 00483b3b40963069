#include "audit/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

namespace verbund::audit {
namespace {

const EVP_MD* Sha256() {
  // Fetched once: EVP_sha256() would look the implementation up on every init.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (size_t k = i; k < i + 2; ++k) {
      const char c = hex[k];
      const int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out->push_back(static_cast<char>(v));
  }
  return true;
}

std::string HashHex(const Hash& h) { return HexEncode(HashBytes(h)); }

std::optional<Hash> HashFromHex(std::string_view hex) {
  std::string bytes;
  if (hex.size() != 64 || !HexDecode(hex, &bytes)) return std::nullopt;
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string_view HashBytes(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || Sha256() == nullptr) std::abort();  // out of memory / broken OpenSSL
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

Hash Hasher::Digest(uint8_t prefix, bool with_prefix, std::string_view a, std::string_view b) {
  Hash out;
  unsigned int n = 0;
  // EVP calls cannot fail for SHA-256 on an initialised context short of memory corruption.
  EVP_DigestInit_ex2(ctx_, Sha256(), nullptr);
  if (with_prefix) EVP_DigestUpdate(ctx_, &prefix, 1);
  EVP_DigestUpdate(ctx_, a.data(), a.size());
  if (!b.empty()) EVP_DigestUpdate(ctx_, b.data(), b.size());
  EVP_DigestFinal_ex(ctx_, out.data(), &n);
  return out;
}

Hash Hasher::Leaf(std::string_view entry) { return Digest(0x00, true, entry, {}); }

Hash Hasher::Node(const Hash& left, const Hash& right) {
  return Digest(0x01, true, HashBytes(left), HashBytes(right));
}

Hash Hasher::Plain(std::string_view data) { return Digest(0, false, data, {}); }

const Hash& EmptyRoot() {
  static const Hash root = [] {
    Hasher h;
    return h.Plain({});
  }();
  return root;
}

}  // namespace verbund::audit
