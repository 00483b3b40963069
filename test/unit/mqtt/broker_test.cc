// The broker in-process: a real Broker on a two-thread IoPool behind a TCP listener, driven by
// blocking clients that speak through the codec. Covers the session state machine and the QoS
// flows; the integration tests (test/integration) drive the hub binary with real clients.
#include "mqtt/broker.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "mqtt/codec/codec.h"
#include "mqtt/security_events.h"
#include "mqtt/sys_topics.h"
#include "net/transports.h"
#include "unit/mqtt/test_client.h"

namespace verbund::mqtt {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using testing::Client;

// Anonymous without a username; "tenant/user" names a user of that tenant's namespace.
class AnonymousAuthenticator final : public Authenticator {
 public:
  std::variant<Principal, ReasonCode> Authenticate(const ConnectInfo& info) override {
    Principal p;
    if (!info.username) return p;
    size_t slash = info.username->find('/');
    if (slash == std::string::npos) return ReasonCode::kBadUserNameOrPassword;
    p.anonymous = false;
    p.tenant = info.username->substr(0, slash);
    p.name = info.username->substr(slash + 1);
    p.mount = p.tenant + '/';
    return p;
  }
};

// Allows everything, except that a principal whose policy is a string may not receive that
// topic (stands in for rules that changed on a live session).
class TestAuthorizer final : public Authorizer {
 public:
  bool CanPublish(const Principal&, std::string_view) override { return true; }
  bool CanSubscribe(const Principal&, std::string_view) override { return true; }
  bool CanReceive(const Principal& p, std::string_view topic) override {
    return !p.policy || *static_cast<const std::string*>(p.policy.get()) != topic;
  }
};

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrokerOptions o;
    o.mqtt = config_;
    o.clock = &clock_;
    o.authenticator = &authn_;
    o.authorizer = authorizer_ ? authorizer_ : &authz_;
    o.events = events_;
    ASSERT_TRUE(harness_.Start(std::move(o)));
    broker_ = &harness_.broker();
    pool_ = &harness_.pool();
  }

  void TearDown() override { harness_.Stop(); }

  Client NewClient(ProtocolVersion v = ProtocolVersion::kV5) { return Client(harness_.port(), v); }

  MqttConfig config_;
  FakeClock clock_;
  AnonymousAuthenticator authn_;
  TestAuthorizer authz_;
  Authorizer* authorizer_ = nullptr;  // set before SetUp: replaces authz_
  SecurityEvents* events_ = nullptr;  // set before SetUp
  testing::BrokerHarness harness_;
  Broker* broker_ = nullptr;
  net::IoPool* pool_ = nullptr;
};

