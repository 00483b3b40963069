#include "keys/password.h"

#include <gtest/gtest.h>

namespace verbund::keys {
namespace {

TEST(PasswordTest, HashVerifiesAndSaltIsFresh) {
  std::string h = HashPassword("s3cret");
  EXPECT_EQ(h.rfind("$scrypt$16384$8$1$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("s3cret", h));
  EXPECT_FALSE(VerifyPassword("s3cret ", h));
  EXPECT_FALSE(VerifyPassword("", h));
  EXPECT_NE(HashPassword("s3cret"), h);
}

TEST(PasswordTest, MalformedEncodingsAreFalse) {
  EXPECT_FALSE(VerifyPassword("x", ""));
  EXPECT_FALSE(VerifyPassword("x", "$scrypt$garbage"));
  EXPECT_FALSE(VerifyPassword("x", "$scrypt$abc$8$1$c2FsdA==$aGFzaA=="));
  EXPECT_FALSE(VerifyPassword("x", "$scrypt$4194304$8$1$c2FsdA==$aGFzaA=="));  // N too large
  EXPECT_FALSE(VerifyPassword("x", "$bcrypt$16384$8$1$c2FsdA==$aGFzaA=="));
  EXPECT_FALSE(VerifyPassword("x", "$scrypt$16384$8$1$c2FsdA==$"));
}

TEST(PasswordTest, TamperedHashFails) {
  std::string h = HashPassword("wonder");
  auto salt_end = h.rfind('$');
  std::string tampered = h.substr(0, salt_end + 1) + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  EXPECT_FALSE(VerifyPassword("wonder", tampered));
  EXPECT_TRUE(VerifyPassword("wonder", h));
}

}  // namespace
}  // namespace verbund::keys
