#include "audit/sth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "audit/log.h"
#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::FreshDir;
using testing::SampleEntry;

TEST(SthTest, SignAndVerify) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  SignedTreeHead sth;
  sth.tree_size = 42;
  sth.timestamp_ns = 123;
  sth.root = EmptyRoot();
  ASSERT_TRUE(key->Sign(&sth).ok());
  EXPECT_TRUE(VerifySth(sth, key->public_key()).ok());
  for (int field = 0; field < 3; ++field) {
    SignedTreeHead bad = sth;
    if (field == 0) bad.tree_size++;
    if (field == 1) bad.timestamp_ns++;
    if (field == 2) bad.root[31] ^= 1;
    EXPECT_FALSE(VerifySth(bad, key->public_key()).ok());
  }
  auto other = SigningKey::Generate();
  EXPECT_FALSE(VerifySth(sth, other->public_key()).ok());
}

TEST(SthTest, EncodingRoundTripsAndIsStrict) {
  auto key = SigningKey::Generate();
  SignedTreeHead sth;
  sth.tree_size = 7;
  sth.timestamp_ns = 1'700'000'000'000'000'000;
  sth.root = EmptyRoot();
  ASSERT_TRUE(key->Sign(&sth).ok());
  const std::string bytes = EncodeSth(sth);
  EXPECT_EQ(bytes.size(), kSthBytes);
  EXPECT_EQ(SthSignedBytes(sth).size(), kSthSignedBytes);
  EXPECT_EQ(*DecodeSth(bytes), sth);
  EXPECT_FALSE(DecodeSth(bytes.substr(1)).ok());
  EXPECT_FALSE(DecodeSth(bytes + "x").ok());
  std::string v2 = bytes;
  v2[0] = 2;
  EXPECT_FALSE(DecodeSth(v2).ok());
  auto j = SthFromJson(SthToJson(sth));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j, sth);
  EXPECT_FALSE(SthFromJson("{}").ok());
  EXPECT_FALSE(SthFromJson("not json").ok());
}

TEST(SthTest, PublicKeyParsesFromHexAndPem) {
  auto key = SigningKey::Generate();
  const PublicKey& pub = key->public_key();
  EXPECT_EQ(pub.Hex().size(), 64u);
  EXPECT_EQ(*PublicKey::Parse(pub.Hex() + "\n"), pub);
  const std::string pem = pub.Pem();
  EXPECT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(*PublicKey::Parse(pem), pub);
  EXPECT_FALSE(PublicKey::Parse("zz").ok());
  auto again = SigningKey::FromPem(key->Pem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), pub);
}

TEST(SthTest, KeyIsCreatedOnceWithMode0600) {
  const std::string dir = FreshDir("key");
  auto a = SigningKey::LoadOrCreate(dir);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = SigningKey::LoadOrCreate(dir);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_EQ(SigningKey::Load(FreshDir("nokey")).status().code(), StatusCode::kNotFound);
}

TEST(SthTest, SignerKeepsHistoryDurableAndChecksTheLogAtOpen) {
  const std::string dir = FreshDir("signer");
  AuditLogOptions o;
  o.dir = dir;
  FakeClock clock;
  SthSignerOptions so;
  so.dir = dir;
  so.clock = &clock;
  {
    auto log = AuditLog::Open(o);
    ASSERT_TRUE(log.ok());
    auto signer = SthSigner::Open(so, log->get(), std::move(SigningKey::LoadOrCreate(dir)).value());
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    ASSERT_TRUE((*signer)->MaybeSign().ok());  // the empty tree
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
    clock.Advance(1'000'000'000);
    ASSERT_TRUE((*signer)->MaybeSign().ok());
    ASSERT_TRUE((*signer)->MaybeSign().ok());  // unchanged: no new head
    auto history = (*signer)->History();
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].tree_size, 0u);
    EXPECT_EQ(history[0].root, EmptyRoot());
    EXPECT_EQ(history[1].tree_size, 10u);
    EXPECT_EQ(history[1].root, *(*log)->Root(10));
    EXPECT_TRUE(VerifySth(history[1], (*signer)->public_key()).ok());
  }
  auto log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok());
  auto signer = SthSigner::Open(so, log->get(), std::move(SigningKey::LoadOrCreate(dir)).value());
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ((*signer)->History().size(), 2u);
  EXPECT_EQ((*signer)->Latest()->tree_size, 10u);

  // A log that lost signed entries is refused.
  signer->reset();
  log->reset();
  const std::string other = FreshDir("signer_short");
  std::filesystem::copy_file(dir + "/sth.log", other + "/sth.log");
  std::filesystem::copy_file(dir + "/signing.key", other + "/signing.key");
  o.dir = so.dir = other;
  auto short_log = AuditLog::Open(o);
  ASSERT_TRUE(short_log.ok());
  auto refused = SthSigner::Open(so, short_log->get(), std::move(SigningKey::Load(other)).value());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
}

TEST(SthTest, SignerThreadSignsWhileEntriesArrive) {
  const std::string dir = FreshDir("signer_thread");
  AuditLogOptions o;
  o.dir = dir;
  auto log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok());
  SthSignerOptions so;
  so.dir = dir;
  so.interval_ms = 20;
  auto signer = SthSigner::Open(so, log->get(), std::move(SigningKey::LoadOrCreate(dir)).value());
  ASSERT_TRUE(signer.ok());
  (*signer)->Start();
  for (uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  for (int i = 0; i < 100 && (*signer)->Latest().value_or(SignedTreeHead{}).tree_size < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*signer)->Stop();
  EXPECT_EQ((*signer)->Latest()->tree_size, 5u);
  EXPECT_GE((*signer)->History().size(), 3u);
}

}  // namespace
}  // namespace verbund::audit
