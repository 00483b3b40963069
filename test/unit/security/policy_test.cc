// Policy semantics through the Directory: default allow without rules, default deny with rules,
// deny wins, selectors, placeholders that never widen, data rules, subscription cover and
// per-delivery checks, operators; SessionPolicy agrees with Snapshot.
#include <gtest/gtest.h>

#include "security/directory.h"
#include "security/names.h"
#include "security_test_util.h"

namespace verbund::security {
namespace {

using testing::CertIdentity;
using testing::kPub;
using testing::kQuery;
using testing::kSub;
using testing::kWrite;
using testing::MakeRule;

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::OpenPlain(testing::TempPath("policy"));
    ASSERT_NE(dir_, nullptr);
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    ASSERT_TRUE(dir_->CreateTenant("other").ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "bob", PrincipalKind::kDevice).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("acme", "eve", PrincipalKind::kUser).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("other", "bob", PrincipalKind::kDevice).ok());
    ASSERT_TRUE(dir_->CreatePrincipal("_hub", "root", PrincipalKind::kOperator).ok());
  }
  void Add(Effect e, Rights r, std::string principal, std::string pattern,
           std::string tenant = "acme") {
    auto id = dir_->AddRule(MakeRule(tenant, e, r, principal, pattern));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }
  Identity Who(std::string tenant, std::string name) {
    auto snap = dir_->snapshot();
    auto r = snap->AuthenticateCertificate("x");  // unused; identities built directly
    (void)r;
    Identity id = CertIdentity(*snap, tenant, name);
    if (tenant == "_hub") id.kind = PrincipalKind::kOperator;
    return id;
  }
  // Checks Snapshot::Allowed and SessionPolicy::Allowed agree, and returns the answer.
  bool Can(const Identity& who, Right right, std::string_view subject,
           std::string_view client = "client-1") {
    auto snap = dir_->snapshot();
    bool a = snap->Allowed(who, right, subject, client);
    bool b = snap->PolicyFor(who, client).Allowed(right, subject);
    EXPECT_EQ(a, b) << "snapshot and session policy disagree on " << subject;
    return a;
  }
  bool CanSub(const Identity& who, std::string_view filter, std::string_view client = "client-1") {
    auto snap = dir_->snapshot();
    bool a = snap->CanSubscribe(who, filter, client);
    bool b = snap->PolicyFor(who, client).CanSubscribe(filter);
    EXPECT_EQ(a, b) << "snapshot and session policy disagree on subscribe " << filter;
    return a;
  }

  std::unique_ptr<Directory> dir_;
};

TEST_F(PolicyTest, NoRulesAllowsEverythingInsideTheTenant) {
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(Can(bob, Right::kPublish, "any/topic"));
  EXPECT_TRUE(Can(bob, Right::kSubscribe, "x"));
  EXPECT_TRUE(CanSub(bob, "#"));
  EXPECT_TRUE(Can(bob, Right::kWrite, "acme/temp"));
  EXPECT_TRUE(Can(bob, Right::kQuery, "acme_prod/temp"));
  // Databases of other tenants are never inside the namespace.
  EXPECT_FALSE(Can(bob, Right::kWrite, "other/temp"));
  EXPECT_FALSE(Can(bob, Right::kQuery, "other_x/temp"));
  EXPECT_FALSE(Can(bob, Right::kQuery, "acmex/temp"));
  // Not a topic name.
  EXPECT_FALSE(Can(bob, Right::kPublish, "a/+"));
  EXPECT_FALSE(Can(bob, Right::kPublish, ""));
  EXPECT_FALSE(CanSub(bob, "a/#/b"));
}

TEST_F(PolicyTest, OnceRulesExistDefaultIsDeny) {
  Add(Effect::kAllow, kPub, "*", "telemetry/#");
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(Can(bob, Right::kPublish, "telemetry/m1/temp"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "commands/m1"));
  EXPECT_FALSE(Can(bob, Right::kSubscribe, "telemetry/m1/temp"));  // right not granted
  EXPECT_FALSE(Can(bob, Right::kWrite, "acme/temp"));
  // The other tenant has no rules and is unaffected.
  EXPECT_TRUE(Can(Who("other", "bob"), Right::kPublish, "commands/m1"));
}