TEST_F(BrokerTest, QoS1RoundTripAndPuback) {
  for (auto v : {ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    Client sub = NewClient(v), pub = NewClient(v);
    sub.Connect("sub");
    pub.Connect("pub");
    sub.Subscribe("plant/+/temp", 1);
    pub.Publish("plant/7/temp", "21.5", 1, 42);
    EXPECT_EQ(pub.ReceiveAck(PacketType::kPuback).packet_id, 42);
    PublishPacket got = sub.ReceivePublish();
    EXPECT_EQ(got.topic, "plant/7/temp");
    EXPECT_EQ(got.payload, "21.5");
    EXPECT_EQ(got.qos, 1);
    EXPECT_NE(got.packet_id, 0);
    EXPECT_FALSE(got.dup);
    sub.Ack(PacketType::kPuback, got.packet_id);
  }
}

// An unacknowledged QoS 1 message is resent with DUP when the session resumes, and not again
// once acknowledged.
TEST_F(BrokerTest, UnackedQoS1IsResentWithDupAfterReconnect) {
  {
    Client sub = NewClient();
    sub.Connect("s1", true, 0, 300);
    sub.Subscribe("a/b", 1);
    Client pub = NewClient();
    pub.Connect("p1");
    pub.Publish("a/b", "one", 1);
    pub.ReceiveAck(PacketType::kPuback);
    PublishPacket first = sub.ReceivePublish();
    EXPECT_FALSE(first.dup);
    sub.Close();  // no PUBACK
  }
  std::this_thread::sleep_for(100ms);
  Client again = NewClient();
  EXPECT_TRUE(again.Connect("s1", false, 0, 300).session_present);
  PublishPacket resent = again.ReceivePublish();
  EXPECT_EQ(resent.payload, "one");
  EXPECT_TRUE(resent.dup);
  again.Ack(PacketType::kPuback, resent.packet_id);
  again.Close();
  std::this_thread::sleep_for(100ms);

  Client third = NewClient();
  EXPECT_TRUE(third.Connect("s1", false, 0, 300).session_present);
  EXPECT_FALSE(third.Receive(300ms));  // nothing left in flight
}

// QoS 2: a PUBLISH resent before PUBREL is acknowledged again but delivered once (4.3.3).
TEST_F(BrokerTest, QoS2IsDeliveredExactlyOnce) {
  Client sub = NewClient(), pub = NewClient();
  sub.Connect("sub2");
  pub.Connect("pub2");
  sub.Subscribe("x", 2);
  pub.Publish("x", "once", 2, 7);
  EXPECT_EQ(pub.ReceiveAck(PacketType::kPubrec).packet_id, 7);
  pub.Publish("x", "once", 2, 7, /*dup=*/true);
  EXPECT_EQ(pub.ReceiveAck(PacketType::kPubrec).packet_id, 7);
  pub.Ack(PacketType::kPubrel, 7);
  EXPECT_EQ(pub.ReceiveAck(PacketType::kPubcomp).reason, ReasonCode::kSuccess);
  pub.Ack(PacketType::kPubrel, 7);  // released already: unknown now
  EXPECT_EQ(pub.ReceiveAck(PacketType::kPubcomp).reason, ReasonCode::kPacketIdentifierNotFound);

  PublishPacket got = sub.ReceivePublish();
  EXPECT_EQ(got.qos, 2);
  sub.Ack(PacketType::kPubrec, got.packet_id);
  EXPECT_EQ(sub.ReceiveAck(PacketType::kPubrel).packet_id, got.packet_id);
  sub.Ack(PacketType::kPubcomp, got.packet_id);
  EXPECT_FALSE(sub.Receive(300ms));  // the duplicate was not routed
}

// Keep-alive and CONNECT timeouts are enforced by the shard's sweeper against the broker clock.
TEST_F(BrokerTest, KeepAliveExpiryDisconnects) {
  Client c = NewClient();
  c.Connect("ka", true, /*keep_alive=*/10);
  Client quiet = NewClient();
  quiet.Connect("ka-quiet", true, /*keep_alive=*/0);
  clock_.Advance(14'000'000'000);  // below 1.5 x 10 s
  EXPECT_FALSE(c.ClosedWithin(700ms));
  clock_.Advance(2'000'000'000);
  ASSERT_TRUE(c.ClosedWithin(3s));
  ASSERT_FALSE(c.seen().empty());
  ASSERT_TRUE(std::holds_alternative<DisconnectPacket>(c.seen().back()));
  EXPECT_EQ(std::get<DisconnectPacket>(c.seen().back()).reason, ReasonCode::kKeepAliveTimeout);
  EXPECT_FALSE(quiet.ClosedWithin(300ms));  // keep-alive 0: never times out
}

TEST_F(BrokerTest, ConnectTimeoutClosesSilentSocket) {
  Client silent = NewClient();
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(silent.ClosedWithin(300ms));
  clock_.Advance(static_cast<int64_t>(config_.connect_timeout_ms) * 1'000'000);
  EXPECT_TRUE(silent.ClosedWithin(3s));
  EXPECT_TRUE(silent.seen().empty());
}

TEST_F(BrokerTest, TakeoverClosesTheOldConnection) {
  Client first = NewClient();
  first.Connect("twin");
  Client second = NewClient();
  second.Connect("twin");
  ASSERT_TRUE(first.ClosedWithin(3s));
  ASSERT_FALSE(first.seen().empty());
  EXPECT_EQ(std::get<DisconnectPacket>(first.seen().back()).reason, ReasonCode::kSessionTakenOver);
  second.Send(PingreqPacket{});
  auto p = second.Receive();
  EXPECT_TRUE(p && std::holds_alternative<PingrespPacket>(*p));
}

// $SYS statistics are retained (a new subscriber gets them at once), reach an explicit $SYS
// filter but not a leading wildcard, and follow the broker's counters.
TEST_F(BrokerTest, SysTopicsPublishStatistics) {
  SysPublisher sys(*broker_, pool_->context(0), "1.2.3", std::chrono::seconds(1));
  asio::post(pool_->context(0), [&] { sys.Start(); });
  Client wild = NewClient();
  wild.Connect("wild");
  wild.Subscribe("#", 0);
  std::this_thread::sleep_for(200ms);
  Client sys_sub = NewClient();
  sys_sub.Connect("sys");
  sys_sub.Subscribe("$SYS/#", 0);
  std::map<std::string, std::string> seen;
  for (int i = 0; i < 50 && seen.size() < 10; ++i) {
    PublishPacket p = sys_sub.ReceivePublish();
    if (p.topic.empty()) break;
    EXPECT_TRUE(p.retain) << p.topic;
    seen[p.topic] = p.payload;
  }
  EXPECT_EQ(seen["$SYS/broker/version"], "verbund 1.2.3");
  EXPECT_EQ(seen.count("$SYS/broker/uptime"), 1u);
  EXPECT_EQ(seen.count("$SYS/broker/bytes/received"), 1u);
  EXPECT_EQ(seen.count("$SYS/broker/messages/dropped"), 1u);
  // The next round (1 s later) counts both clients.
  bool counted = false;
  for (int i = 0; i < 40 && !counted; ++i) {
    PublishPacket p = sys_sub.ReceivePublish();
    if (p.topic.empty()) break;
    counted = p.topic == "$SYS/broker/clients/connected" && p.payload == "2";
  }
  EXPECT_TRUE(counted);
  EXPECT_FALSE(wild.Receive(200ms));  // '#' never matches $SYS
  std::promise<void> stopped;
  asio::post(pool_->context(0), [&] {
    sys.Stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
}

// Tenant namespaces: each tenant's clients see only their own topics, under the names they used.
TEST_F(BrokerTest, TenantsSeeOnlyTheirOwnNamespace) {
  Client a = NewClient(), b = NewClient(), a2 = NewClient(ProtocolVersion::kV311);
  ASSERT_EQ(a.Connect("same-id", true, 0, 0, "acme/alice").reason, ReasonCode::kSuccess);
  ASSERT_EQ(b.Connect("same-id", true, 0, 0, "beta/bob").reason, ReasonCode::kSuccess);
  ASSERT_EQ(a2.Connect("other", true, 0, 0, "acme/ann").reason, ReasonCode::kSuccess);
  a.Subscribe("#", 1);
  b.Subscribe("+/x", 0);
  b.Subscribe("$share/g/#", 0);
  a2.Subscribe("$share/g/#", 0);  // the same group name in another tenant is another group

  b.Publish("acme/x", "from-beta", 0);  // lands in beta's namespace as "acme/x"
  a2.Publish("factory/x", "from-acme", 0);

  PublishPacket got = a.ReceivePublish();
  EXPECT_EQ(got.topic, "factory/x");  // the mount is stripped on delivery
  EXPECT_EQ(got.payload, "from-acme");
  EXPECT_EQ(a2.ReceivePublish().payload, "from-acme");  // acme's share group
  EXPECT_FALSE(a.Receive(300ms));                       // never beta's "acme/x"
  PublishPacket own = b.ReceivePublish();  // one delivery for both matching subscriptions
  EXPECT_EQ(own.topic, "acme/x");
  EXPECT_EQ(own.payload, "from-beta");
  EXPECT_FALSE(b.Receive(300ms));
  // Both "same-id" sessions are alive: equal client ids of two tenants never take over.
  a.Publish("ping", "still-here", 0);
  EXPECT_EQ(a.ReceivePublish().payload, "still-here");
}

TEST_F(BrokerTest, RetainedMessagesAndWillsStayInTheirTenant) {
  {
    Client pub = NewClient();
    ASSERT_EQ(pub.Connect("p", true, 0, 0, "acme/p").reason, ReasonCode::kSuccess);
    PublishPacket p;
    p.topic = "status";
    p.payload = "acme-retained";
    p.retain = true;
    pub.Send(p);
    Will w;
    w.topic = "gone";
    w.payload = "acme-will";
    Client dying = NewClient();
    ASSERT_EQ(dying.Connect("d", true, 0, 0, "acme/d", w).reason, ReasonCode::kSuccess);
    Client acme = NewClient();
    ASSERT_EQ(acme.Connect("s", true, 0, 0, "acme/s").reason, ReasonCode::kSuccess);
    Client beta = NewClient();
    ASSERT_EQ(beta.Connect("s", true, 0, 0, "beta/s").reason, ReasonCode::kSuccess);
    beta.Subscribe("#", 1);
    acme.Subscribe("#", 1);
    PublishPacket r = acme.ReceivePublish();
    EXPECT_EQ(r.topic, "status");
    EXPECT_TRUE(r.retain);
    dying.Close();  // not a DISCONNECT: the will goes out
    PublishPacket will = acme.ReceivePublish();
    EXPECT_EQ(will.topic, "gone");
    EXPECT_EQ(will.payload, "acme-will");
    EXPECT_FALSE(beta.Receive(300ms));
  }
}

TEST_F(BrokerTest, ListAndReauthorizeLiveClients) {
  Client a = NewClient(), b = NewClient(ProtocolVersion::kV311);
  ASSERT_EQ(a.Connect("dev-1", true, 0, 0, "acme/alice").reason, ReasonCode::kSuccess);
  ASSERT_EQ(b.Connect("dev-2", true, 0, 0, "beta/bob").reason, ReasonCode::kSuccess);
  a.Subscribe("line/#", 1);

  std::promise<std::vector<ClientInfo>> listed;
  broker_->ListClients([&](std::vector<ClientInfo> c) { listed.set_value(std::move(c)); });
  auto clients = listed.get_future().get();
  std::sort(clients.begin(), clients.end(),
            [](const ClientInfo& x, const ClientInfo& y) { return x.client_id < y.client_id; });
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].client_id, "dev-1");
  EXPECT_EQ(clients[0].tenant, "acme");
  EXPECT_EQ(clients[0].principal, "alice");
  EXPECT_EQ(clients[0].protocol, "5.0");
  EXPECT_EQ(clients[0].subscriptions, 1u);
  EXPECT_EQ(clients[1].protocol, "3.1.1");

  // alice's rules narrow (no more line/2); bob is revoked.
  std::promise<size_t> done;
  broker_->Reauthorize(
      [](const Principal& p) -> std::optional<Principal> {
        if (p.tenant == "beta") return std::nullopt;
        Principal narrowed = p;
        narrowed.policy = std::make_shared<const std::string>("line/2");
        return narrowed;
      },
      ReasonCode::kNotAuthorized, [&](size_t n) { done.set_value(n); });
  EXPECT_EQ(done.get_future().get(), 1u);
  EXPECT_TRUE(b.ClosedWithin(2s));

  a.Publish("line/2", "denied", 1);
  EXPECT_EQ(a.ReceiveAck(PacketType::kPuback).type, PacketType::kPuback);
  a.Publish("line/1", "allowed", 0);
  PublishPacket got = a.ReceivePublish();
  EXPECT_EQ(got.payload, "allowed");  // line/2 never arrived
}

// Records security events as text; Connected's done is held until the test releases it.
class RecordingEvents final : public SecurityEvents {
 public:
  void Connected(const ConnectedEvent& e, Done done) override {
    Add("connected " + std::string(e.client_id) + " " + std::string(e.protocol) + " " +
            std::string(e.transport),
        std::move(done));
  }
  void ConnectFailed(const ConnectFailedEvent& e) override {
    Add("connect_failed " + std::to_string(static_cast<int>(e.reason)), nullptr);
  }
  void Disconnected(const DisconnectedEvent& e) override {
    Add("disconnected " + std::string(e.client_id) + " in=" + std::to_string(e.messages_in) +
            " out=" + std::to_string(e.messages_out) +
            " bytes=" + (e.bytes_in > 0 && e.bytes_out > 0 ? "yes" : "no") +
            " denied=" + std::to_string(e.publishes_denied),
        nullptr);
  }
  void Subscribed(const SubscribedEvent& e) override {
    Add("subscribed " + std::string(e.client_id) + " " + std::string(e.filter) + " " +
            std::to_string(static_cast<int>(e.reason)),
        nullptr);
  }
  void PublishDenied(const PublishDeniedEvent& e) override {
    Add("publish_denied " + std::string(e.client_id) + " " + std::string(e.topic), nullptr);
  }

  // Waits for the next held done callback.
  Done TakeDone() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return !done_.empty(); });
    if (done_.empty()) return nullptr;
    Done d = std::move(done_.front());
    done_.erase(done_.begin());
    return d;
  }
  size_t CountPrefixed(std::string_view prefix) {
    std::lock_guard lock(mu_);
    return std::count_if(lines_.begin(), lines_.end(),
                         [&](const std::string& l) { return l.starts_with(prefix); });
  }
  // Waits until `line` was recorded.
  bool Saw(const std::string& line) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(
        lock, 5s, [&] { return std::find(lines_.begin(), lines_.end(), line) != lines_.end(); });
  }

 private:
  void Add(std::string line, Done done) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
    if (done) done_.push_back(std::move(done));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<Done> done_;
};

