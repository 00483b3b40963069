#include "mqtt/retained_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace verbund::mqtt {
namespace {

MessagePtr Msg(std::string topic, std::string payload) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  return m;
}

TEST(RetainedStoreTest, SetReplaceClear) {
  RetainedStore store;
  EXPECT_TRUE(store.Apply(Msg("a/b", "1")));
  EXPECT_TRUE(store.Apply(Msg("a/b", "2")));
  ASSERT_EQ(store.Match("a/#").size(), 1u);
  EXPECT_EQ(store.Match("a/#")[0]->payload, "2");
  EXPECT_TRUE(store.Apply(Msg("a/b", "")));
  EXPECT_TRUE(store.Match("a/#").empty());
  EXPECT_FALSE(store.Apply(Msg("a/b", "")));
}

TEST(RetainedStoreTest, MatchUsesFilterRules) {
  RetainedStore store;
  store.Apply(Msg("$SYS/x", "1"));
  store.Apply(Msg("f/l1/t", "2"));
  store.Apply(Msg("f/l2/t", "3"));
  EXPECT_EQ(store.Match("#").size(), 2u);
  EXPECT_EQ(store.Match("f/+/t").size(), 2u);
  EXPECT_EQ(store.Match("$SYS/#").size(), 1u);
  EXPECT_EQ(store.size(), 3u);
}

// A subscription added to shard 0 after its message 2 and to shard 1 after its message 1 gets
// from the store exactly the messages those shards routed before it: the others went live.
TEST(RetainedStoreTest, MatchWithWatermarksLeavesOutWhatWasDeliveredLive) {
  RetainedStore store;
  store.Apply(Msg("t/restored", "r"));   // {0, 0}: older than any subscription
  store.Apply(Msg("t/a", "a"), {0, 2});  // shard 0, before the subscription
  store.Apply(Msg("t/b", "b"), {0, 3});  // shard 0, after: routed live
  store.Apply(Msg("t/c", "c"), {1, 1});  // shard 1, before
  store.Apply(Msg("t/d", "d"), {1, 2});  // shard 1, after
  const uint64_t marks[] = {2, 1};
  std::vector<std::string> got;
  for (const MessagePtr& m : store.Match("t/#", marks)) got.push_back(m->payload);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a", "c", "r"}));
  EXPECT_EQ(store.Match("t/#").size(), 5u);  // no watermarks: everything
}

// A newer message that replaced a topic's retained one after the subscription carries the
// newer stamp: the subscriber gets it live and nothing from the store for that topic.
TEST(RetainedStoreTest, ReplacedAfterSubscriptionIsNotReplayed) {
  RetainedStore store;
  store.Apply(Msg("t/a", "old"), {0, 1});
  store.Apply(Msg("t/a", "new"), {1, 5});
  const uint64_t marks[] = {1, 4};
  EXPECT_TRUE(store.Match("t/#", marks).empty());
}

}  // namespace
}  // namespace verbund::mqtt
