// Quotas on the broker, end to end in-process: a real Broker with server::MqttAccess over a
// security::Directory and security::Usage, driven by real MQTT clients. Connection quotas per
// principal and tenant (CONNACK 0x97, a reconnect taking over its own session admitted), and
// rate quotas: MQTT 5 QoS 1/2 refused with 0x97, QoS 0 dropped, 3.1.1 QoS 1 held until the
// quota admits it (never acknowledged and lost). Time is a FakeClock: a test never depends on
// how fast the machine is.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "mqtt/broker.h"
#include "server/mqtt_access.h"
#include "unit/mqtt/test_client.h"
#include "unit/security/security_test_util.h"

namespace verbund::server {
namespace {

using mqtt::AckPacket;
using mqtt::ConnackPacket;
using mqtt::PacketType;
using mqtt::ProtocolVersion;
using mqtt::PublishPacket;
using mqtt::ReasonCode;
using mqtt::testing::Client;
using namespace std::chrono_literals;

constexpr int64_t kSecond = 1'000'000'000;

class QuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = security::testing::OpenPlain(security::testing::TempPath("quota"));
    ASSERT_TRUE(directory_->CreateTenant("acme").ok());
    for (const char* name : {"d1", "d2", "d3", "sub"}) {
      ASSERT_TRUE(directory_->CreatePrincipal("acme", name, security::PrincipalKind::kDevice).ok());
      ASSERT_TRUE(directory_->SetPassword("acme", name, "pw").ok());
    }
    auto legacy = mqtt::PasswordAuthenticator::Create("", /*allow_anonymous=*/false);
    ASSERT_TRUE(legacy.ok());
    access_ = std::make_unique<MqttAccess>(std::move(*legacy), "default", directory_.get(), &clock_,
                                           security::LoginThrottleOptions{}, &usage_);
    mqtt::BrokerOptions o;
    o.authenticator = access_.get();
    o.authorizer = access_.get();
    ASSERT_TRUE(harness_.Start(std::move(o)));
  }
  void TearDown() override { harness_.Stop(); }

  std::unique_ptr<Client> Open(ProtocolVersion v = ProtocolVersion::kV5) {
    return std::make_unique<Client>(harness_.port(), v);
  }
  ConnackPacket ConnectAs(Client& c, const std::string& name, const std::string& client_id) {
    return c.Connect(client_id, true, 0, 0, "acme/" + name, std::nullopt, "pw");
  }
  std::unique_ptr<Client> Connected(const std::string& name, const std::string& client_id,
                                    ProtocolVersion v = ProtocolVersion::kV5) {
    auto c = Open(v);
    EXPECT_EQ(ConnectAs(*c, name, client_id).reason, ReasonCode::kSuccess) << name;
    return c;
  }
  // Connects until the broker has seen earlier connections go (their leases are given back on
  // the broker's thread after the socket closes).
  ConnackPacket ConnectEventually(const std::string& name, const std::string& client_id,
                                  std::unique_ptr<Client>* out) {
    ConnackPacket ack;
    for (int i = 0; i < 200; ++i) {
      *out = Open();
      ack = ConnectAs(**out, name, client_id);
      if (ack.reason == ReasonCode::kSuccess) break;
      std::this_thread::sleep_for(10ms);
    }
    return ack;
  }
  void SetPrincipalQuotas(const std::string& name, security::Quotas q) {
    ASSERT_TRUE(directory_->SetPrincipalQuotas("acme", name, q).ok());
  }
  // What the hub does on every directory change: connected clients get their grants rebuilt.
  void Reauthorize() {
    std::promise<size_t> done;
    harness_.broker().Reauthorize(
        [this](const mqtt::Principal& p) { return access_->Reauthorize(p); },
        ReasonCode::kNotAuthorized, [&](size_t n) { done.set_value(n); });
    done.get_future().wait();
  }
  std::vector<ReasonCode> PublishQos1(Client& c, int n, const std::string& topic) {
    for (int i = 0; i < n; ++i) c.Publish(topic, "m" + std::to_string(i), 1);
    std::vector<ReasonCode> reasons;
    for (int i = 0; i < n; ++i) reasons.push_back(c.ReceiveAck(PacketType::kPuback).reason);
    return reasons;
  }

  FakeClock clock_;
  std::unique_ptr<security::Directory> directory_;
  security::Usage usage_;
  std::unique_ptr<MqttAccess> access_;
  mqtt::testing::BrokerHarness harness_;
};

int Count(const std::vector<ReasonCode>& v, ReasonCode r) {
  return static_cast<int>(std::count(v.begin(), v.end(), r));
}