class DenySecretAuthorizer final : public Authorizer {
 public:
  bool CanPublish(const Principal&, std::string_view t) override {
    return t.rfind("secret", 0) != 0;
  }
  bool CanSubscribe(const Principal&, std::string_view f) override {
    return f.rfind("secret", 0) != 0;
  }
  bool CanReceive(const Principal&, std::string_view) override { return true; }
};

class SecurityEventsTest : public BrokerTest {
 protected:
  void SetUp() override {
    events_ = &events;
    authorizer_ = &deny;
    BrokerTest::SetUp();
  }
  // Sends a CONNECT as `id`; returns the recorder's held done for it (null if none came).
  SecurityEvents::Done SendConnect(Client& c, ProtocolVersion v, std::string id) {
    ConnectPacket connect;
    connect.version = v;
    connect.client_id = std::move(id);
    c.Send(connect);
    return events.TakeDone();
  }
  RecordingEvents events;
  DenySecretAuthorizer deny;
};

TEST_F(SecurityEventsTest, ConnackWaitsUntilTheConnectIsRecorded) {
  Client c = NewClient(ProtocolVersion::kV311);
  SecurityEvents::Done done = SendConnect(c, ProtocolVersion::kV311, "plc");
  ASSERT_TRUE(done);
  EXPECT_TRUE(events.Saw("connected plc 3.1.1 tcp"));
  EXPECT_FALSE(c.Receive(200ms));  // no CONNACK before the entry is durable
  done(Status::OK());
  auto ack = c.Receive();
  ASSERT_TRUE(ack && std::holds_alternative<ConnackPacket>(*ack));
  EXPECT_EQ(std::get<ConnackPacket>(*ack).reason, ReasonCode::kSuccess);

  c.Subscribe("plant/#", 1);
  c.Subscribe("secret/#", 1);
  EXPECT_TRUE(events.Saw("subscribed plc plant/# 1"));
  EXPECT_TRUE(events.Saw("subscribed plc secret/# 135"));  // 0x87 not authorized
  c.Publish("secret/valve", "open", 0);
  EXPECT_TRUE(events.Saw("publish_denied plc secret/valve"));
  c.Publish("plant/a", "1", 0);  // delivered back to its own subscription
  EXPECT_EQ(c.ReceivePublish().topic, "plant/a");
  DisconnectPacket d;
  c.Send(d);
  EXPECT_TRUE(events.Saw("disconnected plc in=2 out=1 bytes=yes denied=1"));
}

