#include "mqtt/auth.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace verbund::mqtt {
namespace {

TEST(PasswordTest, HashVerifies) {
  std::string h = HashPassword("s3cret");
  EXPECT_EQ(h.rfind("$scrypt$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("s3cret", h));
  EXPECT_FALSE(VerifyPassword("s3cret ", h));
  EXPECT_FALSE(VerifyPassword("s3cret", "$scrypt$garbage"));
  EXPECT_NE(HashPassword("s3cret"), h);  // fresh salt
}

TEST(PasswordAuthenticatorTest, UsersAnonymousAndCertificates) {
  std::string path = ::testing::TempDir() + "/passwd";
  {
    std::ofstream out(path);
    out << "# users\nalice:" << HashPassword("wonder") << "\n";
  }
  auto auth = PasswordAuthenticator::Create(path, /*allow_anonymous=*/false);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  ConnectInfo ok{"c", "alice", "wonder", "p", {}, "tcp"};
  EXPECT_TRUE(std::holds_alternative<Principal>((*auth)->Authenticate(ok)));
  ConnectInfo bad{"c", "alice", "nope", "p", {}, "tcp"};
  EXPECT_EQ(std::get<ReasonCode>((*auth)->Authenticate(bad)), ReasonCode::kBadUserNameOrPassword);
  ConnectInfo anon{"c", std::nullopt, std::nullopt, "p", {}, "tcp"};
  EXPECT_EQ(std::get<ReasonCode>((*auth)->Authenticate(anon)), ReasonCode::kNotAuthorized);
  ConnectInfo cert{"c", std::nullopt, std::nullopt, "p", {"plc-17"}, "tls"};
  EXPECT_EQ(std::get<Principal>((*auth)->Authenticate(cert)).name, "plc-17");
  std::remove(path.c_str());
}

TEST(PasswordAuthenticatorTest, RejectsPlaintextLines) {
  std::string path = ::testing::TempDir() + "/passwd-bad";
  {
    std::ofstream out(path);
    out << "bob:plaintext\n";
  }
  auto auth = PasswordAuthenticator::Create(path, true);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("line 1"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace verbund::mqtt
