// Directory mutations, persistence, sealing, authentication and change notification.
#include "security/directory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "keys/aead.h"
#include "keys/password.h"
#include "security/names.h"
#include "security_test_util.h"

namespace verbund::security {
namespace {

using testing::kPub;
using testing::kQuery;
using testing::kSub;
using testing::kWrite;
using testing::MakeRule;
using testing::OpenPlain;
using testing::TempPath;

const auto* const kCleaner = ::testing::AddGlobalTestEnvironment(new testing::TempRootCleaner);

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void WriteAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(DirectoryTest, CreatesAnEmptyFileOnOpen) {
  std::string path = TempPath("empty");
  auto d = OpenPlain(path);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  EXPECT_TRUE(d->ListTenants().empty());
  EXPECT_EQ(d->version(), 0u);
}

TEST(DirectoryTest, OptionsAreChecked) {
  EXPECT_EQ(Directory::Open({}).status().code(), StatusCode::kInvalidArgument);
  DirectoryOptions o;
  o.path = TempPath("half");
  o.seal = [](std::string_view, std::string_view p) -> Result<std::string> {
    return std::string(p);
  };
  EXPECT_EQ(Directory::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(DirectoryTest, TenantLifecycleAndErrors) {
  auto d = OpenPlain(TempPath("tenants"));
  EXPECT_TRUE(d->CreateTenant("acme").ok());
  EXPECT_EQ(d->CreateTenant("acme").code(), StatusCode::kAlreadyExists);
  for (std::string_view bad : {"a/b", "+", "#", "%", "", "_hub", "Acme", "a_b"}) {
    EXPECT_EQ(d->CreateTenant(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(d->CreateTenant(std::string("a\0b", 3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->CreateTenant(std::string(64, 'a')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->DeleteTenant("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(d->DeleteTenant("_hub").code(), StatusCode::kInvalidArgument);
  Quotas q{10, 100, 1000, 50, 1 << 20};
  EXPECT_TRUE(d->SetTenantQuotas("acme", q).ok());
  EXPECT_EQ(d->SetTenantQuotas("nope", q).code(), StatusCode::kNotFound);
  EXPECT_EQ(d->snapshot()->TenantQuotas("acme"), q);
  EXPECT_TRUE(d->snapshot()->HasTenant("acme"));
  EXPECT_FALSE(d->snapshot()->HasTenant("_hub"));
  auto list = d->ListTenants();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "acme");
  EXPECT_EQ(list[0].quotas, q);
}

TEST(DirectoryTest, PrincipalNamesAndKinds) {
  auto d = OpenPlain(TempPath("principals"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  EXPECT_TRUE(d->CreatePrincipal("acme", "plc-1", PrincipalKind::kDevice).ok());
  EXPECT_EQ(d->CreatePrincipal("acme", "plc-1", PrincipalKind::kDevice).code(),
            StatusCode::kAlreadyExists);
  for (std::string_view bad : {"a/b", "+", "#", "%u", "", "a b", "\xff\xfe", "caf\xc3\xa9"}) {
    EXPECT_EQ(d->CreatePrincipal("acme", bad, PrincipalKind::kUser).code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(d->CreatePrincipal("acme", std::string("a\0b", 3), PrincipalKind::kUser).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->CreatePrincipal("acme", std::string(129, 'a'), PrincipalKind::kUser).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->CreatePrincipal("nope", "x", PrincipalKind::kUser).code(), StatusCode::kNotFound);
  // Operators only in _hub, and _hub only operators.
  EXPECT_EQ(d->CreatePrincipal("acme", "root", PrincipalKind::kOperator).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->CreatePrincipal("_hub", "dev", PrincipalKind::kDevice).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->CreatePrincipal("_hub", "root", PrincipalKind::kOperator, true).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(d->CreatePrincipal("_hub", "root", PrincipalKind::kOperator).ok());
  EXPECT_EQ(d->CreatePrincipal("acme", "x", static_cast<PrincipalKind>(9)).code(),
            StatusCode::kInvalidArgument);
  auto ops = d->ListPrincipals("_hub");
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].kind, PrincipalKind::kOperator);
  EXPECT_EQ(d->ListPrincipals("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(d->DeletePrincipal("acme", "ghost").code(), StatusCode::kNotFound);
  EXPECT_TRUE(d->DeletePrincipal("acme", "plc-1").ok());
  EXPECT_TRUE(d->ListPrincipals("acme")->empty());
}

TEST(DirectoryTest, PasswordAuthentication) {
  auto d = OpenPlain(TempPath("passwords"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "alice", PrincipalKind::kUser, true).ok());
  ASSERT_TRUE(d->CreatePrincipal("_hub", "root", PrincipalKind::kOperator).ok());
  EXPECT_EQ(d->SetPassword("acme", "alice", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->SetPassword("acme", "ghost", "pw").code(), StatusCode::kNotFound);
  ASSERT_TRUE(d->SetPassword("acme", "alice", "wonderland").ok());
  ASSERT_TRUE(d->SetPassword("_hub", "root", "toor-toor").ok());
  auto snap = d->snapshot();
  auto ok = snap->AuthenticatePassword("acme/alice", "wonderland");
  ASSERT_TRUE(ok.ok()) << AuthErrorName(ok.error);
  EXPECT_EQ(ok.identity->tenant, "acme");
  EXPECT_EQ(ok.identity->principal, "alice");
  EXPECT_TRUE(ok.identity->tenant_admin);
  EXPECT_EQ(ok.identity->rights, kAllRights);
  EXPECT_EQ(ok.identity->method, AuthMethod::kPassword);
  EXPECT_FALSE(ok.identity->IsOperator());
  EXPECT_EQ(snap->AuthenticatePassword("acme/alice", "wonderlan").error, AuthError::kBadCredential);
  EXPECT_EQ(snap->AuthenticatePassword("acme/ghost", "wonderland").error, AuthError::kUnknown);
  EXPECT_EQ(snap->AuthenticatePassword("other/alice", "wonderland").error, AuthError::kUnknown);
  EXPECT_EQ(snap->AuthenticatePassword("alice", "wonderland").error, AuthError::kMalformed);
  auto root = snap->AuthenticatePassword("_hub/root", "toor-toor");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root.identity->IsOperator());
  // Disabled is only revealed with the right password.
  ASSERT_TRUE(d->SetDisabled("acme", "alice", true).ok());
  snap = d->snapshot();
  EXPECT_EQ(snap->AuthenticatePassword("acme/alice", "wonderland").error, AuthError::kDisabled);
  EXPECT_EQ(snap->AuthenticatePassword("acme/alice", "nope").error, AuthError::kBadCredential);
  ASSERT_TRUE(d->SetDisabled("acme", "alice", false).ok());
  EXPECT_TRUE(d->snapshot()->AuthenticatePassword("acme/alice", "wonderland").ok());
  ASSERT_TRUE(d->ClearPassword("acme", "alice").ok());
  EXPECT_EQ(d->snapshot()->AuthenticatePassword("acme/alice", "wonderland").error,
            AuthError::kBadCredential);
}

TEST(DirectoryTest, UnknownUserCostsAsMuchAsABadPassword) {
  auto d = OpenPlain(TempPath("timing"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "alice", PrincipalKind::kUser).ok());
  ASSERT_TRUE(d->SetPassword("acme", "alice", "wonderland").ok());
  auto snap = d->snapshot();
  // Counted, not timed (the machines are shared): each path runs exactly one scrypt, which is
  // what its time is made of.
  auto scrypt_runs = [&](std::string_view user) {
    uint64_t before = keys::PasswordVerifications();
    EXPECT_FALSE(snap->AuthenticatePassword(user, "guess").ok()) << user;
    return keys::PasswordVerifications() - before;
  };
  EXPECT_EQ(scrypt_runs("acme/alice"), 1u);
  EXPECT_EQ(scrypt_runs("acme/nobody"), 1u);
  EXPECT_EQ(scrypt_runs("ghost/nobody"), 1u);
  EXPECT_EQ(scrypt_runs("nobody"), 1u);
}

TEST(DirectoryTest, CertificateIdentities) {
  auto d = OpenPlain(TempPath("certs"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreateTenant("other").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "plc-1", PrincipalKind::kDevice).ok());
  ASSERT_TRUE(d->CreatePrincipal("other", "plc-1", PrincipalKind::kDevice).ok());
  EXPECT_TRUE(d->AddCertificateIdentity("plc-1.acme.example", "acme", "plc-1").ok());
  EXPECT_EQ(d->AddCertificateIdentity("plc-1.acme.example", "other", "plc-1").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(d->AddCertificateIdentity("x", "acme", "ghost").code(), StatusCode::kNotFound);
  EXPECT_EQ(d->AddCertificateIdentity("", "acme", "plc-1").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->AddCertificateIdentity("\xff", "acme", "plc-1").code(),
            StatusCode::kInvalidArgument);
  auto r = d->snapshot()->AuthenticateCertificate("plc-1.acme.example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.identity->tenant, "acme");
  EXPECT_EQ(r.identity->method, AuthMethod::kCertificate);
  EXPECT_EQ(d->snapshot()->AuthenticateCertificate("nope").error, AuthError::kUnknown);
  auto list = d->ListCertificateIdentities("acme");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].principal, "plc-1");
  EXPECT_TRUE(d->ListCertificateIdentities("other").empty());
  Identity before = *r.identity;
  EXPECT_TRUE(d->RemoveCertificateIdentity("plc-1.acme.example").ok());
  EXPECT_EQ(d->RemoveCertificateIdentity("plc-1.acme.example").code(), StatusCode::kNotFound);
  EXPECT_FALSE(d->snapshot()->AuthenticateCertificate("plc-1.acme.example").ok());
  EXPECT_FALSE(d->snapshot()->IsCurrent(before));  // a live session notices
  ASSERT_TRUE(d->SetDisabled("other", "plc-1", true).ok());
  ASSERT_TRUE(d->AddCertificateIdentity("o", "other", "plc-1").ok());
  EXPECT_EQ(d->snapshot()->AuthenticateCertificate("o").error, AuthError::kDisabled);
}

TEST(DirectoryTest, TokensExpireRevokeAndCarryRights) {
  int64_t now = 1'700'000'000'000;
  DirectoryOptions o;
  o.path = TempPath("tokens");
  o.now_ms = [&] { return now; };
  auto d = std::move(Directory::Open(o)).value();
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "grafana", PrincipalKind::kService).ok());
  EXPECT_EQ(d->IssueToken("acme", "ghost", kQuery, 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(d->IssueToken("acme", "grafana", 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->IssueToken("acme", "grafana", 1u << 8, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->IssueToken("acme", "grafana", kQuery, -1).status().code(),
            StatusCode::kInvalidArgument);
  auto forever = d->IssueToken("acme", "grafana", kQuery, 0);
  ASSERT_TRUE(forever.ok());
  auto hour = d->IssueToken("acme", "grafana", kQuery | kWrite, now + 3'600'000);
  ASSERT_TRUE(hour.ok());
  EXPECT_EQ(forever->token.size(), 64u);
  EXPECT_EQ(forever->token.substr(4, 16), forever->id);

  auto snap = d->snapshot();
  auto a = snap->AuthenticateToken(forever->token, now);
  ASSERT_TRUE(a.ok()) << AuthErrorName(a.error);
  EXPECT_EQ(a.identity->rights, kQuery);
  EXPECT_EQ(a.identity->token_id, forever->id);
  EXPECT_EQ(a.identity->method, AuthMethod::kToken);
  EXPECT_TRUE(snap->Allowed(*a.identity, Right::kQuery, "acme/x", ""));
  EXPECT_FALSE(snap->Allowed(*a.identity, Right::kWrite, "acme/x", ""));
  EXPECT_TRUE(snap->AuthenticateToken(hour->token, now + 3'599'999).ok());
  EXPECT_EQ(snap->AuthenticateToken(hour->token, now + 3'600'000).error, AuthError::kExpired);

  // Wrong secret with a valid id; malformed strings.
  std::string wrong = forever->token;
  wrong.back() = wrong.back() == 'A' ? 'Q' : 'A';
  EXPECT_EQ(snap->AuthenticateToken(wrong, now).error, AuthError::kBadCredential);
  std::string other_id = forever->token;
  other_id[5] = other_id[5] == '0' ? '1' : '0';
  EXPECT_EQ(snap->AuthenticateToken(other_id, now).error, AuthError::kUnknown);
  for (std::string_view bad : {std::string_view(""), std::string_view("vbt_"),
                               std::string_view(forever->token).substr(0, 63)}) {
    EXPECT_EQ(snap->AuthenticateToken(bad, now).error, AuthError::kMalformed);
  }

  auto tokens = d->ListTokens("acme");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].created_ms, now);
  Identity live = *a.identity;
  EXPECT_TRUE(d->snapshot()->IsCurrent(live));
  EXPECT_EQ(d->RevokeToken("zz").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d->RevokeToken("0000000000000000").code(), StatusCode::kNotFound);
  ASSERT_TRUE(d->RevokeToken(forever->id).ok());
  EXPECT_EQ(d->snapshot()->AuthenticateToken(forever->token, now).error, AuthError::kUnknown);
  EXPECT_FALSE(d->snapshot()->IsCurrent(live));
  EXPECT_TRUE(d->snapshot()->AuthenticateToken(hour->token, now).ok());
  EXPECT_EQ(d->ListTokens().size(), 1u);
  ASSERT_TRUE(d->SetDisabled("acme", "grafana", true).ok());
  EXPECT_EQ(d->snapshot()->AuthenticateToken(hour->token, now).error, AuthError::kDisabled);
}

TEST(DirectoryTest, TheFileHoldsNoSecrets) {
  std::string path = TempPath("nosecrets");
  auto d = OpenPlain(path);
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "alice", PrincipalKind::kUser).ok());
  ASSERT_TRUE(d->SetPassword("acme", "alice", "very-distinctive-password").ok());
  auto t = d->IssueToken("acme", "alice", kQuery, 0);
  ASSERT_TRUE(t.ok());
  std::string bytes = ReadAll(path);
  EXPECT_EQ(bytes.find("very-distinctive-password"), std::string::npos);
  EXPECT_EQ(bytes.find(t->token.substr(21)), std::string::npos);  // the secret part
  EXPECT_NE(bytes.find(t->id), std::string::npos);                // the id is public
}

TEST(DirectoryTest, RulesAddListRemove) {
  auto d = OpenPlain(TempPath("rules"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreateTenant("other").ok());
  auto id1 = d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "*", "a/#"));
  auto id2 = d->AddRule(MakeRule("acme", Effect::kDeny, kPub, "bob", "a/b"));
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_LT(*id1, *id2);
  EXPECT_EQ(d->AddRule(MakeRule("nope", Effect::kAllow, kPub, "*", "a")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(d->AddRule(MakeRule("_hub", Effect::kAllow, kPub, "*", "a")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "*", "a/#/b")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "a/b", "a")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->AddRule(MakeRule("acme", Effect::kAllow, kWrite, "*", "nodb")).status().code(),
            StatusCode::kInvalidArgument);
  auto rules = d->ListRules("acme");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].id, *id1);
  EXPECT_EQ((*rules)[1].principal, "bob");
  EXPECT_EQ(d->RemoveRule("other", *id1).code(), StatusCode::kNotFound);
  EXPECT_EQ(d->RemoveRule("acme", 999).code(), StatusCode::kNotFound);
  EXPECT_TRUE(d->RemoveRule("acme", *id1).ok());
  EXPECT_EQ(d->ListRules("acme")->size(), 1u);
  EXPECT_EQ(d->ListRules("nope").status().code(), StatusCode::kNotFound);
  auto batch = d->AddRules({MakeRule("other", Effect::kAllow, kSub, "*", "x"),
                            MakeRule("other", Effect::kAllow, kSub, "*", "y")});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->size(), 2u);
  EXPECT_EQ(d->AddRules({MakeRule("other", Effect::kAllow, kSub, "*", "x"),
                         MakeRule("acme", Effect::kAllow, kSub, "*", "y")})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

// A rule change narrows or widens live sessions (their policies are rebuilt from the new
// snapshot); it does not make their identity stale, which would disconnect them.
TEST(DirectoryTest, RuleChangesKeepIdentitiesCurrentButCredentialChangesDoNot) {
  auto d = OpenPlain(TempPath("generations"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "bob", PrincipalKind::kDevice).ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "eve", PrincipalKind::kDevice).ok());
  ASSERT_TRUE(d->AddCertificateIdentity("bob", "acme", "bob").ok());
  ASSERT_TRUE(d->AddCertificateIdentity("eve", "acme", "eve").ok());
  Identity bob = *d->snapshot()->AuthenticateCertificate("bob").identity;
  Identity eve = *d->snapshot()->AuthenticateCertificate("eve").identity;
  ASSERT_TRUE(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "bob", "a")).ok());
  EXPECT_TRUE(d->snapshot()->IsCurrent(bob));
  EXPECT_FALSE(d->snapshot()->PolicyFor(bob, "c1").Allowed(Right::kPublish, "b"));
  EXPECT_TRUE(d->snapshot()->PolicyFor(bob, "c1").Allowed(Right::kPublish, "a"));
  ASSERT_TRUE(d->RemoveCertificateIdentity("bob").ok());
  EXPECT_FALSE(d->snapshot()->IsCurrent(bob));
  EXPECT_TRUE(d->snapshot()->IsCurrent(eve));
  ASSERT_TRUE(d->SetDisabled("acme", "eve", true).ok());
  EXPECT_FALSE(d->snapshot()->IsCurrent(eve));
  ASSERT_TRUE(d->SetPrincipalQuotas("acme", "eve", Quotas{1, 2, 3, 4, 5}).ok());
  EXPECT_EQ(d->snapshot()->PrincipalQuotas("acme", "eve"), (Quotas{1, 2, 3, 4, 5}));
  EXPECT_EQ(d->SetPrincipalQuotas("acme", "ghost", Quotas{}).code(), StatusCode::kNotFound);
}

TEST(DirectoryTest, DeleteTenantRemovesEverythingOfIt) {
  std::string path = TempPath("cascade");
  auto d = OpenPlain(path);
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreateTenant("other").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "bob", PrincipalKind::kDevice).ok());
  ASSERT_TRUE(d->CreatePrincipal("other", "bob", PrincipalKind::kDevice).ok());
  ASSERT_TRUE(d->AddCertificateIdentity("bob.acme", "acme", "bob").ok());
  ASSERT_TRUE(d->AddCertificateIdentity("bob.other", "other", "bob").ok());
  auto t = d->IssueToken("acme", "bob", kPub, 0);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(d->IssueToken("other", "bob", kPub, 0).ok());
  ASSERT_TRUE(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "*", "a")).ok());
  ASSERT_TRUE(d->DeleteTenant("acme").ok());
  EXPECT_EQ(d->ListTenants().size(), 1u);
  EXPECT_EQ(d->ListCertificateIdentities().size(), 1u);
  EXPECT_EQ(d->ListTokens().size(), 1u);
  EXPECT_FALSE(d->snapshot()->AuthenticateToken(t->token, 0).ok());
  EXPECT_FALSE(d->snapshot()->AuthenticateCertificate("bob.acme").ok());
  EXPECT_TRUE(d->snapshot()->AuthenticateCertificate("bob.other").ok());
  // Re-created, the tenant starts empty (no rules left behind).
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  EXPECT_TRUE(d->ListRules("acme")->empty());
  d.reset();
  auto again = OpenPlain(path);
  EXPECT_EQ(again->ListTokens().size(), 1u);
  EXPECT_TRUE(again->ListPrincipals("acme")->empty());
}

TEST(DirectoryTest, EverythingSurvivesReopen) {
  std::string path = TempPath("reopen");
  std::string token;
  uint64_t version = 0;
  {
    auto d = OpenPlain(path);
    ASSERT_TRUE(d->CreateTenant("acme").ok());
    ASSERT_TRUE(d->SetTenantQuotas("acme", Quotas{1, 2, 3, 4, 5}).ok());
    ASSERT_TRUE(d->CreatePrincipal("acme", "alice", PrincipalKind::kUser, true).ok());
    ASSERT_TRUE(d->CreatePrincipal("acme", "plc", PrincipalKind::kDevice).ok());
    ASSERT_TRUE(d->SetDisabled("acme", "plc", true).ok());
    ASSERT_TRUE(d->SetPrincipalQuotas("acme", "alice", Quotas{6, 7, 8, 9, 10}).ok());
    ASSERT_TRUE(d->SetPassword("acme", "alice", "pw-1").ok());
    ASSERT_TRUE(d->AddCertificateIdentity("alice.acme", "acme", "alice").ok());
    auto t = d->IssueToken("acme", "alice", kQuery, 0);
    ASSERT_TRUE(t.ok());
    token = t->token;
    ASSERT_TRUE(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "alice", "a/%u/#")).ok());
    ASSERT_TRUE(d->AddRule(MakeRule("acme", Effect::kDeny, kWrite, "*", "acme_*/x*")).ok());
    version = d->version();
  }
  auto d = OpenPlain(path);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->version(), version);
  auto snap = d->snapshot();
  EXPECT_EQ(snap->TenantQuotas("acme"), (Quotas{1, 2, 3, 4, 5}));
  EXPECT_EQ(snap->PrincipalQuotas("acme", "alice"), (Quotas{6, 7, 8, 9, 10}));
  auto pw = snap->AuthenticatePassword("acme/alice", "pw-1");
  ASSERT_TRUE(pw.ok());
  EXPECT_TRUE(pw.identity->tenant_admin);
  EXPECT_TRUE(snap->AuthenticateCertificate("alice.acme").ok());
  EXPECT_TRUE(snap->AuthenticateToken(token, 0).ok());
  auto principals = d->ListPrincipals("acme");
  ASSERT_EQ(principals->size(), 2u);
  EXPECT_TRUE((*principals)[0].has_password);
  EXPECT_TRUE((*principals)[1].disabled);
  auto rules = d->ListRules("acme");
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].pattern, "a/%u/#");
  EXPECT_TRUE(snap->Allowed(*pw.identity, Right::kPublish, "a/alice/b", "c"));
  EXPECT_FALSE(snap->Allowed(*pw.identity, Right::kPublish, "a/bob/b", "c"));
  // New ids continue after the old ones.
  auto id = d->AddRule(MakeRule("acme", Effect::kAllow, kSub, "*", "z"));
  ASSERT_TRUE(id.ok());
  EXPECT_GT(*id, (*rules)[1].id);
}

TEST(DirectoryTest, CorruptFilesAreRefusedNeverReset) {
  std::string path = TempPath("corrupt");
  {
    auto d = OpenPlain(path);
    ASSERT_TRUE(d->CreateTenant("acme").ok());
    ASSERT_TRUE(d->CreatePrincipal("acme", "alice", PrincipalKind::kUser).ok());
  }
  std::string good = ReadAll(path);
  auto open_with = [&](std::string bytes) {
    WriteAll(path, bytes);
    DirectoryOptions o;
    o.path = path;
    return Directory::Open(o).status();
  };
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    Status st = open_with(bad);
    EXPECT_FALSE(st.ok()) << "flipped byte " << i;
  }
  EXPECT_EQ(open_with(good.substr(0, good.size() - 1)).code(), StatusCode::kCorruption);
  EXPECT_EQ(open_with(good + "x").code(), StatusCode::kCorruption);
  EXPECT_EQ(open_with("").code(), StatusCode::kCorruption);
  EXPECT_EQ(open_with("garbage").code(), StatusCode::kCorruption);
  // The refused file is left as it was.
  EXPECT_EQ(ReadAll(path), "garbage");
  EXPECT_TRUE(open_with(good).ok());
}

class SealedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::move(keys::GenerateKey()).value();
    other_ = std::move(keys::GenerateKey()).value();
  }
  DirectoryOptions Sealed(const std::string& path, const keys::DataKey& key) {
    DirectoryOptions o;
    o.path = path;
    o.seal = [key](std::string_view aad, std::string_view p) {
      return keys::Aead::Seal(key, aad, p);
    };
    o.open = [key](std::string_view aad, std::string_view s) {
      return keys::Aead::Open(key, aad, s);
    };
    return o;
  }
  keys::DataKey key_, other_;
};

TEST_F(SealedDirectoryTest, SealedFileNeedsTheOpenFunctionAndTheKey) {
  std::string path = TempPath("sealed");
  {
    auto d = Directory::Open(Sealed(path, key_));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_TRUE((*d)->CreateTenant("distinctive-tenant").ok());
    ASSERT_TRUE((*d)->CreatePrincipal("distinctive-tenant", "alice", PrincipalKind::kUser).ok());
  }
  std::string bytes = ReadAll(path);
  EXPECT_EQ(bytes.find("distinctive-tenant"), std::string::npos);
  EXPECT_EQ(bytes.find("alice"), std::string::npos);
  // Without the open function: refused, not reset.
  DirectoryOptions plain;
  plain.path = path;
  EXPECT_EQ(Directory::Open(plain).status().code(), StatusCode::kFailedPrecondition);
  // With the wrong key: the tag does not verify.
  EXPECT_EQ(Directory::Open(Sealed(path, other_)).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ReadAll(path), bytes);
  auto d = Directory::Open(Sealed(path, key_));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->snapshot()->HasTenant("distinctive-tenant"));
}

