#include "security/token.h"

#include <gtest/gtest.h>

#include <cstring>

#include "keys/aead.h"

namespace verbund::security {
namespace {

RandomSource Counter() {
  auto n = std::make_shared<uint8_t>(0);
  return [n](void* out, size_t len) {
    auto* p = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < len; ++i) p[i] = (*n)++;
    return Status::OK();
  };
}

TEST(TokenTest, FormatAndRoundTrip) {
  auto t = MakeToken(Counter());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "0001020304050607");
  EXPECT_EQ(t->token.size(), kTokenChars);
  EXPECT_EQ(t->token.substr(0, 21), "vbt_0001020304050607_");
  auto p = ParseToken(t->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->id, t->id);
  for (size_t i = 0; i < kTokenSecretBytes; ++i) EXPECT_EQ(p->secret[i], 8 + i);
  EXPECT_TRUE(SecretHashEquals(HashSecret(p->secret), t->hash));
}

TEST(TokenTest, RealRandomnessGivesDistinctTokens) {
  auto a = MakeToken(keys::RandomBytes);
  auto b = MakeToken(keys::RandomBytes);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->token, b->token);
  EXPECT_NE(a->id, b->id);
  EXPECT_TRUE(ParseToken(a->token).ok());
}

TEST(TokenTest, RandomFailureIsReported) {
  auto t = MakeToken([](void*, size_t) { return Internal("no entropy"); });
  EXPECT_EQ(t.status().code(), StatusCode::kInternal);
}

TEST(TokenTest, MalformedStrings) {
  std::string good = MakeToken(Counter())->token;
  std::vector<std::string> bad = {
      "",
      "vbt_",
      good.substr(0, 63),
      good + "A",
      "vbx" + good.substr(3),
      "VBT" + good.substr(3),
      good.substr(0, 4) + "000102030405060G" + good.substr(20),  // non-hex id
      good.substr(0, 4) + "000102030405060A" + good.substr(20),  // upper-case hex
      good.substr(0, 20) + "-" + good.substr(21),                // separator
      good.substr(0, 30) + "=" + good.substr(31),                // padding / non-alphabet
      good.substr(0, 30) + "+" + good.substr(31),                // standard base64 char
      good.substr(0, 30) + std::string(1, '\0') + good.substr(31),
  };
  // Non-canonical last character (low 2 bits set).
  std::string noncanon = good;
  noncanon.back() = 'B';
  if (noncanon != good) bad.push_back(noncanon);
  for (const auto& b : bad) EXPECT_EQ(ParseToken(b).status().code(), StatusCode::kMalformed) << b;
}

TEST(TokenTest, ConstantTimeCompareDetectsEveryByte) {
  SecretHash a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  EXPECT_TRUE(SecretHashEquals(a, a));
  for (size_t i = 0; i < a.size(); ++i) {
    SecretHash b = a;
    b[i] ^= 0x80;
    EXPECT_FALSE(SecretHashEquals(a, b)) << i;
  }
}

TEST(TokenTest, ValidTokenId) {
  EXPECT_TRUE(ValidTokenId("0123456789abcdef"));
  EXPECT_FALSE(ValidTokenId("0123456789ABCDEF"));
  EXPECT_FALSE(ValidTokenId("0123456789abcde"));
  EXPECT_FALSE(ValidTokenId("0123456789abcdefa"));
}

}  // namespace
}  // namespace verbund::security
