// Tenant isolation on the broker, end to end in-process: a real Broker authenticating and
// authorizing through server::MqttAccess over a security::Directory, driven by real MQTT clients
// of three tenants (and the single-tenant default tenant) that try, at random, to reach each
// other: publishes to other tenants' names, wildcards, shared subscriptions, $SYS, retained
// messages, wills and queued messages of persistent sessions. Every payload names its sender's
// tenant; no client may ever receive a payload of another tenant.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mqtt/broker.h"
#include "net/transports.h"
#include "server/mqtt_access.h"
#include "unit/mqtt/test_client.h"
#include "unit/security/security_test_util.h"

namespace verbund::server {
namespace {

using mqtt::ConnackPacket;
using mqtt::Packet;
using mqtt::ProtocolVersion;
using mqtt::PublishPacket;
using mqtt::ReasonCode;
using mqtt::testing::Client;
using namespace std::chrono_literals;

const std::vector<std::string> kTenants = {"acme", "beta", "gamma"};
constexpr char kDefaultTenant[] = "default";  // the single-tenant clients' (anonymous) tenant

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = security::testing::OpenPlain(security::testing::TempPath("isolation"));
    for (const std::string& t : kTenants) {
      ASSERT_TRUE(directory_->CreateTenant(t).ok());
      for (const char* name : {"d1", "d2", "d3"}) {
        ASSERT_TRUE(directory_->CreatePrincipal(t, name, security::PrincipalKind::kDevice).ok());
        ASSERT_TRUE(directory_->SetPassword(t, name, "pw-" + t).ok());
      }
    }
    auto legacy = mqtt::PasswordAuthenticator::Create("", /*allow_anonymous=*/true);
    ASSERT_TRUE(legacy.ok());
    access_ = std::make_unique<MqttAccess>(std::move(*legacy), kDefaultTenant, directory_.get());
    mqtt::BrokerOptions o;
    o.mqtt.max_queued_messages = 100000;
    o.authenticator = access_.get();
    o.authorizer = access_.get();
    ASSERT_TRUE(harness_.Start(std::move(o)));
  }

  void TearDown() override { harness_.Stop(); }

  // A connected client of `tenant` ("default": anonymous).
  std::unique_ptr<Client> Connect(const std::string& tenant, const std::string& name,
                                  const std::string& client_id, bool clean = true,
                                  std::optional<mqtt::Will> will = std::nullopt) {
    auto c = std::make_unique<Client>(harness_.port(), ProtocolVersion::kV5);
    std::optional<std::string> user, password;
    if (tenant != kDefaultTenant) {
      user = tenant + "/" + name;
      password = "pw-" + tenant;
    }
    ConnackPacket ack = c->Connect(client_id, clean, 0, clean ? 0 : 3600, user, will, password);
    EXPECT_EQ(ack.reason, ReasonCode::kSuccess) << tenant << "/" << name;
    return c;
  }

  std::unique_ptr<security::Directory> directory_;
  std::unique_ptr<MqttAccess> access_;
  mqtt::testing::BrokerHarness harness_;
};

// The tenant a payload was sent by: "<tenant>|...".
std::string SenderOf(const std::string& payload) { return payload.substr(0, payload.find('|')); }

// Reads what arrived until `sentinel` (or 10 s of silence); fails on any foreign payload.
std::vector<PublishPacket> DrainChecked(Client& c, const std::string& tenant,
                                        const std::string& sentinel) {
  std::vector<PublishPacket> got;
  for (;;) {
    auto p = c.Receive(10s);
    if (!p) {
      ADD_FAILURE() << tenant << ": no sentinel";
      return got;
    }
    auto* pub = std::get_if<PublishPacket>(&*p);
    if (pub == nullptr) continue;  // acks
    EXPECT_EQ(SenderOf(pub->payload), tenant) << "leak into " << tenant << ": topic '" << pub->topic
                                              << "' payload '" << pub->payload << "'";
    if (pub->payload == sentinel) return got;
    got.push_back(*pub);
  }
}

