#include "ingest/mqtt_ingest.h"

#include <future>

#include <gtest/gtest.h>

#include "unit/storage/engine_test_util.h"

namespace verbund::ingest {
namespace {

using storage::testing::FreshDir;
using storage::testing::TestEngine;

mqtt::MessagePtr Msg(std::string topic, std::string payload, uint8_t qos = 1) {
  auto m = std::make_shared<mqtt::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  return m;
}

class MqttIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(engine_.Open().ok());
    IngestRule factory;
    factory.filter = "factory/#";
    factory.topic_template = "factory/{site}/{line}/{machine}";
    factory.time_field = "ts";
    factory.time_unit = "ms";
    IngestRule ignored;
    ignored.filter = "debug/#";
    ignored.format = PayloadFormat::kIgnore;
    config_.tenant = "acme";
    config_.rules = {factory, ignored};
    pipeline_ = std::make_unique<Pipeline>(engine_.engine.get(), PipelineOptions{});
    series_ = std::make_unique<SeriesIdCache>(engine_.engine.get());
    auto tap = MqttIngest::Create(config_, series_.get(), pipeline_.get(), &clock_);
    ASSERT_TRUE(tap.ok()) << tap.status().ToString();
    tap_ = std::move(*tap);
  }

  Status Publish(mqtt::MessagePtr m) {
    std::promise<Status> done;
    tap_->OnPublish(m, [&](Status st) { done.set_value(st); });
    return done.get_future().get();
  }

  TestEngine engine_{FreshDir("mqtt_ingest")};
  FakeClock clock_{1'800'000'000'000'000'000};
  IngestConfig config_;
  std::unique_ptr<SeriesIdCache> series_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<MqttIngest> tap_;
};

TEST_F(MqttIngestTest, TemplateMapsTopicToMeasurementAndTags) {
  ASSERT_TRUE(Publish(Msg("factory/munich/l1/press", R"({"temp":71.5,"ts":1764090000123})")).ok());
  auto series = engine_.engine->FindSeries("acme", "factory");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].key.field, "temp");
  EXPECT_EQ(series[0].key.tags,
            (std::vector<storage::Tag>{{"line", "l1"}, {"machine", "press"}, {"site", "munich"}}));
  auto latest = engine_.engine->Latest(series[0].id);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->ts, 1'764'090'000'123'000'000);
  EXPECT_EQ(std::get<double>((*latest)->value), 71.5);
}

TEST_F(MqttIngestTest, UnmatchedTopicIsItsOwnMeasurementWithArrivalTime) {
  ASSERT_TRUE(Publish(Msg("meter/7", "230.5")).ok());
  auto series = engine_.engine->FindSeries("acme", "meter/7");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].key.field, "value");
  auto latest = engine_.engine->Latest(series[0].id);
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->ts, clock_.NowNs());
}

TEST_F(MqttIngestTest, IgnoredAndUndecodablePayloadsStoreNothingButAreAcknowledged) {
  EXPECT_TRUE(Publish(Msg("debug/x", R"({"a":1})")).ok());
  EXPECT_TRUE(Publish(Msg("plain/text", "hello world")).ok());
  EXPECT_TRUE(engine_.engine->FindSeries("acme", "").empty());
  EXPECT_EQ(tap_->metrics().ignored.load(), 1u);
  EXPECT_EQ(tap_->metrics().undecodable.load(), 1u);
}

TEST_F(MqttIngestTest, TypeChangeRejectsOnlyThatField) {
  ASSERT_TRUE(Publish(Msg("m/1", R"({"a":1,"b":2})")).ok());
  clock_.Advance(1'000'000'000);
  ASSERT_TRUE(Publish(Msg("m/1", R"({"a":"text","b":3})")).ok());
  EXPECT_EQ(tap_->metrics().rejected_fields.load(), 1u);
  auto series = engine_.engine->FindSeries("acme", "m/1");
  ASSERT_EQ(series.size(), 2u);
  for (const auto& s : series) {
    auto run = engine_.engine->Read(s.id, 0, INT64_MAX, storage::ScanOrder::kAscending, 0);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->ts.size(), s.key.field == "b" ? 2u : 1u);
  }
}

TEST_F(MqttIngestTest, QosZeroGoesWithoutAcknowledgement) {
  tap_->OnPublish(Msg("m/0", "1", 0), nullptr);
  pipeline_->Drain();
  EXPECT_EQ(engine_.engine->FindSeries("acme", "m/0").size(), 1u);
}

