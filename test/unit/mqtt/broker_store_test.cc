#include "mqtt/broker_store.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "keys/file_key_provider.h"

namespace verbund::mqtt {
namespace {

constexpr int64_t kNowMono = 5'000'000'000'000;
constexpr int64_t kNowWall = 1'764'000'000'000'000'000;

SessionSnapshot SampleSession() {
  SessionSnapshot s;
  s.client_id = "plc-17";
  s.version = ProtocolVersion::kV5;
  s.expiry_s = 3600;
  s.subscriptions["factory/+/temp"] = SubRecord{{1, true, false, 1}, 7};
  s.subscriptions["$share/g/jobs/#"] = SubRecord{{2, false, true, 0}, 0};
  auto m = std::make_shared<Message>();
  m->topic = "factory/l1/temp";
  m->payload = "21.5";
  m->qos = 1;
  m->properties.content_type = "text/plain";
  m->properties.user_properties = {{"site", "munich"}};
  m->expiry_ns = kNowMono + 60'000'000'000;
  m->origin_client = "sensor-1";
  s.inflight.push_back(InflightEntry{Outbound{m, 1, false, {7}}, 42, false});
  s.inflight.push_back(InflightEntry{Outbound{m, 2, true, {}}, 43, true});
  s.queue.push_back(Outbound{m, 1, false, {7, 9}});
  s.incoming_qos2 = {5};
  s.next_packet_id = 44;
  return s;
}

TEST(BrokerStoreFormatTest, SessionRoundTrips) {
  SessionSnapshot s = SampleSession();
  std::string bytes = EncodeSession(s, kNowWall, kNowMono);
  auto back = DecodeSession(bytes, kNowMono);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const SessionSnapshot& b = back->snapshot;
  EXPECT_EQ(back->saved_at_ns, kNowWall);
  EXPECT_EQ(b.client_id, s.client_id);
  EXPECT_EQ(b.expiry_s, 3600u);
  EXPECT_EQ(b.subscriptions.size(), 2u);
  EXPECT_EQ(b.subscriptions.at("factory/+/temp").subscription_id, 7u);
  EXPECT_EQ(b.subscriptions.at("factory/+/temp").options, s.subscriptions["factory/+/temp"].options);
  ASSERT_EQ(b.inflight.size(), 2u);
  EXPECT_EQ(b.inflight[1].packet_id, 43);
  EXPECT_TRUE(b.inflight[1].awaiting_pubcomp);
  EXPECT_EQ(b.inflight[0].out.msg->payload, "21.5");
  EXPECT_EQ(b.inflight[0].out.msg->origin_client, "sensor-1");
  EXPECT_EQ(b.inflight[0].out.msg->properties.user_properties, s.inflight[0].out.msg->properties.user_properties);
  EXPECT_EQ(b.inflight[0].out.msg->expiry_ns, kNowMono + 60'000'000'000);
  ASSERT_EQ(b.queue.size(), 1u);
  EXPECT_EQ(b.queue[0].sub_ids, (std::vector<uint32_t>{7, 9}));
  EXPECT_EQ(b.incoming_qos2, s.incoming_qos2);
  EXPECT_EQ(b.next_packet_id, 44);
}

TEST(BrokerStoreFormatTest, TruncationIsCorruptionNeverACrash) {
  std::string bytes = EncodeSession(SampleSession(), kNowWall, kNowMono);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeSession(std::string_view(bytes).substr(0, n), kNowMono);
    EXPECT_FALSE(r.ok()) << n;
  }
}

// Pins format version 1 (doc/format/mqtt-state.md). Regenerate only on a deliberate format
// change: VERBUND_UPDATE_GOLDEN=1.
TEST(BrokerStoreFormatTest, GoldenSessionV1) {
  std::string path = std::string(VERBUND_SOURCE_DIR) + "/test/golden/mqtt/session-v1.bin";
  std::string bytes = EncodeSession(SampleSession(), kNowWall, kNowMono);
  if (std::getenv("VERBUND_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, golden);
  EXPECT_TRUE(DecodeSession(golden, kNowMono).ok());
}

TEST(BrokerStoreTest, PersistsAcrossReopenAndStoresNothingInClear) {
  std::string dir = ::testing::TempDir() + "/broker-store-test";
  std::filesystem::remove_all(dir);
  auto keys = keys::FileKeyProvider::Open(dir + "/keys/local.key");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  {
    auto store = BrokerStore::Open(dir + "/mqtt", keys->get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Message m;
    m.topic = "plant7/secret-line/temperature";
    m.payload = "confidential-reading-4711";
    m.retain = true;
    ASSERT_TRUE((*store)->PutRetained(m, kNowMono).ok());
    m.topic = "a/c";
    ASSERT_TRUE((*store)->PutRetained(m, kNowMono).ok());
    ASSERT_TRUE((*store)->DeleteRetained("a/c").ok());
    ASSERT_TRUE((*store)->PutSession(SampleSession(), kNowWall, kNowMono).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  auto store = BrokerStore::Open(dir + "/mqtt", keys->get());
  ASSERT_TRUE(store.ok());
  auto retained = (*store)->LoadRetained(0);
  ASSERT_TRUE(retained.ok()) << retained.status().ToString();
  ASSERT_EQ(retained->size(), 1u);
  EXPECT_EQ((*retained)[0]->topic, "plant7/secret-line/temperature");
  auto sessions = (*store)->LoadSessions(0);
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].snapshot.client_id, "plc-17");
  store->reset();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir + "/mqtt")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* secret : {"secret-line", "confidential-reading", "plc-17", "factory/l1/temp", "munich"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << entry.path();
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace verbund::mqtt
