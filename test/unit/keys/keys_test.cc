#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "keys/aead.h"
#include "keys/file_key_provider.h"

namespace verbund::keys {
namespace {

std::string TempDir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("verbund_keys_") + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(AeadTest, SealOpenRoundTrip) {
  DataKey k = GenerateKey().value();
  auto sealed = Aead::Seal(k, "aad", "hello world").value();
  EXPECT_EQ(sealed.size(), 11 + kSealOverhead);
  EXPECT_EQ(sealed.find("hello"), std::string::npos);
  EXPECT_EQ(Aead::Open(k, "aad", sealed).value(), "hello world");
}

TEST(AeadTest, NoncesDifferPerSeal) {
  DataKey k = GenerateKey().value();
  EXPECT_NE(Aead::Seal(k, "", "x").value(), Aead::Seal(k, "", "x").value());
}

TEST(AeadTest, WrongAadIsCorruption) {
  DataKey k = GenerateKey().value();
  auto sealed = Aead::Seal(k, "aad", "payload").value();
  EXPECT_EQ(Aead::Open(k, "other", sealed).status().code(), StatusCode::kCorruption);
}

TEST(AeadTest, EveryFlippedBitIsCorruption) {
  DataKey k = GenerateKey().value();
  auto sealed = Aead::Seal(k, "a", "some payload bytes").value();
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    std::string bad = sealed;
    bad[i / 8] ^= static_cast<char>(1 << (i % 8));
    EXPECT_EQ(Aead::Open(k, "a", bad).status().code(), StatusCode::kCorruption) << i;
  }
}

TEST(AeadTest, WrongKeyAndShortInputAreCorruption) {
  DataKey k = GenerateKey().value();
  DataKey other = GenerateKey().value();
  auto sealed = Aead::Seal(k, "", "p").value();
  EXPECT_EQ(Aead::Open(other, "", sealed).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(Aead::Open(k, "", "short").status().code(), StatusCode::kCorruption);
}

TEST(AeadTest, EmptyPlaintext) {
  DataKey k = GenerateKey().value();
  auto sealed = Aead::Seal(k, "x", "").value();
  EXPECT_EQ(Aead::Open(k, "x", sealed).value(), "");
}

TEST(FileKeyProviderTest, CreatesFileWithMode0600AndReopens) {
  std::string dir = TempDir("create");
  std::string path = dir + "/keys/local.key";
  KeyId id;
  DataKey key;
  {
    auto p = FileKeyProvider::Open(path).value();
    id = p->ActiveKeyId("acme-tenant").value();
    key = p->GetKey(id).value();
    EXPECT_EQ(p->ActiveKeyId("acme-tenant").value(), id);
    EXPECT_NE(p->ActiveKeyId("other").value(), id);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto p = FileKeyProvider::Open(path).value();
  EXPECT_EQ(p->ActiveKeyId("acme-tenant").value(), id);
  EXPECT_EQ(p->GetKey(id).value().bytes, key.bytes);
  // Tenant names are not in the file in clear.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("acme-tenant"), std::string::npos);
}

TEST(FileKeyProviderTest, RotateKeepsOldKeysReadable) {
  auto p = FileKeyProvider::Open(TempDir("rotate") + "/k").value();
  KeyId a = p->ActiveKeyId("t").value();
  KeyId b = p->Rotate("t").value();
  EXPECT_NE(a, b);
  EXPECT_EQ(p->ActiveKeyId("t").value(), b);
  EXPECT_TRUE(p->GetKey(a).ok());
}

TEST(FileKeyProviderTest, LockedTenantIsFailedPrecondition) {
  auto p = FileKeyProvider::Open(TempDir("lock") + "/k").value();
  KeyId a = p->ActiveKeyId("t").value();
  p->Lock("t");
  EXPECT_EQ(p->GetKey(a).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(p->ActiveKeyId("t").status().code(), StatusCode::kFailedPrecondition);
  p->Unlock("t");
  EXPECT_TRUE(p->GetKey(a).ok());
  EXPECT_EQ(p->GetKey(999).status().code(), StatusCode::kNotFound);
}

TEST(FileKeyProviderTest, DamagedFileIsCorruption) {
  std::string path = TempDir("damage") + "/k";
  { ASSERT_TRUE(FileKeyProvider::Open(path).value()->ActiveKeyId("t").ok()); }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(60);
  f.put('\x55');
  f.close();
  EXPECT_EQ(FileKeyProvider::Open(path).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace verbund::keys
