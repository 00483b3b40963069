#include "security/topic_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace verbund::security {
namespace {

TEST(TopicFilterTest, Validity) {
  for (std::string_view ok : {"a", "a/b", "/", "a//b", "+", "#", "a/+/c", "a/#", "+/#", "$SYS/#"}) {
    EXPECT_TRUE(ValidTopicFilter(ok)) << ok;
  }
  for (std::string_view bad : {"", "a#", "a/#/b", "a+/b", "#/a", "a/b+", "\xff"}) {
    EXPECT_FALSE(ValidTopicFilter(bad)) << bad;
  }
  EXPECT_FALSE(ValidTopicFilter(std::string("a\0b", 3)));
  EXPECT_TRUE(ValidTopicName("a/b"));
  EXPECT_TRUE(ValidTopicName("/"));
  EXPECT_FALSE(ValidTopicName("a/+"));
  EXPECT_FALSE(ValidTopicName("#"));
  EXPECT_FALSE(ValidTopicName(""));
}

TEST(TopicFilterTest, Matches) {
  struct Case {
    const char* filter;
    const char* topic;
    bool match;
  } cases[] = {
      {"a/b", "a/b", true},     {"a/b", "a/c", false},      {"a/+", "a/b", true},
      {"a/+", "a/b/c", false},  {"a/+", "a", false},        {"a/+", "a/", true},
      {"a/#", "a", true},       {"a/#", "a/b/c", true},     {"a/#", "ab", false},
      {"#", "a/b", true},       {"#", "/", true},           {"#", "$SYS/x", false},
      {"+/x", "$SYS/x", false}, {"$SYS/#", "$SYS/x", true}, {"$SYS/+", "$SYS/x", true},
      {"a/$x", "a/$x", true},   {"a/+", "a/$x", true},      {"a//b", "a//b", true},
      {"a/+/b", "a//b", true},  {"/#", "/a", true},         {"+/+", "/", true},
      {"+", "/", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FilterMatches(c.filter, c.topic), c.match) << c.filter << " vs " << c.topic;
  }
}

TEST(TopicFilterTest, CoversTable) {
  struct Case {
    const char* rule;
    const char* sub;
    bool covers;
  } cases[] = {
      {"a/#", "a/b/+", true},   {"a/+", "a/#", false},
      {"a/#", "a/#", true},     {"a/#", "a", true},
      {"a/#", "a/b", true},     {"a/+", "a/b", true},
      {"a/+", "a/+", true},     {"a/b", "a/+", false},
      {"a/b", "a/b", true},     {"a/b", "a/b/c", false},
      {"a", "a/#", false},      {"#", "#", true},
      {"#", "+", true},         {"#", "+/#", true},
      {"+/#", "#", true},       {"+/+/#", "#", false},
      {"a/+/#", "a/#", false},  {"+", "#", false},
      {"+/+", "+/#", false},    {"#", "$SYS/#", false},
      {"#", "$SYS/x", false},   {"+/x", "$SYS/x", false},
      {"+/#", "$SYS/#", false}, {"$SYS/#", "$SYS/+", true},
      {"$SYS/#", "$SYS", true}, {"$SYS/+", "$SYS/#", false},
      {"#", "a/$x", true},      {"a/+", "a/$x", true},
      {"a/+/b", "a//b", true},  {"a//b", "a/+/b", false},
      {"+/+", "/", true},       {"#", "/", true},
      {"/#", "/+", true},       {"/#", "+", false},
      {"+/a", "+/a", true},     {"$x", "+", false},
      {"a/+/+", "a/#", false},  {"#", "+/+/+", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FilterCovers(c.rule, c.sub), c.covers) << c.rule << " covers " << c.sub;
  }
}

// Oracle: every topic over a small alphabet, up to a depth beyond both filters, that `sub`
// matches is matched by `rule`.
bool BruteCovers(const std::string& rule, const std::string& sub,
                 const std::vector<std::string>& topics) {
  for (const auto& t : topics) {
    if (FilterMatches(sub, t) && !FilterMatches(rule, t)) return false;
  }
  return true;
}

void AllTopics(const std::vector<std::string>& alphabet, size_t depth, std::string prefix,
               std::vector<std::string>* out) {
  for (const auto& l : alphabet) {
    std::string t = prefix + l;
    out->push_back(t);
    if (depth > 1) AllTopics(alphabet, depth - 1, t + "/", out);
  }
}

std::string RandomFilter(std::mt19937& rng, bool allow_dollar) {
  static const std::vector<std::string> kLevels = {"a", "b", "", "+", "$x"};
  int n = 1 + static_cast<int>(rng() % 4);
  std::string f;
  for (int i = 0; i < n; ++i) {
    if (i > 0) f += '/';
    std::string l = kLevels[rng() % kLevels.size()];
    if (l == "$x" && !allow_dollar) l = "a";
    f += l;
  }
  if (f.empty()) f = "a";  // "" is no filter
  if (rng() % 3 == 0) f += "/#";
  if (rng() % 8 == 0) f = "#";
  return f;
}

TEST(TopicFilterTest, CoversAgreesWithBruteForce) {
  std::vector<std::string> topics;
  AllTopics({"a", "b", "", "$x", "c"}, 6, "", &topics);
  std::mt19937 rng(42);
  int covered = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string rule = RandomFilter(rng, true);
    std::string sub = RandomFilter(rng, true);
    ASSERT_TRUE(ValidTopicFilter(rule)) << "[" << rule << "]";
    ASSERT_TRUE(ValidTopicFilter(sub)) << sub;
    bool want = BruteCovers(rule, sub, topics);
    covered += want;
    ASSERT_EQ(FilterCovers(rule, sub), want) << rule << " covers " << sub;
  }
  EXPECT_GT(covered, 200);  // the generator produces both outcomes
}

TEST(TopicFilterTest, LevelsBeyondInlineCapacity) {
  std::string t;
  for (int i = 0; i < 40; ++i) t += (i ? "/" : "") + std::to_string(i);
  TopicLevels levels(t);
  ASSERT_EQ(levels.size(), 40u);
  EXPECT_EQ(levels[0], "0");
  EXPECT_EQ(levels[20], "20");
  EXPECT_EQ(levels[39], "39");
  EXPECT_TRUE(FilterMatches("0/+/2/#", t));
  EXPECT_TRUE(FilterCovers("0/#", t));
}

}  // namespace
}  // namespace verbund::security
