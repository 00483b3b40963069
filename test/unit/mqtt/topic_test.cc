#include "mqtt/topic.h"

#include <gtest/gtest.h>

namespace verbund::mqtt {
namespace {

TEST(TopicMatchesTest, SpecExamples) {
  // MQTT 5.0 section 4.7.1.
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(TopicMatches("sport/#", "sport"));
  EXPECT_TRUE(TopicMatches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_FALSE(TopicMatches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(TopicMatches("sport/+", "sport"));
  EXPECT_TRUE(TopicMatches("sport/+", "sport/"));
  EXPECT_TRUE(TopicMatches("+/+", "/finance"));
  EXPECT_TRUE(TopicMatches("/+", "/finance"));
  EXPECT_FALSE(TopicMatches("+", "/finance"));
  EXPECT_TRUE(TopicMatches("#", "a/b/c"));
}

TEST(TopicMatchesTest, DollarTopicsNotMatchedByLeadingWildcard) {
  EXPECT_FALSE(TopicMatches("#", "$SYS/broker/clients"));
  EXPECT_FALSE(TopicMatches("+/monitor/Clients", "$SYS/monitor/Clients"));
  EXPECT_TRUE(TopicMatches("$SYS/#", "$SYS/monitor/Clients"));
  EXPECT_TRUE(TopicMatches("$SYS/monitor/+", "$SYS/monitor/Clients"));
}

TEST(SharedFilterTest, ParsesGroupAndFilter) {
  auto s = ParseSharedFilter("$share/consumers/factory/+/temp");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->group, "consumers");
  EXPECT_EQ(s->filter, "factory/+/temp");
  EXPECT_FALSE(ParseSharedFilter("$share/consumers"));
  EXPECT_FALSE(ParseSharedFilter("$share//a"));
  EXPECT_FALSE(ParseSharedFilter("$share/a+/b"));
  EXPECT_FALSE(ParseSharedFilter("factory/#"));
}

TEST(MountedFilterTest, PrefixesTenantFiltersButNotHubTopics) {
  EXPECT_EQ(MountedFilter("#", "acme/"), "acme/#");
  EXPECT_EQ(MountedFilter("+/x", "acme/"), "acme/+/x");
  EXPECT_EQ(MountedFilter("$share/g/line/#", "acme/"), "$share/g/acme/line/#");
  EXPECT_EQ(MountedFilter("$SYS/#", "acme/"), "$SYS/#");
  EXPECT_EQ(MountedFilter("$SYS", "acme/"), "$SYS");
  EXPECT_EQ(MountedFilter("$SYSTEM/x", "acme/"), "$acme/$SYSTEM/x");
  EXPECT_EQ(MountedFilter("$share/g/$vt/#", "acme/"), "$share/g/$acme/$vt/#");
  EXPECT_EQ(MountedFilter("$share/g/$SYS/#", "acme/"), "$share/g/$SYS/#");
  EXPECT_EQ(MountedFilter("a/b", ""), "a/b");
  // A mounted wildcard never reaches another tenant's topics, nor the hub's.
  EXPECT_FALSE(TopicMatches(MountedFilter("#", "acme/"), "beta/x"));
  EXPECT_FALSE(TopicMatches(MountedFilter("+/#", "acme/"), "$SYS/broker/uptime"));
  EXPECT_TRUE(TopicMatches(MountedFilter("+/#", "acme/"), "acme/a/b"));
  // A client's own '$' topic stays one: a leading wildcard does not match it (4.7.2).
  EXPECT_FALSE(TopicMatches(MountedFilter("#", "acme/"), MountTopic("$vt/x", "acme/")));
  EXPECT_TRUE(TopicMatches(MountedFilter("$vt/#", "acme/"), MountTopic("$vt/x", "acme/")));
}

TEST(MountTopicTest, UnmountInvertsMount) {
  for (std::string_view t : {"a", "a/b", "$vt/x", "$SYS/broker/uptime", "/lead", "$"}) {
    EXPECT_EQ(UnmountTopic(MountTopic(t, "acme/"), "acme/"), t) << t;
    EXPECT_EQ(UnmountTopic(MountTopic(t, ""), ""), t) << t;
  }
  EXPECT_FALSE(UnmountTopic("beta/x", "acme/"));
  EXPECT_FALSE(UnmountTopic("$beta/$x", "acme/"));
  EXPECT_FALSE(UnmountTopic("$acme", "acme/"));
}

TEST(TopicLevelsTest, CountsSeparators) {
  EXPECT_EQ(TopicLevels("a"), 1u);
  EXPECT_EQ(TopicLevels("a/b/"), 3u);
}

}  // namespace
}  // namespace verbund::mqtt
