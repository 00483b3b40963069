#include "audit/entry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::SampleEntry;

TEST(EntryTest, RoundTripsEveryField) {
  Entry e = SampleEntry(7);
  e.reason = "acl rule 3";
  e.time_ns = -5;  // before 1970 still encodes
  const std::string bytes = EncodeEntry(e);
  auto back = DecodeEntry(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
  EXPECT_TRUE(CheckEntry(bytes).ok());
  EXPECT_EQ(EncodeEntry(*back), bytes);
}

TEST(EntryTest, EmptyEntryIsTwelveBytesPlusFiveZeroLengths) {
  Entry e;
  e.kind = EventKind::kDisconnect;
  EXPECT_EQ(EncodeEntry(e).size(), 17u);
}

TEST(EntryTest, EveryTruncationIsMalformed) {
  const std::string bytes = EncodeEntry(SampleEntry(3));
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeEntry(bytes.substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
    EXPECT_FALSE(CheckEntry(bytes.substr(0, n)).ok());
  }
}

TEST(EntryTest, TrailingBytesAreMalformed) {
  std::string bytes = EncodeEntry(SampleEntry(3));
  bytes.push_back('\0');
  EXPECT_EQ(DecodeEntry(bytes).status().code(), StatusCode::kMalformed);
}

TEST(EntryTest, NonMinimalVarintIsRejected) {
  Entry e;
  e.tenant = "a";
  std::string bytes = EncodeEntry(e);
  // tenant length 1 as 0x81 0x00 instead of 0x01: same value, not canonical.
  ASSERT_EQ(bytes[12], 1);
  bytes.replace(12, 1, std::string("\x81\x00", 2));
  EXPECT_EQ(DecodeEntry(bytes).status().code(), StatusCode::kMalformed);
}

TEST(EntryTest, UnknownVersionOutcomeAndKindZeroAreRejected) {
  const std::string good = EncodeEntry(SampleEntry(1));
  std::string bad = good;
  bad[0] = 2;
  EXPECT_FALSE(DecodeEntry(bad).ok());
  bad = good;
  bad[11] = 3;
  EXPECT_FALSE(DecodeEntry(bad).ok());
  bad = good;
  bad[9] = bad[10] = 0;
  EXPECT_FALSE(DecodeEntry(bad).ok());
  bad = good;
  bad[9] = 0x2c;  // kind 300: not known to this build, still accepted
  bad[10] = 0x01;
  auto r = DecodeEntry(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(EventKindName(r->kind), "kind_300");
}

TEST(EntryTest, LimitsAreEnforcedOnBothSides) {
  Entry e;
  e.reason.assign(kMaxStringBytes + 1, 'x');
  EXPECT_EQ(Validate(e).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(DecodeEntry(EncodeEntry(e)).ok());
  Entry d;
  for (size_t i = 0; i <= kMaxDetails; ++i) d.Add("k", "v");
  EXPECT_FALSE(Validate(d).ok());
  EXPECT_FALSE(DecodeEntry(EncodeEntry(d)).ok());
  d.details.pop_back();
  EXPECT_TRUE(Validate(d).ok());
  EXPECT_TRUE(DecodeEntry(EncodeEntry(d)).ok());
}

TEST(EntryTest, KindNamesRoundTrip) {
  for (uint16_t k = 1; k <= 10; ++k) {
    EventKind parsed;
    ASSERT_TRUE(ParseEventKind(EventKindName(static_cast<EventKind>(k)), &parsed));
    EXPECT_EQ(static_cast<uint16_t>(parsed), k);
  }
  EXPECT_EQ(EventKindName(EventKind::kSubscribeDenied), "subscribe_denied");
}

TEST(EntryTest, JsonRendering) {
  Entry e;
  e.time_ns = 1'700'000'000'123'456'789;
  e.tenant = "acme";
  e.principal = "acme/alice";
  e.source = "192.0.2.1:1883";
  e.kind = EventKind::kConnectFailed;
  e.outcome = Outcome::kDenied;
  e.reason = "bad password \xff";
  e.Add("client_id", "c1");
  const auto j = nlohmann::json::parse(EntryToJson(e));
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(j["kind"], "connect_failed");
  EXPECT_EQ(j["kind_id"], 2);
  EXPECT_EQ(j["outcome"], "denied");
  EXPECT_EQ(j["details"][0][0], "client_id");
  EXPECT_EQ(j["reason"], "bad password \xef\xbf\xbd");  // invalid UTF-8 replaced
}

}  // namespace
}  // namespace verbund::audit