// A client hammering topics it may not publish to is refused every time and counted every
// time, but only its first denial on each of 16 distinct topics reaches the log and the audit.
TEST_F(SecurityEventsTest, DeniedPublishesAreReportedOncePerTopicAndAllCounted) {
  Client c = NewClient(ProtocolVersion::kV5);
  SecurityEvents::Done done = SendConnect(c, ProtocolVersion::kV5, "flood");
  ASSERT_TRUE(done);
  done(Status::OK());
  ASSERT_TRUE(c.Receive());  // CONNACK
  const uint64_t denied_before = broker_->metrics().publish_denied.load();
  for (int i = 0; i < 50; ++i) c.Publish("secret/a", "x", 0);
  for (int i = 0; i < 30; ++i) c.Publish("secret/t" + std::to_string(i), "x", 0);
  c.Publish("secret/a", "x", 1, 7);  // still refused with a reason code
  EXPECT_EQ(c.ReceiveAck(PacketType::kPuback).reason, ReasonCode::kNotAuthorized);
  c.Subscribe("plant/#", 0);
  c.Publish("plant/a", "1", 0);
  EXPECT_EQ(c.ReceivePublish().topic, "plant/a");  // everything before it was handled
  EXPECT_EQ(broker_->metrics().publish_denied.load() - denied_before, 81u);
  DisconnectPacket d;
  c.Send(d);
  EXPECT_TRUE(events.Saw("disconnected flood in=82 out=1 bytes=yes denied=81"));
  EXPECT_EQ(events.CountPrefixed("publish_denied flood "), 16u);
  EXPECT_EQ(events.CountPrefixed("publish_denied flood secret/a"), 1u);
  EXPECT_EQ(events.CountPrefixed("publish_denied flood secret/t14"), 1u);
  EXPECT_EQ(events.CountPrefixed("publish_denied flood secret/t15"), 0u);
}

