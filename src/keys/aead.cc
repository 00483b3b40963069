#include "keys/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

namespace verbund::keys {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// One cipher context per thread, reused (creating one per call costs more than sealing a
// small record).
EVP_CIPHER_CTX* ThreadCtx() {
  thread_local CtxPtr ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
}

}  // namespace

DataKey::~DataKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

Status RandomBytes(void* out, size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return Internal("RAND_bytes failed");
  }
  return Status::OK();
}

Result<DataKey> GenerateKey() {
  DataKey k;
  RETURN_IF_ERROR(RandomBytes(k.bytes.data(), k.bytes.size()));
  return k;
}

Status Aead::SealTo(const DataKey& key, std::string_view aad, std::string_view plaintext,
                    std::string* out) {
  EVP_CIPHER_CTX* ctx = ThreadCtx();
  if (ctx == nullptr) return Internal("EVP_CIPHER_CTX_new failed");
  const size_t base = out->size();
  out->resize(base + kNonceBytes + plaintext.size() + kTagBytes);
  auto* p = reinterpret_cast<unsigned char*>(out->data() + base);
  if (Status s = RandomBytes(p, kNonceBytes); !s.ok()) {
    out->resize(base);
    return s;
  }
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.bytes.data(), p) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                           static_cast<int>(aad.size())) == 1;
  }
  unsigned char* ct = p + kNonceBytes;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx, ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                           static_cast<int>(plaintext.size())) == 1;
  }
  ok = ok && EVP_EncryptFinal_ex(ctx, ct + plaintext.size(), &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) == 1;
  if (!ok) {
    out->resize(base);
    return Internal("AES-256-GCM seal failed");
  }
  return Status::OK();
}

Result<std::string> Aead::Seal(const DataKey& key, std::string_view aad,
                               std::string_view plaintext) {
  std::string out;
  RETURN_IF_ERROR(SealTo(key, aad, plaintext, &out));
  return out;
}

Status Aead::OpenTo(const DataKey& key, std::string_view aad, std::string_view sealed,
                    std::string* out) {
  out->clear();
  if (sealed.size() < kSealOverhead) return Corruption("sealed value too short");
  EVP_CIPHER_CTX* ctx = ThreadCtx();
  if (ctx == nullptr) return Internal("EVP_CIPHER_CTX_new failed");
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t n = sealed.size() - kSealOverhead;
  out->resize(n);
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx, nullptr, nullptr, key.bytes.data(), p) == 1;
  if (ok && !aad.empty()) {
    ok = EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                           static_cast<int>(aad.size())) == 1;
  }
  if (ok && n > 0) {
    ok = EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out->data()), &len,
                           p + kNonceBytes, static_cast<int>(n)) == 1;
  }
  if (!ok) {
    out->clear();
    return Internal("AES-256-GCM open failed");
  }
  ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes,
                           const_cast<unsigned char*>(p + kNonceBytes + n)) == 1 &&
       EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out->data()) + n, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out->data(), out->size());
    out->clear();
    return Corruption("authentication tag mismatch");
  }
  return Status::OK();
}

Result<std::string> Aead::Open(const DataKey& key, std::string_view aad, std::string_view sealed) {
  std::string out;
  RETURN_IF_ERROR(OpenTo(key, aad, sealed, &out));
  return out;
}

std::array<uint8_t, 32> HmacSha256(const DataKey& key, std::string_view data) {
  std::array<uint8_t, 32> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return mac;
}

DataKey DeriveKey(const DataKey& key, std::string_view label) {
  DataKey out;
  std::array<uint8_t, 32> mac = HmacSha256(key, label);
  std::copy(mac.begin(), mac.end(), out.bytes.begin());
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

}  // namespace verbund::keys
