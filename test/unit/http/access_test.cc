// http::Access: who an HTTP caller is (tokens, passwords with a verified-credential cache and
// login back-off) and what its scopes let it see.
#include "http/access.h"

#include <gtest/gtest.h>

#include "keys/password.h"
#include "unit/security/security_test_util.h"

namespace verbund::http {
namespace {

using security::Effect;
using security::PrincipalKind;
using security::Right;
using security::testing::MakeRule;
using security::testing::OpenPlain;
using security::testing::TempPath;

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = OpenPlain(TempPath("http_access"));
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    ASSERT_TRUE(dir_->CreateTenant("beta").ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "ann", PrincipalKind::kUser, true).ok());
    ASSERT_TRUE(dir_->SetPassword("acme", "ann", "s3cret").ok());
    ASSERT_TRUE(dir_->CreatePrincipal("_hub", "root", PrincipalKind::kOperator).ok());
    access_ = std::make_unique<Access>(AccessOptions{dir_.get(), true, &clock_});
  }
  Result<Caller> Login(std::string user, std::string password, std::string peer = "10.0.0.1:1") {
    Credentials c;
    c.username = std::move(user);
    c.password = std::move(password);
    int64_t retry = 0;
    return access_->Authenticate(c, peer, &retry);
  }
  Result<Caller> WithToken(std::string token) {
    Credentials c;
    c.token = std::move(token);
    return access_->Authenticate(c, "10.0.0.1:1", nullptr);
  }

  FakeClock clock_{1'800'000'000'000'000'000};
  std::unique_ptr<security::Directory> dir_;
  std::unique_ptr<Access> access_;
};

TEST_F(AccessTest, NoCredentialsAreRefusedUnlessAuthIsOff) {
  EXPECT_EQ(access_->Authenticate({}, "p", nullptr).status().code(), StatusCode::kUnauthenticated);
  Access open(AccessOptions{dir_.get(), false, &clock_});
  auto anon = open.Authenticate({}, "p", nullptr);
  ASSERT_TRUE(anon.ok());
  EXPECT_TRUE(anon->anonymous());
  EXPECT_EQ(open.QueryScopeFor(*anon), nullptr);
  EXPECT_TRUE(open.MayReadMetrics(*anon));
  // Credentials are still checked with auth off.
  Credentials bad;
  bad.username = "acme/ann";
  bad.password = "wrong";
  EXPECT_FALSE(open.Authenticate(bad, "p", nullptr).ok());
}