TEST_F(MqttIngestTest, TenantNamespacesStoreEachTenantInItsOwnDatabase) {
  tap_->set_tenant_namespaces(true);
  ASSERT_TRUE(
      Publish(Msg("beta/factory/berlin/l2/mill", R"({"temp":20,"ts":1764090000000})")).ok());
  ASSERT_TRUE(
      Publish(Msg("gamma/factory/berlin/l2/mill", R"({"temp":30,"ts":1764090000000})")).ok());
  ASSERT_TRUE(Publish(Msg("nomount", "1")).ok());
  // The rule matched the topic without its mount; each tenant got its own series.
  auto beta = engine_.engine->FindSeries("beta", "factory");
  auto gamma = engine_.engine->FindSeries("gamma", "factory");
  ASSERT_EQ(beta.size(), 1u);
  ASSERT_EQ(gamma.size(), 1u);
  EXPECT_NE(beta[0].id, gamma[0].id);
  EXPECT_EQ(std::get<double>((*engine_.engine->Latest(gamma[0].id))->value), 30);
  EXPECT_TRUE(engine_.engine->FindSeries("acme", "").empty());
  EXPECT_EQ(tap_->metrics().ignored.load(), 1u);
}

TEST_F(MqttIngestTest, RefusedAdmissionStoresNothingAndAnswersTheMessage) {
  tap_->set_tenant_namespaces(true);
  tap_->set_admission([](std::string_view db) {
    return db == "beta" ? ResourceExhausted("stored-bytes quota of tenant beta") : Status::OK();
  });
  Status st = Publish(Msg("beta/factory/berlin/l2/mill", R"({"temp":20,"ts":1764090000000})"));
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(engine_.engine->FindSeries("beta", "").empty());
  EXPECT_TRUE(Publish(Msg("gamma/factory/berlin/l2/mill", R"({"temp":1})")).ok());
  EXPECT_EQ(tap_->metrics().refused.load(), 1u);
}

TEST_F(MqttIngestTest, SeriesBeyondTheQuotaAreRefusedTheOthersStored) {
  // A new engine whose admission allows two series per database.
  tap_.reset();
  series_.reset();
  pipeline_.reset();
  engine_.engine.reset();
  engine_.options.admit_series = [this](std::string_view db, size_t n) {
    uint64_t have = engine_.engine->FindSeries(db, "").size();
    return have + n > 2 ? ResourceExhausted("series quota of tenant acme (2) reached")
                        : Status::OK();
  };
  ASSERT_TRUE(engine_.Open().ok());
  pipeline_ = std::make_unique<Pipeline>(engine_.engine.get(), PipelineOptions{});
  series_ = std::make_unique<SeriesIdCache>(engine_.engine.get());
  auto tap = MqttIngest::Create(config_, series_.get(), pipeline_.get(), &clock_);
  ASSERT_TRUE(tap.ok());
  tap_ = std::move(*tap);
  ASSERT_TRUE(Publish(Msg("m/1", R"({"a":1,"b":2})")).ok());
  clock_.Advance(1'000'000'000);  // arrival time: a second sample, not the same one again
  // c is a third series: refused, while a and b are stored.
  Status st = Publish(Msg("m/1", R"({"a":3,"b":4,"c":5})"));
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  auto series = engine_.engine->FindSeries("acme", "");
  ASSERT_EQ(series.size(), 2u);
  for (const auto& s : series) {
    auto run = engine_.engine->Read(s.id, 0, INT64_MAX, storage::ScanOrder::kAscending, 0);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->ts.size(), 2u);
  }
  EXPECT_EQ(tap_->metrics().refused.load(), 1u);
}

}  // namespace
}  // namespace verbund::ingest

namespace verbund::ingest {
namespace {

TEST(SeriesIdCacheTest, BuildsKeyOnlyOnMissAndChecksType) {
  using namespace std::literals;
  const std::string_view name = "t\0m\0k\0v\1f"sv;
  storage::testing::TestEngine engine(storage::testing::FreshDir("series_cache"));
  ASSERT_TRUE(engine.Open().ok());
  SeriesIdCache cache(engine.engine.get());
  int built = 0;
  auto make = [&] {
    ++built;
    return storage::SeriesKey{"t", "m", {{"k", "v"}}, "f"};
  };
  auto a = cache.Resolve(name, storage::ValueType::kFloat, make);
  auto b = cache.Resolve(name, storage::ValueType::kFloat, make);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(built, 1);
  auto c = cache.Resolve(name, storage::ValueType::kString, make);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace verbund::ingest
