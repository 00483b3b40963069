// server::ConsoleTopics: the console's live topics and publishing, as the HTTP caller on the
// broker: a watch sees only its tenant's matching topics (unmounted), under the caller's rules
// and rights, rate-limited with the overflow counted; publishing is mounted and checked; a
// revoked credential ends the watch.
#include "server/console_topics.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "unit/security/security_test_util.h"

namespace verbund::server {
namespace {

using security::testing::kPub;
using security::testing::kQuery;
using security::testing::kSub;

class RecordingRouter final : public mqtt::Router {
 public:
  void Publish(mqtt::MessagePtr message, std::function<void(Status)> done) override {
    published.push_back(std::move(message));
    if (done) done(Status::OK());
  }
  void AddTap(mqtt::Tap*) override {}
  std::vector<mqtt::MessagePtr> published;
};

mqtt::MessagePtr Msg(std::string topic, std::string payload) {
  auto m = std::make_shared<mqtt::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  return m;
}

// The `message` events' data, as JSON, and the `dropped` counts, of everything queued.
struct Events {
  std::vector<nlohmann::json> messages;
  std::vector<uint64_t> dropped;
};
Events Drain(http::ChunkStream& s) {
  Events e;
  bool finished = false;
  std::string all;
  for (std::string& chunk : s.Take(&finished)) all += chunk;
  size_t pos = 0;
  while ((pos = all.find("event: ", pos)) != std::string::npos) {
    size_t eol = all.find('\n', pos);
    std::string name = all.substr(pos + 7, eol - pos - 7);
    size_t data = all.find("data: ", eol) + 6;
    size_t end = all.find('\n', data);
    auto j = nlohmann::json::parse(all.substr(data, end - data));
    if (name == "message") e.messages.push_back(j);
    if (name == "dropped") e.dropped.push_back(j["dropped"].get<uint64_t>());
    pos = end;
  }
  return e;
}

class ConsoleTopicsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = security::testing::OpenPlain(security::testing::TempPath("console_topics"));
    for (const char* t : {"acme", "beta"}) {
      ASSERT_TRUE(dir_->CreateTenant(t).ok());
      ASSERT_TRUE(dir_->CreatePrincipal(t, "ann", security::PrincipalKind::kUser).ok());
    }
    auto legacy = mqtt::PasswordAuthenticator::Create("", /*allow_anonymous=*/true);
    ASSERT_TRUE(legacy.ok());
    access_ = std::make_unique<MqttAccess>(std::move(*legacy), "default", dir_.get());
    ConsoleTopicsOptions o;
    o.messages_per_s = 5;  // a burst of 10
    topics_ = std::make_unique<ConsoleTopics>(&router_, access_.get(), &clock_, o);
  }

  // A caller of `tenant`'s ann holding a token with `rights`.
  http::Caller CallerOf(std::string_view tenant, security::Rights rights,
                        std::string* token_id = nullptr) {
    auto issued = dir_->IssueToken(tenant, "ann", rights, 0);
    EXPECT_TRUE(issued.ok());
    if (token_id) *token_id = issued->id;
    auto r = dir_->snapshot()->AuthenticateToken(issued->token, 0);
    EXPECT_TRUE(r.ok());
    return http::Caller{r.identity, "10.0.0.1:1", ""};
  }

  FakeClock clock_;
  RecordingRouter router_;
  std::unique_ptr<security::Directory> dir_;
  std::unique_ptr<MqttAccess> access_;
  std::unique_ptr<ConsoleTopics> topics_;
};

TEST_F(ConsoleTopicsTest, AWatchSeesItsTenantsMatchingTopicsUnmounted) {
  auto stream = topics_->Watch(CallerOf("acme", kSub), "factory/#");
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  topics_->OnPublish(Msg("acme/factory/press", "{\"t\":1}"), nullptr);
  topics_->OnPublish(Msg("beta/factory/press", "theirs"), nullptr);  // another tenant's
  topics_->OnPublish(Msg("acme/fleet/truck", "not matched"), nullptr);
  topics_->OnPublish(Msg("acme/factory/mill", std::string("\x00\xff", 2)), nullptr);
  Events e = Drain(**stream);
  ASSERT_EQ(e.messages.size(), 2u);
  EXPECT_EQ(e.messages[0]["topic"], "factory/press");
  EXPECT_EQ(e.messages[0]["payload"], "{\"t\":1}");
  EXPECT_EQ(e.messages[0]["encoding"], "utf8");
  EXPECT_EQ(e.messages[1]["topic"], "factory/mill");
  EXPECT_EQ(e.messages[1]["encoding"], "base64");
  EXPECT_EQ(e.messages[1]["payload"], "AP8=");
  EXPECT_EQ(e.messages[1]["bytes"], 2);
}

TEST_F(ConsoleTopicsTest, AWildcardFilterStaysInsideTheTenant) {
  auto stream = topics_->Watch(CallerOf("beta", kSub), "#");
  ASSERT_TRUE(stream.ok());
  topics_->OnPublish(Msg("acme/x", "a"), nullptr);
  topics_->OnPublish(Msg("$SYS/broker/uptime", "1"), nullptr);
  topics_->OnPublish(Msg("beta/x", "b"), nullptr);
  Events e = Drain(**stream);
  ASSERT_EQ(e.messages.size(), 1u);
  EXPECT_EQ(e.messages[0]["topic"], "x");
}