TEST_F(PolicyTest, DenyWinsOverAllow) {
  Add(Effect::kAllow, kPub | kSub, "*", "plant/#");
  Add(Effect::kDeny, kPub, "*", "plant/secret/#");
  Add(Effect::kAllow, kPub, "bob", "plant/secret/bob");  // a narrower allow does not help
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(Can(bob, Right::kPublish, "plant/a"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "plant/secret/bob"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "plant/secret"));
  EXPECT_TRUE(Can(bob, Right::kSubscribe, "plant/secret/x"));  // deny is publish only
}

TEST_F(PolicyTest, PrincipalSelectors) {
  Add(Effect::kAllow, kPub, "bob", "bob-only/#");
  Add(Effect::kAllow, kPub, "*", "everyone/#");
  Add(Effect::kDeny, kPub, "eve", "everyone/private");
  Identity bob = Who("acme", "bob"), eve = Who("acme", "eve");
  EXPECT_TRUE(Can(bob, Right::kPublish, "bob-only/x"));
  EXPECT_FALSE(Can(eve, Right::kPublish, "bob-only/x"));
  EXPECT_TRUE(Can(eve, Right::kPublish, "everyone/x"));
  EXPECT_FALSE(Can(eve, Right::kPublish, "everyone/private"));
  EXPECT_TRUE(Can(bob, Right::kPublish, "everyone/private"));
  // A principal of the same name in another tenant is not selected.
  Identity other_bob = Who("other", "bob");
  EXPECT_TRUE(Can(other_bob, Right::kPublish, "anything"));  // other has no rules
}

TEST_F(PolicyTest, PlaceholdersSubstitute) {
  Add(Effect::kAllow, kPub | kSub, "*", "factory/%u/#");
  Add(Effect::kAllow, kPub, "*", "clients/%c/status");
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(Can(bob, Right::kPublish, "factory/bob/line1", "c7"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "factory/eve/line1", "c7"));
  EXPECT_TRUE(Can(bob, Right::kPublish, "clients/c7/status", "c7"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "clients/c8/status", "c7"));
  EXPECT_TRUE(CanSub(bob, "factory/bob/+", "c7"));
  EXPECT_TRUE(CanSub(bob, "factory/bob/#", "c7"));
  EXPECT_FALSE(CanSub(bob, "factory/+/#", "c7"));
  EXPECT_FALSE(CanSub(bob, "#", "c7"));
}

TEST_F(PolicyTest, PlaceholdersWithWildcardValuesNeverWiden) {
  Add(Effect::kAllow, kPub | kSub, "*", "clients/%c/#");
  Identity bob = Who("acme", "bob");
  for (std::string_view client :
       std::vector<std::string_view>{"+", "#", "a/b", "", "x+", "#y", std::string_view("n\0", 2)}) {
    EXPECT_FALSE(Can(bob, Right::kPublish, "clients/x/y", client)) << client;
    EXPECT_FALSE(Can(bob, Right::kPublish, "clients/a/b/c", client)) << client;
    EXPECT_FALSE(Can(bob, Right::kPublish, "clients/+/c", client)) << client;
    EXPECT_FALSE(CanSub(bob, "clients/+/#", client)) << client;
    EXPECT_FALSE(CanSub(bob, "clients/#", client)) << client;
    EXPECT_FALSE(CanSub(bob, "#", client)) << client;
  }
  EXPECT_TRUE(Can(bob, Right::kPublish, "clients/ok/y", "ok"));
}

