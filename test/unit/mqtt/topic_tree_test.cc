#include "mqtt/topic_tree.h"

#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "mqtt/broker_internal.h"
#include "mqtt/topic.h"

namespace verbund::mqtt {
namespace {

std::shared_ptr<SessionSlot> Slot(uint64_t id) {
  auto s = std::make_shared<SessionSlot>();
  s->id = id;
  s->client_id = "c" + std::to_string(id);
  return s;
}

std::multiset<uint64_t> Matches(TopicTree& tree, std::string_view topic) {
  std::vector<const SubscriberEntry*> out;
  tree.Match(topic, &out);
  std::multiset<uint64_t> ids;
  for (auto* e : out) ids.insert(e->slot->id);
  return ids;
}

TEST(TopicTreeTest, WildcardsAndExact) {
  TopicTree tree;
  auto a = Slot(1), b = Slot(2), c = Slot(3);
  tree.Add("factory/+/temp", "", {a, {}, 0});
  tree.Add("factory/#", "", {b, {}, 0});
  tree.Add("factory/line1/temp", "", {c, {}, 0});
  EXPECT_EQ(Matches(tree, "factory/line1/temp"), (std::multiset<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Matches(tree, "factory/line2/temp"), (std::multiset<uint64_t>{1, 2}));
  EXPECT_EQ(Matches(tree, "factory"), (std::multiset<uint64_t>{2}));
  EXPECT_EQ(Matches(tree, "other"), (std::multiset<uint64_t>{}));
  EXPECT_EQ(tree.size(), 3u);
}

TEST(TopicTreeTest, AddTwiceReplaces) {
  TopicTree tree;
  auto a = Slot(1);
  EXPECT_TRUE(tree.Add("x", "", {a, {}, 1}));
  EXPECT_FALSE(tree.Add("x", "", {a, {}, 2}));
  std::vector<const SubscriberEntry*> out;
  tree.Match("x", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->subscription_id, 2u);
}

TEST(TopicTreeTest, RemovePrunesAndKeepsOthers) {
  TopicTree tree;
  auto a = Slot(1), b = Slot(2);
  tree.Add("a/b/c", "", {a, {}, 0});
  tree.Add("a/+/c", "", {b, {}, 0});
  EXPECT_TRUE(tree.Remove("a/b/c", "", a.get()));
  EXPECT_FALSE(tree.Remove("a/b/c", "", a.get()));
  EXPECT_EQ(Matches(tree, "a/b/c"), (std::multiset<uint64_t>{2}));
  EXPECT_TRUE(tree.Remove("a/+/c", "", b.get()));
  EXPECT_EQ(tree.size(), 0u);
}

TEST(TopicTreeTest, DollarTopicsSkipRootWildcards) {
  TopicTree tree;
  auto a = Slot(1), b = Slot(2);
  tree.Add("#", "", {a, {}, 0});
  tree.Add("$SYS/#", "", {b, {}, 0});
  EXPECT_EQ(Matches(tree, "$SYS/uptime"), (std::multiset<uint64_t>{2}));
}

TEST(TopicTreeTest, SharedGroupDeliversToOneMemberRoundRobin) {
  TopicTree tree;
  auto a = Slot(1), b = Slot(2);
  tree.Add("jobs/#", "workers", {a, {}, 0});
  tree.Add("jobs/#", "workers", {b, {}, 0});
  std::multiset<uint64_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto m = Matches(tree, "jobs/1");
    ASSERT_EQ(m.size(), 1u);
    seen.insert(*m.begin());
  }
  EXPECT_EQ(seen.count(1), 2u);
  EXPECT_EQ(seen.count(2), 2u);
}

// The tree agrees with TopicMatches on random filters and topics.
TEST(TopicTreeTest, AgreesWithTopicMatchesOnRandomInput) {
  std::mt19937 rng(7);
  const char* levels[] = {"a", "b", "c", "$x", ""};
  auto random_topic = [&](bool filter) {
    std::string t;
    int n = 1 + rng() % 4;
    for (int i = 0; i < n; ++i) {
      if (i) t += '/';
      int r = rng() % (filter ? 7 : 5);
      if (r == 5) t += '+';
      else if (r == 6 && i == n - 1) t += '#';
      else t += levels[r % 5];
    }
    return t;
  };
  TopicTree tree;
  std::vector<std::pair<std::string, std::shared_ptr<SessionSlot>>> subs;
  for (int i = 0; i < 200; ++i) {
    auto s = Slot(i + 1);
    std::string f = random_topic(true);
    tree.Add(f, "", {s, {}, 0});
    subs.emplace_back(f, s);
  }
  for (int i = 0; i < 500; ++i) {
    std::string t = random_topic(false);
    std::multiset<uint64_t> want;
    for (auto& [f, s] : subs) {
      if (TopicMatches(f, t)) want.insert(s->id);
    }
    EXPECT_EQ(Matches(tree, t), want) << t;
  }
}

}  // namespace
}  // namespace verbund::mqtt