TEST_F(AccessTest, VerifiedPasswordsAreRememberedUntilTheyChange) {
  ASSERT_TRUE(Login("acme/ann", "s3cret").ok());
  const uint64_t before = keys::PasswordVerifications();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Login("acme/ann", "s3cret").ok());
  EXPECT_EQ(keys::PasswordVerifications(), before);  // no scrypt for a remembered pair
  // Another password is not remembered (each failure below from its own network, so that the
  // login back-off does not decide the answers).
  EXPECT_EQ(Login("acme/ann", "S3cret", "10.0.1.1:1").status().code(),
            StatusCode::kUnauthenticated);
  ASSERT_TRUE(dir_->SetPassword("acme", "ann", "new").ok());
  // The change ends the remembered pair at once.
  EXPECT_EQ(Login("acme/ann", "s3cret", "10.0.2.1:1").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(Login("acme/ann", "new").ok());
  clock_.Advance(301'000'000'000);  // and it expires
  const uint64_t again = keys::PasswordVerifications();
  EXPECT_TRUE(Login("acme/ann", "new").ok());
  EXPECT_EQ(keys::PasswordVerifications(), again + 1);
}

TEST_F(AccessTest, FailedLoginsBackOffPerAddressNotForOthers) {
  EXPECT_EQ(Login("acme/ann", "x", "10.9.9.9:5").status().code(), StatusCode::kUnauthenticated);
  // Right after a failure the same network backs off ...
  EXPECT_EQ(Login("acme/ann", "s3cret", "10.9.9.9:6").status().code(),
            StatusCode::kResourceExhausted);
  // ... while the principal still logs in from elsewhere.
  EXPECT_TRUE(Login("acme/ann", "s3cret", "192.168.1.2:7").ok());
}

TEST_F(AccessTest, TokensCarryTheirRightsAndExpire) {
  auto issued = dir_->IssueToken("acme", "ann", security::Bit(Right::kQuery),
                                 clock_.NowNs() / 1'000'000 + 60'000);
  ASSERT_TRUE(issued.ok());
  auto caller = WithToken(issued->token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->identity->tenant, "acme");
  // Query only: no write.
  EXPECT_EQ(access_->WriteCheck(*caller, "acme").status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(access_->QueryScopeFor(*caller)->database("acme"));
  clock_.Advance(61'000'000'000);
  EXPECT_FALSE(WithToken(issued->token).ok());
  EXPECT_FALSE(WithToken("vbt_0000000000000000_nope").ok());
}

TEST_F(AccessTest, ConsoleSessionsCarryTheLoginAndEndWithIt) {
  auto ann = Login("acme/ann", "s3cret");
  ASSERT_TRUE(ann.ok());
  auto session = access_->OpenSession(*ann);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(access_->OpenSession(Caller{}).status().code(), StatusCode::kUnauthenticated);
  Credentials c;
  c.session = session->id;
  auto caller = access_->Authenticate(c, "10.0.0.2:1", nullptr);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->identity->FullName(), "acme/ann");
  EXPECT_EQ(caller->session_csrf, session->csrf);
  EXPECT_TRUE(Login("acme/ann", "s3cret")->session_csrf.empty());
  // A password change ends the session.
  ASSERT_TRUE(dir_->SetPassword("acme", "ann", "n3w").ok());
  EXPECT_EQ(access_->Authenticate(c, "10.0.0.2:1", nullptr).status().code(),
            StatusCode::kUnauthenticated);

  // A session opened with a token ends when the token expires.
  auto issued = dir_->IssueToken("acme", "ann", security::Bit(Right::kQuery),
                                 clock_.NowNs() / 1'000'000 + 60'000);
  ASSERT_TRUE(issued.ok());
  auto by_token = access_->OpenSession(*WithToken(issued->token));
  ASSERT_TRUE(by_token.ok());
  c.session = by_token->id;
  EXPECT_TRUE(access_->Authenticate(c, "p", nullptr).ok());
  clock_.Advance(61'000'000'000);
  EXPECT_FALSE(access_->Authenticate(c, "p", nullptr).ok());
  // Logout.
  auto again = access_->OpenSession(*Login("acme/ann", "n3w"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(access_->CloseSession(again->id));
  c.session = again->id;
  EXPECT_FALSE(access_->Authenticate(c, "p", nullptr).ok());
}

TEST_F(AccessTest, ScopesKeepTenantsApartAndFollowRules) {
  auto ann = Login("acme/ann", "s3cret");
  ASSERT_TRUE(ann.ok());
  auto scope = access_->QueryScopeFor(*ann);
  ASSERT_NE(scope, nullptr);
  EXPECT_TRUE(scope->database("acme"));
  EXPECT_TRUE(scope->database("acme_lab"));
  EXPECT_FALSE(scope->database("beta"));
  EXPECT_FALSE(scope->database("acmex"));
  EXPECT_TRUE(scope->read("acme", "cpu"));
  EXPECT_EQ(access_->WriteCheck(*ann, "beta").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(access_->WriteCheck(*ann, "acme").ok());

  ASSERT_TRUE(dir_->AddRule(MakeRule("acme", Effect::kAllow, security::testing::kQuery, "*",
                                     "acme/machine_*"))
                  .ok());
  scope = access_->QueryScopeFor(*ann);
  EXPECT_TRUE(scope->read("acme", "machine_press"));
  EXPECT_FALSE(scope->read("acme", "payroll"));  // default deny once the tenant has rules
  auto write = access_->WriteCheck(*ann, "acme");
  ASSERT_TRUE(write.ok());
  EXPECT_FALSE((*write)("machine_press"));  // no write rule
}

TEST_F(AccessTest, OperatorsAdministerButReadNoTenantData) {
  auto token = dir_->IssueToken("_hub", "root", security::kAllRights, 0);
  ASSERT_TRUE(token.ok());
  auto root = WithToken(token->token);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(access_->QueryScopeFor(*root)->database("acme"));
  EXPECT_FALSE(access_->WriteCheck(*root, "acme").ok());
  EXPECT_TRUE(access_->MayReadMetrics(*root));
  EXPECT_TRUE(access_->MayReadAudit(*root, ""));
  auto ann = Login("acme/ann", "s3cret");
  EXPECT_FALSE(access_->MayReadMetrics(*ann));
  EXPECT_TRUE(access_->MayReadAudit(*ann, "acme"));  // a tenant admin, its own entries
  EXPECT_TRUE(access_->MayReadAudit(*ann, "*"));     // and tree heads and proofs
  EXPECT_FALSE(access_->MayReadAudit(*ann, "beta"));
  EXPECT_FALSE(access_->MayReadAudit(*ann, ""));
}

TEST_F(AccessTest, RequestsAreChargedToPrincipalAndTenantQuotas) {
  security::Usage usage;
  AccessOptions o{dir_.get(), true, &clock_};
  o.usage = &usage;
  Access access(o);
  ASSERT_TRUE(dir_->SetPrincipalQuotas("acme", "ann", {.messages_per_s = 100}).ok());
  auto ann = Login("acme/ann", "s3cret");
  ASSERT_TRUE(ann.ok());
  int64_t retry = 0;
  EXPECT_TRUE(access.Charge(*ann, 60, 1000, &retry).ok());
  Status st = access.Charge(*ann, 60, 1000, &retry);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("messages/s quota of principal acme/ann (100)"), std::string::npos);
  EXPECT_GE(retry, 1);
  clock_.Advance(1'000'000'000);
  EXPECT_TRUE(access.Charge(*ann, 60, 1000, &retry).ok());
  // Anonymous callers (auth off) have no rate quotas.
  EXPECT_TRUE(access.Charge(Caller{}, 1'000'000, 1, &retry).ok());
}

TEST_F(AccessTest, WritesStopAtTheTenantsStoredBytes) {
  security::Usage usage;
  AccessOptions o{dir_.get(), false, &clock_};
  o.usage = &usage;
  Access access(o);
  ASSERT_TRUE(dir_->SetTenantQuotas("acme", {.max_stored_bytes = 1000}).ok());
  auto ann = Login("acme/ann", "s3cret");
  ASSERT_TRUE(ann.ok());
  EXPECT_TRUE(access.CheckStored("acme").ok());
  usage.SetStored({{"acme", {.series = 3, .stored_bytes = 1000}}}, *dir_->snapshot());
  EXPECT_EQ(access.CheckStored("acme_plant").code(), StatusCode::kResourceExhausted);
  // With auth off the database's owner is held to its quota all the same.
  EXPECT_EQ(access.CheckStored("acme_plant").code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(access.CheckStored("beta").ok());
}

}  // namespace
}  // namespace verbund::http