TEST_F(QuotaTest, PrincipalConnectionQuota) {
  SetPrincipalQuotas("d1", {.max_connections = 2});
  auto a = Connected("d1", "a");
  auto b = Connected("d1", "b");
  auto c = Open();
  EXPECT_EQ(ConnectAs(*c, "d1", "c").reason, ReasonCode::kQuotaExceeded);
  EXPECT_TRUE(c->ClosedWithin(5s));
  auto v3 = Open(ProtocolVersion::kV311);
  // 3.1.1 has no quota code: "server unavailable" (3), which the codec maps 0x97 to.
  EXPECT_NE(ConnectAs(*v3, "d1", "c3").reason, ReasonCode::kSuccess);
  auto other = Connected("d2", "x");  // another principal of the tenant is not affected
  a.reset();                          // closes; its slot is given back
  std::unique_ptr<Client> again;
  EXPECT_EQ(ConnectEventually("d1", "c", &again).reason, ReasonCode::kSuccess);
}

TEST_F(QuotaTest, TenantConnectionQuota) {
  ASSERT_TRUE(directory_->SetTenantQuotas("acme", {.max_connections = 2}).ok());
  auto a = Connected("d1", "a");
  auto b = Connected("d2", "b");
  auto c = Open();
  EXPECT_EQ(ConnectAs(*c, "d3", "c").reason, ReasonCode::kQuotaExceeded);
}

TEST_F(QuotaTest, ReconnectTakingOverItsSessionIsAdmittedAtTheQuota) {
  SetPrincipalQuotas("d1", {.max_connections = 1});
  auto old = Connected("d1", "same");
  auto fresh = Connected("d1", "same");  // the old connection's slot passes to it
  auto p = old->Receive();
  ASSERT_TRUE(p && std::holds_alternative<mqtt::DisconnectPacket>(*p));
  EXPECT_EQ(std::get<mqtt::DisconnectPacket>(*p).reason, ReasonCode::kSessionTakenOver);
  // Still one: another client id of d1 is refused.
  auto third = Open();
  EXPECT_EQ(ConnectAs(*third, "d1", "other").reason, ReasonCode::kQuotaExceeded);
}

TEST_F(QuotaTest, V5Qos1OverTheRateIsRefusedWithQuotaExceeded) {
  SetPrincipalQuotas("d1", {.messages_per_s = 5});
  auto sub = Connected("sub", "s");
  sub->Subscribe("t/#", 1);
  auto pub = Connected("d1", "p");
  std::vector<ReasonCode> reasons = PublishQos1(*pub, 8, "t/x");
  EXPECT_EQ(Count(reasons, ReasonCode::kSuccess), 5);
  EXPECT_EQ(Count(reasons, ReasonCode::kQuotaExceeded), 3);
  // Exactly the admitted ones were delivered.
  for (int i = 0; i < 5; ++i) {
    PublishPacket m = sub->ReceivePublish();
    sub->Ack(PacketType::kPuback, m.packet_id);
  }
  EXPECT_FALSE(sub->Receive(300ms).has_value());
  clock_.Advance(kSecond);
  EXPECT_EQ(PublishQos1(*pub, 1, "t/x")[0], ReasonCode::kSuccess);
  EXPECT_GE(harness_.broker().metrics().quota_refusals.load(), 3u);
}

TEST_F(QuotaTest, ByteRateCountsTopicAndPayload) {
  SetPrincipalQuotas("d1", {.bytes_per_s = 100});
  auto pub = Connected("d1", "p");
  // 3 + 47 bytes each: two fit in one second's 100.
  std::string payload(47, 'x');
  for (int i = 0; i < 3; ++i) pub->Publish("t/x", payload, 1);
  std::vector<ReasonCode> reasons;
  for (int i = 0; i < 3; ++i) reasons.push_back(pub->ReceiveAck(PacketType::kPuback).reason);
  EXPECT_EQ(Count(reasons, ReasonCode::kQuotaExceeded), 1);
}

TEST_F(QuotaTest, Qos0OverTheRateIsDropped) {
  SetPrincipalQuotas("d1", {.messages_per_s = 3});
  auto sub = Connected("sub", "s");
  sub->Subscribe("t/#", 0);
  auto pub = Connected("d1", "p");
  for (int i = 0; i < 10; ++i) pub->Publish("t/x", "q0-" + std::to_string(i), 0);
  // Its acknowledgement (refused too) says the broker has handled the ten before it.
  pub->Publish("t/x", "barrier", 1);
  EXPECT_EQ(pub->ReceiveAck(PacketType::kPuback).reason, ReasonCode::kQuotaExceeded);
  clock_.Advance(kSecond);
  pub->Publish("t/x", "after", 1);
  EXPECT_EQ(pub->ReceiveAck(PacketType::kPuback).reason, ReasonCode::kSuccess);
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(sub->ReceivePublish().payload);
  EXPECT_EQ(got, (std::vector<std::string>{"q0-0", "q0-1", "q0-2", "after"}));
  EXPECT_FALSE(sub->Receive(200ms).has_value());
  EXPECT_EQ(harness_.broker().metrics().quota_refusals.load(), 8u);
}

