#include "mqtt/retained_store.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace verbund::mqtt