TEST_F(ConsoleTopicsTest, RightsAndRulesDecide) {
  // Without the subscribe right: refused.
  auto refused = topics_->Watch(CallerOf("acme", kQuery), "factory/#");
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  // A rule grants line1 only: a watch of everything sees line1 alone.
  ASSERT_TRUE(dir_->AddRule(security::testing::MakeRule("acme", security::Effect::kAllow,
                                                        kSub | kPub, "*", "line1/#"))
                  .ok());
  EXPECT_EQ(topics_->Watch(CallerOf("acme", kSub), "line2/#").status().code(),
            StatusCode::kPermissionDenied);
  auto stream = topics_->Watch(CallerOf("acme", kSub), "line1/#");
  ASSERT_TRUE(stream.ok());
  topics_->OnPublish(Msg("acme/line1/a", "1"), nullptr);
  EXPECT_EQ(Drain(**stream).messages.size(), 1u);
}

TEST_F(ConsoleTopicsTest, BadFiltersAreRefused) {
  http::Caller c = CallerOf("acme", kSub);
  for (const char* f : {"", "a/#/b", "a+", "$share/g/a"}) {
    EXPECT_EQ(topics_->Watch(c, f).status().code(), StatusCode::kInvalidArgument) << f;
  }
}

TEST_F(ConsoleTopicsTest, OverTheRateMessagesAreCountedAndReported) {
  auto stream = topics_->Watch(CallerOf("acme", kSub), "#");
  ASSERT_TRUE(stream.ok());
  for (int i = 0; i < 25; ++i) topics_->OnPublish(Msg("acme/m", std::to_string(i)), nullptr);
  Events burst = Drain(**stream);
  EXPECT_EQ(burst.messages.size(), 10u);  // the burst
  EXPECT_TRUE(burst.dropped.empty());
  clock_.Advance(1'000'000'000);  // 5 more tokens
  topics_->OnPublish(Msg("acme/m", "after"), nullptr);
  Events later = Drain(**stream);
  ASSERT_EQ(later.dropped.size(), 1u);
  EXPECT_EQ(later.dropped[0], 15u);
  ASSERT_EQ(later.messages.size(), 1u);
  EXPECT_EQ(later.messages[0]["payload"], "after");
}

TEST_F(ConsoleTopicsTest, AClosedReaderIsDroppedAndRevokedTokensEndTheWatch) {
  std::string token_id;
  auto gone = topics_->Watch(CallerOf("acme", kSub), "#");
  auto kept = topics_->Watch(CallerOf("acme", kSub, &token_id), "#");
  ASSERT_TRUE(gone.ok() && kept.ok());
  (*gone)->Close();
  topics_->OnPublish(Msg("acme/m", "1"), nullptr);
  EXPECT_EQ(topics_->watches(), 1u);
  ASSERT_TRUE(dir_->RevokeToken(token_id).ok());
  topics_->Reauthorize();
  EXPECT_EQ(topics_->watches(), 0u);
  bool finished = false;
  (*kept)->Take(&finished);  // what was queued before
  (*kept)->Take(&finished);
  EXPECT_TRUE(finished);
}

TEST_F(ConsoleTopicsTest, StreamsAreLimitedPerTenant) {
  for (size_t i = 0; i < ConsoleTopicsOptions{}.max_watches_per_tenant; ++i) {
    ASSERT_TRUE(topics_->Watch(CallerOf("acme", kSub), "#").ok());
  }
  EXPECT_EQ(topics_->Watch(CallerOf("acme", kSub), "#").status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(topics_->Watch(CallerOf("beta", kSub), "#").ok());  // others are not affected
}

TEST_F(ConsoleTopicsTest, PublishingIsMountedAndChecked) {
  std::optional<Status> result;
  auto publish = [&](const http::Caller& c, std::string topic) {
    result.reset();
    topics_->Publish(c, {std::move(topic), "v", 1, false}, [&](Status st) { result = st; });
    EXPECT_TRUE(result.has_value());
    return *result;
  };
  EXPECT_TRUE(publish(CallerOf("acme", kPub), "factory/press").ok());
  ASSERT_EQ(router_.published.size(), 1u);
  EXPECT_EQ(router_.published[0]->topic, "acme/factory/press");
  EXPECT_EQ(router_.published[0]->qos, 1);
  EXPECT_EQ(publish(CallerOf("acme", kSub), "factory/press").code(),
            StatusCode::kPermissionDenied);  // no publish right
  EXPECT_EQ(publish(CallerOf("acme", kPub), "factory/+").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(publish(CallerOf("acme", kPub), "$SYS/x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(router_.published.size(), 1u);
  // With auth off an anonymous caller is the default tenant's.
  EXPECT_TRUE(publish(http::Caller{}, "demo/x").ok());
  EXPECT_EQ(router_.published.back()->topic, "default/demo/x");
}

TEST(ParsePublishRequestTest, FieldsAndErrors) {
  auto r = http::ParsePublishRequest(
      R"({"topic":"a/b","payload":"AP8=","encoding":"base64","qos":1,"retain":true})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->topic, "a/b");
  EXPECT_EQ(r->payload, std::string("\x00\xff", 2));
  EXPECT_EQ(r->qos, 1);
  EXPECT_TRUE(r->retain);
  auto plain = http::ParsePublishRequest(R"({"topic":"t"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->payload, "");
  EXPECT_EQ(plain->qos, 0);
  for (const char* bad :
       {"", "[]", "{}", R"({"topic":1})", R"({"topic":"t","qos":2})", R"({"topic":"t","qos":-1})",
        R"({"topic":"t","retain":"yes"})", R"({"topic":"t","encoding":"hex"})",
        R"({"topic":"t","payload":"A","encoding":"base64"})", R"({"topic":"t","payload":5})"}) {
    EXPECT_EQ(http::ParsePublishRequest(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace verbund::server
