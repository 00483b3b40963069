#include "http/credentials.h"

#include <gtest/gtest.h>

namespace verbund::http {
namespace {

Params P(std::initializer_list<std::pair<std::string, std::string>> items) {
  Params p;
  for (const auto& [k, v] : items) p.Add(k, v);
  return p;
}

TEST(CredentialsTest, QueryParametersAsTheInfluxCliSendsThem) {
  auto c = ExtractCredentials(P({{"db", "x"}, {"u", "acme/ann"}, {"p", "s3cret:x"}}), "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->username, "acme/ann");
  EXPECT_EQ(c->password, "s3cret:x");
  EXPECT_FALSE(c->token);
  EXPECT_TRUE(ExtractCredentials(P({{"db", "x"}}), "")->empty());
}

TEST(CredentialsTest, BasicSplitsAtTheFirstColon) {
  // base64("acme/ann:pa:ss") = YWNtZS9hbm46cGE6c3M=
  auto c = ExtractCredentials(P({{"u", "ignored"}}), "Basic YWNtZS9hbm46cGE6c3M=");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->username, "acme/ann");  // the header wins over parameters
  EXPECT_EQ(c->password, "pa:ss");
  auto lower = ExtractCredentials({}, "basic  YWNtZS9hbm46cGE6c3M= ");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->password, "pa:ss");
}

TEST(CredentialsTest, TokenAndBearer) {
  EXPECT_EQ(ExtractCredentials({}, "Token vbt_00_abc")->token, "vbt_00_abc");
  EXPECT_EQ(ExtractCredentials({}, "Bearer vbt_00_abc")->token, "vbt_00_abc");
}

TEST(CredentialsTest, MalformedHeadersAreErrorsNotAnonymous) {
  for (const char* h : {"Basic", "Basic !!!!", "Basic YWJj", "Basic YWJjZA==", "Token", "Token a b",
                        "Digest abc", "Bearer "}) {
    EXPECT_FALSE(ExtractCredentials({}, h).ok()) << h;
  }
}

TEST(CredentialsTest, SessionCookieAmongOthers) {
  EXPECT_EQ(SessionCookie("verbund_session=abc"), "abc");
  EXPECT_EQ(SessionCookie("theme=dark; verbund_session=abc; lang=de"), "abc");
  EXPECT_EQ(SessionCookie("theme=dark;verbund_session=\"abc\""), "abc");
  EXPECT_EQ(SessionCookie("xverbund_session=abc"), std::nullopt);
  EXPECT_EQ(SessionCookie("verbund_session="), std::nullopt);
  EXPECT_EQ(SessionCookie(""), std::nullopt);
  EXPECT_EQ(SessionCookie("verbund_session"), std::nullopt);
}

}  // namespace
}  // namespace verbund::http
