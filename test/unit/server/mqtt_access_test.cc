// server::MqttAccess authentication by client certificate names: the directory maps a subject
// CN or a subjectAltName to a principal; the first mapped name (CN first) wins, a disabled
// principal is refused, and unmapped certificates belong to the single-tenant default tenant.
#include "server/mqtt_access.h"

#include <gtest/gtest.h>

#include "unit/security/security_test_util.h"

namespace verbund::server {
namespace {

using mqtt::ReasonCode;

class MqttAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = security::testing::OpenPlain(security::testing::TempPath("mqtt_access"));
    ASSERT_TRUE(dir_->CreateTenant("acme").ok());
    for (const char* name : {"plc7", "press"}) {
      ASSERT_TRUE(dir_->CreatePrincipal("acme", name, security::PrincipalKind::kDevice).ok());
    }
    ASSERT_TRUE(dir_->AddCertificateIdentity("urn:acme:plc7", "acme", "plc7").ok());
    ASSERT_TRUE(dir_->AddCertificateIdentity("press.acme.example", "acme", "press").ok());
    auto legacy = mqtt::PasswordAuthenticator::Create("", /*allow_anonymous=*/false);
    ASSERT_TRUE(legacy.ok());
    access_ = std::make_unique<MqttAccess>(std::move(*legacy), "default", dir_.get());
  }
  std::variant<mqtt::Principal, ReasonCode> WithCertificate(std::vector<std::string> names) {
    mqtt::ConnectInfo info;
    info.client_id = "c";
    info.peer = "10.0.0.1:5000";
    info.transport = "tls";
    info.cert_names = std::move(names);
    return access_->Authenticate(info);
  }

  std::unique_ptr<security::Directory> dir_;
  std::unique_ptr<MqttAccess> access_;
};

TEST_F(MqttAccessTest, SubjectAltNameMapsWhenTheCnDoesNot) {
  auto r = WithCertificate({"unmapped-device", "plc7.acme.example", "urn:acme:plc7"});
  ASSERT_TRUE(std::holds_alternative<mqtt::Principal>(r));
  const auto& p = std::get<mqtt::Principal>(r);
  EXPECT_EQ(p.tenant, "acme");
  EXPECT_EQ(p.name, "plc7");
  EXPECT_EQ(p.mount, "acme/");
}

TEST_F(MqttAccessTest, TheCnComesFirst) {
  auto r = WithCertificate({"press.acme.example", "urn:acme:plc7"});
  ASSERT_TRUE(std::holds_alternative<mqtt::Principal>(r));
  EXPECT_EQ(std::get<mqtt::Principal>(r).name, "press");
}

TEST_F(MqttAccessTest, DisabledPrincipalIsRefused) {
  ASSERT_TRUE(dir_->SetDisabled("acme", "plc7", true).ok());
  auto r = WithCertificate({"cn", "urn:acme:plc7"});
  ASSERT_TRUE(std::holds_alternative<ReasonCode>(r));
  EXPECT_EQ(std::get<ReasonCode>(r), ReasonCode::kNotAuthorized);
}

TEST_F(MqttAccessTest, UnmappedCertificateBelongsToTheDefaultTenant) {
  auto r = WithCertificate({"unmapped-device", "other.example"});
  ASSERT_TRUE(std::holds_alternative<mqtt::Principal>(r));
  const auto& p = std::get<mqtt::Principal>(r);
  EXPECT_EQ(p.tenant, "default");
  EXPECT_EQ(p.name, "unmapped-device");
}

TEST_F(MqttAccessTest, RepeatedAndAlternatingTopicsGetTheirOwnVerdicts) {
  security::Rule allow;
  allow.tenant = "acme";
  allow.effect = security::Effect::kAllow;
  allow.rights =
      security::Bit(security::Right::kPublish) | security::Bit(security::Right::kSubscribe);
  allow.pattern = "line1/#";
  ASSERT_TRUE(dir_->AddRule(allow).ok());
  auto r = WithCertificate({"urn:acme:plc7"});
  ASSERT_TRUE(std::holds_alternative<mqtt::Principal>(r));
  const auto& p = std::get<mqtt::Principal>(r);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(access_->CanPublish(p, "line1/press"));
    EXPECT_TRUE(access_->CanPublish(p, "line1/press"));
    EXPECT_FALSE(access_->CanPublish(p, "line2/press"));
    EXPECT_FALSE(access_->CanReceive(p, "line2/press"));
    EXPECT_TRUE(access_->CanReceive(p, "line1/press"));
    EXPECT_FALSE(access_->CanPublish(p, "line10/press"));  // a level, not a prefix
  }
  // A rule change gives live sessions a new grant, and with it fresh verdicts.
  ASSERT_TRUE(dir_->AddRule([&] {
                    security::Rule deny = allow;
                    deny.effect = security::Effect::kDeny;
                    deny.pattern = "line1/press";
                    return deny;
                  }())
                  .ok());
  auto refreshed = access_->Reauthorize(p);
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_FALSE(access_->CanPublish(*refreshed, "line1/press"));
  EXPECT_TRUE(access_->CanPublish(*refreshed, "line1/lathe"));
}

}  // namespace
}  // namespace verbund::server
