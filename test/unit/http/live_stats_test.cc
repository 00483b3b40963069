#include "http/live_stats.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

namespace verbund::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

StatsSample At(int64_t time_ms, uint64_t in, uint64_t acme_bytes) {
  StatsSample s;
  s.time_ms = time_ms;
  s.connections = 3;
  s.messages_in = in;
  s.messages_out = 2 * in;
  s.points_written = in / 2;
  s.disk_bytes = 4096;
  // name, series, stored bytes, sealed bytes, sealed values, points written
  s.databases = {{"acme", 10, acme_bytes, acme_bytes / 2, acme_bytes, in / 4},
                 {"acme_lab", 5, 100, 60, 40, in / 8},
                 {"beta", 7, 70, 0, 0, 0}};
  // The broker's tenant counters: acme has 2 of the 3 clients, half the traffic.
  s.tenants = {{"acme", {2, in / 2, in}}, {"beta", {1, in / 2, in}}};
  return s;
}

json Data(const std::string& event) {
  EXPECT_TRUE(event.starts_with("event: stats\ndata: ")) << event;
  EXPECT_TRUE(event.ends_with("\n\n")) << event;
  return json::parse(event.substr(19));
}

TEST(LiveStatsTest, HubWideRatesFromTwoTicks) {
  json j = Data(LiveStats::Render(At(3000, 5000, 1000), At(1000, 1000, 400), std::nullopt));
  EXPECT_EQ(j["time_ms"], 3000);
  EXPECT_EQ(j["connections"], 3);
  EXPECT_DOUBLE_EQ(j["messages_in_per_s"].get<double>(), 2000);
  EXPECT_DOUBLE_EQ(j["messages_out_per_s"].get<double>(), 4000);
  EXPECT_DOUBLE_EQ(j["points_per_s"].get<double>(), 1000);
  EXPECT_EQ(j["series"], 22);
  EXPECT_EQ(j["stored_bytes"], 1170);
  EXPECT_DOUBLE_EQ(j["stored_bytes_per_s"].get<double>(), 300);
  EXPECT_EQ(j["databases"], 3);
  EXPECT_EQ(j["stored_values"], 1040);
  EXPECT_DOUBLE_EQ(j["bytes_per_value"].get<double>(), 560.0 / 1040);
  EXPECT_EQ(j["disk_bytes"], 4096);
  EXPECT_FALSE(j.contains("tenant"));
}

TEST(LiveStatsTest, ATenantSeesOnlyItsOwnDatabases) {
  json j = Data(LiveStats::Render(At(2000, 5000, 1000), At(1000, 1000, 400), "acme"));
  EXPECT_EQ(j["tenant"], "acme");
  EXPECT_EQ(j["series"], 15);
  EXPECT_EQ(j["stored_bytes"], 1100);
  EXPECT_DOUBLE_EQ(j["stored_bytes_per_s"].get<double>(), 600);
  EXPECT_EQ(j["databases"], 2);
  EXPECT_EQ(j["stored_values"], 1040);
  EXPECT_DOUBLE_EQ(j["bytes_per_value"].get<double>(), 560.0 / 1040);
  EXPECT_FALSE(j.contains("disk_bytes"));  // the WAL and RocksDB's files are the hub's
  // Its own clients and traffic only, not the hub's.
  EXPECT_EQ(j["connections"], 2);
  EXPECT_DOUBLE_EQ(j["messages_in_per_s"].get<double>(), 2000);
  EXPECT_DOUBLE_EQ(j["messages_out_per_s"].get<double>(), 4000);
  // Points its databases took: 5000/4 + 5000/8 now, 1000/4 + 1000/8 a second before.
  EXPECT_DOUBLE_EQ(j["points_per_s"].get<double>(), 1250 + 625 - 250 - 125);
  json none = Data(LiveStats::Render(At(2000, 0, 0), At(1000, 0, 0), "gamma"));
  EXPECT_EQ(none["series"], 0);
  EXPECT_EQ(none["databases"], 0);
  EXPECT_EQ(none["connections"], 0);
  EXPECT_DOUBLE_EQ(none["messages_in_per_s"].get<double>(), 0);
  EXPECT_TRUE(none["bytes_per_value"].is_null());  // nothing sealed yet
}

TEST(LiveStatsTest, NoRateFromABackwardCounterOrClock) {
  json j = Data(LiveStats::Render(At(1000, 10, 0), At(2000, 50, 0), std::nullopt));
  EXPECT_DOUBLE_EQ(j["messages_in_per_s"].get<double>(), 0);
}

// Takes what the stream holds until `events` stats events arrived (or 5 s passed).
std::vector<std::string> Collect(ChunkStream& s, size_t events, bool* finished) {
  std::vector<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (std::string& c : s.Take(finished)) {
      if (c.starts_with("event: stats")) got.push_back(std::move(c));
    }
    if (got.size() >= events || *finished) break;
    std::this_thread::sleep_for(2ms);
  }
  return got;
}

TEST(LiveStatsTest, EverySubscriberGetsATickedEventInItsOwnScope) {
  std::atomic<int64_t> t{0};
  LiveStatsOptions o;
  o.interval = 5ms;
  o.sample = [&] { return At(t += 1000, static_cast<uint64_t>(t.load()), 0); };
  LiveStats live(o);
  auto hub = live.Subscribe(std::nullopt);
  auto acme = live.Subscribe("acme");
  ASSERT_TRUE(hub && acme);
  hub->SetNotify([] {});
  acme->SetNotify([] {});
  bool finished = false;
  auto hub_events = Collect(*hub, 3, &finished);
  ASSERT_GE(hub_events.size(), 3u);
  EXPECT_DOUBLE_EQ(Data(hub_events[0])["messages_in_per_s"].get<double>(), 1000);
  auto acme_events = Collect(*acme, 1, &finished);
  ASSERT_FALSE(acme_events.empty());
  EXPECT_EQ(Data(acme_events[0])["tenant"], "acme");
  // A closed stream (the client went away) is dropped at the next tick.
  acme->Close();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (live.subscribers() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(live.subscribers(), 1u);
}

TEST(LiveStatsTest, ASlowReaderHasItsStreamEndedAndTheLimitHolds) {
  LiveStatsOptions o;
  o.interval = 1ms;
  o.max_subscribers = 2;
  o.max_unread_bytes = 1000;  // a few events
  o.sample = [] { return At(0, 0, 0); };
  LiveStats live(o);
  auto slow = live.Subscribe(std::nullopt);
  auto other = live.Subscribe("acme");
  ASSERT_TRUE(slow && other);
  EXPECT_EQ(live.Subscribe(std::nullopt), nullptr);  // full
  other->Close();
  // Never read: once its unread events pass the bound it is finished and dropped.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (live.subscribers() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(live.subscribers(), 0u);
  bool finished = false;
  std::vector<std::string> unread = slow->Take(&finished);
  EXPECT_FALSE(unread.empty());
  EXPECT_TRUE(slow->Take(&finished).empty() && finished);
  EXPECT_NE(live.Subscribe(std::nullopt), nullptr);  // room again
}

TEST(LiveStatsTest, StoppingEndsEveryStream) {
  LiveStatsOptions o;
  o.interval = 1h;
  o.sample = [] { return At(0, 0, 0); };
  auto live = std::make_unique<LiveStats>(o);
  auto s = live->Subscribe(std::nullopt);
  ASSERT_TRUE(s);
  live.reset();  // does not wait for the hour
  bool finished = false;
  s->Take(&finished);  // the retry hint
  s->Take(&finished);
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace verbund::http