TEST_F(SealedDirectoryTest, ClearFileIsRefusedWhenSealingIsConfigured) {
  std::string path = TempPath("downgrade");
  {
    auto d = OpenPlain(path);
    ASSERT_TRUE(d->CreateTenant("acme").ok());
  }
  EXPECT_EQ(Directory::Open(Sealed(path, key_)).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SealedDirectoryTest, SealFailureLeavesEverythingUnchanged) {
  std::string path = TempPath("sealfail");
  bool fail = false;
  DirectoryOptions o = Sealed(path, key_);
  auto seal = o.seal;
  o.seal = [&fail, seal](std::string_view aad, std::string_view p) -> Result<std::string> {
    if (fail) return Unavailable("key locked");
    return seal(aad, p);
  };
  auto d = std::move(Directory::Open(o)).value();
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  uint64_t v = d->version();
  std::string before = ReadAll(path);
  fail = true;
  EXPECT_EQ(d->CreateTenant("other").code(), StatusCode::kUnavailable);
  EXPECT_EQ(d->version(), v);
  EXPECT_FALSE(d->snapshot()->HasTenant("other"));
  EXPECT_EQ(d->ListTenants().size(), 1u);
  EXPECT_EQ(ReadAll(path), before);
  fail = false;
  EXPECT_TRUE(d->CreateTenant("other").ok());
}

TEST(DirectoryTest, ListenersSeeEveryDurableChange) {
  std::string path = TempPath("listeners");
  auto d = OpenPlain(path);
  std::vector<ChangeEvent> events;
  int id = d->AddListener([&](const ChangeEvent& e) {
    // The change is durable and visible when the listener runs.
    EXPECT_EQ(d->version(), e.version);
    events.push_back(e);
  });
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "bob", PrincipalKind::kDevice).ok());
  auto t = d->IssueToken("acme", "bob", kPub, 0);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(d->RevokeToken(t->id).ok());
  ASSERT_TRUE(d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "*", "a")).ok());
  ASSERT_TRUE(d->SetDisabled("acme", "bob", true).ok());
  EXPECT_EQ(d->CreateTenant("acme").code(), StatusCode::kAlreadyExists);  // no event
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].kind, ChangeKind::kTenantCreated);
  EXPECT_EQ(events[1].kind, ChangeKind::kPrincipalCreated);
  EXPECT_EQ(events[1].principal, "bob");
  EXPECT_EQ(events[2].kind, ChangeKind::kTokenIssued);
  EXPECT_EQ(events[3].kind, ChangeKind::kTokenRevoked);
  EXPECT_EQ(events[3].token_id, t->id);
  EXPECT_EQ(events[4].kind, ChangeKind::kRulesChanged);
  EXPECT_EQ(events[4].principal, "");
  EXPECT_EQ(events[5].kind, ChangeKind::kPrincipalDisabled);
  EXPECT_EQ(ChangeKindName(events[5].kind), "principal_disabled");
  d->RemoveListener(id);
  ASSERT_TRUE(d->CreateTenant("other").ok());
  EXPECT_EQ(events.size(), 6u);
}

