#include "ingest/topic_template.h"

#include <gtest/gtest.h>

namespace verbund::ingest {
namespace {

TEST(TopicTemplateTest, MapsLevelsToMeasurementAndTags) {
  auto t = TopicTemplate::Parse("factory/{site}/{line}/{machine}");
  ASSERT_TRUE(t.ok());
  auto m = t->Apply("factory/munich/line1/press", "");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->measurement, "factory");
  ASSERT_EQ(m->tags.size(), 3u);
  EXPECT_EQ(m->tags[0], (std::pair<std::string, std::string>{"line", "line1"}));
  EXPECT_EQ(m->tags[1], (std::pair<std::string, std::string>{"machine", "press"}));
  EXPECT_EQ(m->tags[2], (std::pair<std::string, std::string>{"site", "munich"}));
  EXPECT_EQ(t->Apply("factory/munich/line1/press", "machines")->measurement, "machines");
}

TEST(TopicTemplateTest, OtherShapesDoNotMatch) {
  auto t = TopicTemplate::Parse("factory/{site}/{line}");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->Apply("factory/munich", ""));
  EXPECT_FALSE(t->Apply("factory/munich/l1/extra", ""));
  EXPECT_FALSE(t->Apply("fleet/munich/l1", ""));
  EXPECT_FALSE(t->Apply("factory//l1", ""));
}

TEST(TopicTemplateTest, BadTemplatesAreRejected) {
  EXPECT_FALSE(TopicTemplate::Parse("").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/{x").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/{x}/{x}").ok());
  EXPECT_FALSE(TopicTemplate::Parse("a/#").ok());
}

}  // namespace
}  // namespace verbund::ingest