TEST_F(IsolationTest, RandomCrossTenantAttemptsNeverLeak) {
  std::vector<std::string> all = kTenants;
  all.push_back(kDefaultTenant);
  // Topics anyone may try: its own names, other tenants' names as the first level, $-topics.
  const std::vector<std::string> topics = {
      "factory/line1/temp", "acme/factory/x", "beta/x",        "gamma/y/z", "default/q",
      "$SYS/broker/x",      "$vt/acme/x",     "$share/g/acme", "x",         "a/b/c/d"};
  const std::vector<std::string> filters = {
      "#",     "+/#",    "acme/#",     "beta/+",          "gamma/#",
      "+",     "$SYS/#", "$share/g/#", "$share/g/acme/#", "$share/h/+/x",
      "+/+/x", "$vt/#",  "factory/#",  "default/#"};

  struct Member {
    std::string tenant;
    std::unique_ptr<Client> client;
  };
  std::vector<Member> members;
  std::mt19937_64 rng(20261207);
  size_t attempts = 0;
  for (const std::string& t : all) {
    for (int i = 0; i < 3; ++i) {
      Member m{t, Connect(t, "d" + std::to_string(i + 1), "c" + std::to_string(i))};
      for (int k = 0; k < 4; ++k) {
        const std::string& f = filters[rng() % filters.size()];
        mqtt::SubackPacket ack = m.client->SubscribeAck(f, 0);
        ++attempts;
        // $SYS is the operators' once tenants exist.
        if (f == "$SYS/#") {
          ASSERT_EQ(ack.reasons.size(), 1u);
          EXPECT_EQ(ack.reasons[0], ReasonCode::kNotAuthorized) << t;
        }
      }
      m.client->SubscribeAck("sentinel", 0);
      members.push_back(std::move(m));
    }
  }
  // 100,000 publish attempts in rounds, each round drained, so no queue overflows.
  constexpr int kRounds = 20;
  constexpr int kPerRound = 5000;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) {
      Member& m = members[rng() % members.size()];
      const std::string& topic = topics[rng() % topics.size()];
      m.client->Publish(topic, m.tenant + "|" + std::to_string(attempts), 0);
      ++attempts;
    }
    for (Member& m : members) m.client->Publish("sentinel", m.tenant + "|end", 0);
    // Each member sees every sentinel of its tenant (3 members); drain until the last.
    for (Member& m : members) {
      for (int s = 0; s < 3; ++s) DrainChecked(*m.client, m.tenant, m.tenant + "|end");
    }
  }
  EXPECT_GE(attempts, 100000u);
}

TEST_F(IsolationTest, RetainedWillsAndQueuedMessagesStayInTheirTenant) {
  // A persistent session of every tenant, subscribed to everything it can, then offline.
  for (const std::string& t : kTenants) {
    auto c = Connect(t, "d3", "queued", /*clean=*/false);
    c->SubscribeAck("#", 1);
    c->SubscribeAck("$share/g/#", 1);
  }
  // Each tenant publishes retained and QoS 1 messages to topics named like other tenants', and
  // leaves a will on a connection that dies.
  std::vector<std::unique_ptr<Client>> dying;
  for (const std::string& t : kTenants) {
    auto pub = Connect(t, "d1", "pub");
    for (const std::string& topic : {"acme/r", "beta/r", "gamma/r", "r"}) {
      PublishPacket p;
      p.topic = topic;
      p.payload = t + "|retained";
      p.retain = true;
      p.qos = 1;
      p.packet_id = 1;
      pub->Send(p);
      pub->ReceiveAck(mqtt::PacketType::kPuback);
      pub->Publish(topic, t + "|queued", 1, 2);
      pub->ReceiveAck(mqtt::PacketType::kPuback);
    }
    mqtt::Will w;
    w.topic = "acme/will";
    w.payload = t + "|will";
    dying.push_back(Connect(t, "d2", "dying", true, w));
  }
  for (auto& d : dying) d->Close();  // wills go out (whenever: each is checked where it lands)
  for (const std::string& t : kTenants) {
    // The persistent session comes back to its queue; a fresh subscriber gets the retained ones.
    // (Their "#" subscriptions also match the sentinel.)
    auto back = Connect(t, "d3", "queued", /*clean=*/false);
    auto fresh = Connect(t, "d1", "fresh");
    fresh->SubscribeAck("#", 1);
    auto sender = Connect(t, "d2", "sender");
    sender->Publish("sentinel", t + "|end", 0);
    const size_t queued = DrainChecked(*back, t, t + "|end").size();
    size_t retained = 0;
    for (const PublishPacket& p : DrainChecked(*fresh, t, t + "|end")) retained += p.retain;
    EXPECT_GE(queued, 8u) << t;  // its 8 QoS 1 publishes (4 retained, 4 not), at least
    EXPECT_EQ(retained, 4u) << t;  // (a will may also arrive live; it is not retained)
  }
}

}  // namespace
}  // namespace verbund::server