TEST(DirectoryTest, SnapshotsAreImmutable) {
  auto d = OpenPlain(TempPath("immutable"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  auto old_snap = d->snapshot();
  ASSERT_TRUE(d->DeleteTenant("acme").ok());
  EXPECT_TRUE(old_snap->HasTenant("acme"));
  EXPECT_FALSE(d->snapshot()->HasTenant("acme"));
  EXPECT_GT(d->snapshot()->version(), old_snap->version());
}

TEST(DirectoryTest, ConcurrentReadersDuringMutations) {
  auto d = OpenPlain(TempPath("concurrent"));
  ASSERT_TRUE(d->CreateTenant("acme").ok());
  ASSERT_TRUE(d->CreatePrincipal("acme", "bob", PrincipalKind::kDevice).ok());
  Identity bob = testing::CertIdentity(*d->snapshot(), "acme", "bob");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> checks{0};
  std::thread reader([&] {
    while (!stop) {
      auto s = d->snapshot();
      (void)s->Allowed(bob, Right::kPublish, "a/b", "c");
      ++checks;
    }
  });
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        d->AddRule(MakeRule("acme", Effect::kAllow, kPub, "*", "t" + std::to_string(i))).ok());
  }
  stop = true;
  reader.join();
  EXPECT_GT(checks.load(), 0u);
}

}  // namespace
}  // namespace verbund::security