TEST_F(PolicyTest, DenyPlaceholderWithBadValueFailsClosed) {
  // A deny rule that cannot be specialised for this client id must not be escaped by choosing
  // such an id: it denies its rights on everything.
  Add(Effect::kAllow, kPub | kSub, "*", "a/#");
  Add(Effect::kDeny, kPub, "*", "a/%c");
  Add(Effect::kDeny, kWrite, "*", "acme_%c/*");
  Add(Effect::kAllow, kWrite, "*", "acme*/*");
  Identity bob = Who("acme", "bob");
  EXPECT_FALSE(Can(bob, Right::kPublish, "a/c1", "c1"));
  EXPECT_TRUE(Can(bob, Right::kPublish, "a/c2", "c1"));
  EXPECT_TRUE(Can(bob, Right::kWrite, "acme_x/m", "c1"));
  EXPECT_FALSE(Can(bob, Right::kWrite, "acme_c1/m", "c1"));
  for (std::string_view client : {"+", "x/y", "#", ""}) {
    EXPECT_FALSE(Can(bob, Right::kPublish, "a/x", client)) << client;
    EXPECT_FALSE(Can(bob, Right::kPublish, "a/x/y", client)) << client;
    EXPECT_FALSE(Can(bob, Right::kWrite, "acme_x/m", client)) << client;
    EXPECT_TRUE(Can(bob, Right::kSubscribe, "a/x", client)) << client;  // deny is publish only
    EXPECT_TRUE(CanSub(bob, "a/#", client)) << client;
  }
}

TEST_F(PolicyTest, DataRules) {
  Add(Effect::kAllow, kWrite | kQuery, "*", "acme/machine_*");
  Add(Effect::kAllow, kQuery, "eve", "acme_*/*");
  Add(Effect::kDeny, kQuery, "*", "acme_hr/*");
  Add(Effect::kAllow, kWrite, "*", "acme_%u/*");
  Identity bob = Who("acme", "bob"), eve = Who("acme", "eve");
  EXPECT_TRUE(Can(bob, Right::kWrite, "acme/machine_1"));
  EXPECT_TRUE(Can(bob, Right::kQuery, "acme/machine_"));
  EXPECT_FALSE(Can(bob, Right::kQuery, "acme/temperature"));
  EXPECT_FALSE(Can(bob, Right::kQuery, "acme_prod/machine_1"));
  EXPECT_TRUE(Can(eve, Right::kQuery, "acme_prod/anything"));
  EXPECT_FALSE(Can(eve, Right::kQuery, "acme_hr/salaries"));
  EXPECT_FALSE(Can(eve, Right::kWrite, "acme_prod/anything"));
  EXPECT_TRUE(Can(bob, Right::kWrite, "acme_bob/x"));
  EXPECT_FALSE(Can(eve, Right::kWrite, "acme_bob/x"));
  // Measurement names may hold '/': only the first '/' separates the database.
  EXPECT_TRUE(Can(bob, Right::kWrite, "acme/machine_a/b"));
  // "db" alone is measurement "".
  EXPECT_TRUE(Can(eve, Right::kQuery, "acme_prod"));
  EXPECT_FALSE(Can(bob, Right::kQuery, "acme"));
}

TEST_F(PolicyTest, SubscribeNeedsCoverAndDeliveriesApplyDeny) {
  Add(Effect::kAllow, kSub, "*", "plant/#");
  Add(Effect::kDeny, kSub, "*", "plant/hr/#");
  Add(Effect::kAllow, kSub, "*", "site/+/temp");
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(CanSub(bob, "plant/#"));  // the deny rule is narrower: it filters deliveries
  EXPECT_TRUE(CanSub(bob, "plant/+/x"));
  EXPECT_FALSE(CanSub(bob, "plant/hr/#"));  // covered by the deny rule
  EXPECT_FALSE(CanSub(bob, "plant/hr/salaries"));
  EXPECT_FALSE(CanSub(bob, "#"));
  EXPECT_TRUE(CanSub(bob, "site/+/temp"));
  EXPECT_TRUE(CanSub(bob, "site/a/temp"));
  EXPECT_FALSE(CanSub(bob, "site/#"));
  EXPECT_FALSE(CanSub(bob, "site/+/+"));
  auto snap = dir_->snapshot();
  EXPECT_TRUE(snap->CanReceive(bob, "plant/line1", "c"));
  EXPECT_FALSE(snap->CanReceive(bob, "plant/hr/salaries", "c"));
  auto session = snap->PolicyFor(bob, "c");
  EXPECT_TRUE(session.CanReceive("plant/line1"));
  EXPECT_FALSE(session.CanReceive("plant/hr/x"));
}