TEST_F(QuotaTest, V311Qos1OverTheRateWaitsAndIsNeverLost) {
  SetPrincipalQuotas("d1", {.messages_per_s = 3});
  auto sub = Connected("sub", "s");
  sub->Subscribe("t/#", 1);
  auto pub = Connected("d1", "p", ProtocolVersion::kV311);
  for (int i = 0; i < 5; ++i) pub->Publish("t/x", "m" + std::to_string(i), 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pub->ReceiveAck(PacketType::kPuback).reason, ReasonCode::kSuccess);
  }
  // The fourth waits for the quota (the clock stands still), and every packet behind it.
  pub->Send(mqtt::PingreqPacket{});
  EXPECT_FALSE(pub->Receive(300ms).has_value());
  clock_.Advance(kSecond);
  std::vector<PacketType> rest;
  for (int i = 0; i < 3; ++i) {
    auto p = pub->Receive();
    ASSERT_TRUE(p.has_value());
    rest.push_back(std::holds_alternative<AckPacket>(*p) ? std::get<AckPacket>(*p).type
                                                         : PacketType::kPingresp);
  }
  EXPECT_EQ(rest, (std::vector<PacketType>{PacketType::kPuback, PacketType::kPuback,
                                           PacketType::kPingresp}));
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    PublishPacket m = sub->ReceivePublish();
    got.push_back(m.payload);
    sub->Ack(PacketType::kPuback, m.packet_id);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

TEST_F(QuotaTest, TenantRateIsSharedByItsPrincipals) {
  ASSERT_TRUE(directory_->SetTenantQuotas("acme", {.messages_per_s = 4}).ok());
  auto p1 = Connected("d1", "p1");
  auto p2 = Connected("d2", "p2");
  std::vector<ReasonCode> r1 = PublishQos1(*p1, 3, "a");
  std::vector<ReasonCode> r2 = PublishQos1(*p2, 3, "b");
  EXPECT_EQ(Count(r1, ReasonCode::kQuotaExceeded) + Count(r2, ReasonCode::kQuotaExceeded), 2);
}

TEST_F(QuotaTest, QuotaChangesReachLiveSessions) {
  auto pub = Connected("d1", "p");
  EXPECT_EQ(Count(PublishQos1(*pub, 5, "t"), ReasonCode::kQuotaExceeded), 0);
  SetPrincipalQuotas("d1", {.messages_per_s = 2});
  Reauthorize();
  EXPECT_EQ(Count(PublishQos1(*pub, 5, "t"), ReasonCode::kQuotaExceeded), 3);
  SetPrincipalQuotas("d1", {});
  Reauthorize();
  EXPECT_EQ(Count(PublishQos1(*pub, 5, "t"), ReasonCode::kQuotaExceeded), 0);
}

// The console's tenant figures: the broker counts each tenant's clients (past CONNACK) and its
// PUBLISH packets in and out, whether or not quotas apply.
TEST_F(QuotaTest, TenantCountersOfTheConsole) {
  EXPECT_FALSE(harness_.broker().TenantTotalsNow().contains("acme"));
  auto sub = Connected("sub", "s");
  sub->Subscribe("t/#", 1);
  auto pub = Connected("d1", "p");
  EXPECT_EQ(Count(PublishQos1(*pub, 3, "t/x"), ReasonCode::kSuccess), 3);
  for (int i = 0; i < 3; ++i) {
    PublishPacket m = sub->ReceivePublish();
    sub->Ack(PacketType::kPuback, m.packet_id);
  }
  mqtt::TenantTotals acme = harness_.broker().TenantTotalsNow().at("acme");
  EXPECT_EQ(acme.connections, 2);
  EXPECT_EQ(acme.messages_in, 3u);
  EXPECT_EQ(acme.messages_out, 3u);
  EXPECT_EQ(harness_.broker().TenantTotalsNow().size(), 1u);  // nobody else connected
  pub.reset();  // given back on the broker's thread once it sees the socket close
  for (int i = 0; i < 500 && harness_.broker().TenantTotalsNow().at("acme").connections != 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(harness_.broker().TenantTotalsNow().at("acme").connections, 1);
}

}  // namespace
}  // namespace verbund::server