TEST_F(SecurityEventsTest, ARecordingFailureRefusesTheClient) {
  Client c = NewClient(ProtocolVersion::kV5);
  SecurityEvents::Done done = SendConnect(c, ProtocolVersion::kV5, "plc5");
  ASSERT_TRUE(done);
  done(IOError("disk gone"));
  auto ack = c.Receive();
  ASSERT_TRUE(ack && std::holds_alternative<ConnackPacket>(*ack));
  EXPECT_EQ(std::get<ConnackPacket>(*ack).reason, ReasonCode::kServerUnavailable);
  EXPECT_TRUE(c.ClosedWithin(2s));
}

TEST_F(SecurityEventsTest, RefusedConnectIsReported) {
  Client c = NewClient(ProtocolVersion::kV5);
  ConnectPacket connect;
  connect.version = ProtocolVersion::kV5;
  connect.client_id = std::string(300, 'x');  // longer than 256
  c.Send(connect);
  auto ack = c.Receive();
  ASSERT_TRUE(ack && std::holds_alternative<ConnackPacket>(*ack));
  EXPECT_EQ(std::get<ConnackPacket>(*ack).reason, ReasonCode::kClientIdentifierNotValid);
  EXPECT_TRUE(events.Saw("connect_failed 133"));  // 0x85
}

}  // namespace
}  // namespace verbund::mqtt