TEST_F(PolicyTest, DollarTopics) {
  Add(Effect::kAllow, kPub | kSub, "*", "#");
  Identity bob = Who("acme", "bob");
  EXPECT_TRUE(Can(bob, Right::kPublish, "a/$b"));
  EXPECT_FALSE(Can(bob, Right::kPublish, "$internal/x"));
  EXPECT_FALSE(CanSub(bob, "$internal/#"));
  Add(Effect::kAllow, kSub, "*", "$internal/#");
  EXPECT_TRUE(CanSub(bob, "$internal/#"));
}

TEST_F(PolicyTest, TokenRightsMaskApplies) {
  Identity bob = Who("acme", "bob");
  bob.rights = kSub;
  EXPECT_FALSE(Can(bob, Right::kPublish, "a"));
  EXPECT_TRUE(Can(bob, Right::kSubscribe, "a"));
  EXPECT_TRUE(CanSub(bob, "a/#"));
  bob.rights = kPub;
  EXPECT_FALSE(CanSub(bob, "a/#"));
}

TEST_F(PolicyTest, OperatorsNeverTouchTenantData) {
  Identity root = Who("_hub", "root");
  for (Right r : {Right::kPublish, Right::kSubscribe}) {
    EXPECT_FALSE(Can(root, r, "a/b"));
  }
  EXPECT_FALSE(Can(root, Right::kWrite, "acme/x"));
  EXPECT_FALSE(Can(root, Right::kQuery, "acme/x"));
  EXPECT_FALSE(CanSub(root, "#"));
  EXPECT_TRUE(root.IsOperator());
  auto snap = dir_->snapshot();
  EXPECT_TRUE(snap->CanAdminister(root, "acme"));
  EXPECT_TRUE(snap->CanAdminister(root, "other"));
}

TEST_F(PolicyTest, TenantAdmins) {
  ASSERT_TRUE(dir_->CreatePrincipal("acme", "admin", PrincipalKind::kUser, true).ok());
  auto snap = dir_->snapshot();
  Identity admin = Who("acme", "admin");
  admin.tenant_admin = true;
  EXPECT_TRUE(snap->CanAdminister(admin, "acme"));
  EXPECT_FALSE(snap->CanAdminister(admin, "other"));
  EXPECT_FALSE(snap->CanAdminister(Who("acme", "bob"), "acme"));
  admin.rights = kPub;  // a token without the admin right
  EXPECT_FALSE(snap->CanAdminister(admin, "acme"));
  EXPECT_TRUE(snap->PolicyFor(Who("acme", "admin"), "c").Allowed(Right::kAdmin, "acme"));
}

TEST_F(PolicyTest, UnknownOrDisabledPrincipalsAreDenied) {
  Identity ghost = Who("acme", "ghost");
  EXPECT_FALSE(Can(ghost, Right::kPublish, "a"));
  EXPECT_FALSE(CanSub(ghost, "a"));
  Identity nowhere = Who("nope", "bob");
  EXPECT_FALSE(Can(nowhere, Right::kPublish, "a"));
  ASSERT_TRUE(dir_->SetDisabled("acme", "bob", true).ok());
  EXPECT_FALSE(Can(Who("acme", "bob"), Right::kPublish, "a"));
  EXPECT_FALSE(SessionPolicy().Allowed(Right::kPublish, "a"));
}

TEST_F(PolicyTest, SessionPolicyOutlivesSnapshotUntilRebuilt) {
  Identity bob = Who("acme", "bob");
  auto session = dir_->snapshot()->PolicyFor(bob, "c");
  Add(Effect::kAllow, kPub, "*", "only/this");
  EXPECT_TRUE(session.Allowed(Right::kPublish, "else"));  // compiled before the rule
  EXPECT_LT(session.version(), dir_->version());
  auto fresh = dir_->snapshot()->PolicyFor(bob, "c");
  EXPECT_FALSE(fresh.Allowed(Right::kPublish, "else"));
  EXPECT_TRUE(fresh.Allowed(Right::kPublish, "only/this"));
}

}  // namespace
}  // namespace verbund::security
