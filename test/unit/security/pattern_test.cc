#include "security/pattern.h"

#include <gtest/gtest.h>

#include "security/topic_filter.h"

namespace verbund::security {
namespace {

Glob G(std::string_view s) {
  bool unused = false;
  PieceList pieces;
  std::string lit;
  for (char c : s) {
    if (c == '*') {
      if (!lit.empty()) pieces.push_back({PatternPiece::Kind::kLiteral, lit});
      lit.clear();
      pieces.push_back({PatternPiece::Kind::kStar, ""});
    } else {
      lit += c;
    }
  }
  if (!lit.empty()) pieces.push_back({PatternPiece::Kind::kLiteral, lit});
  (void)unused;
  return Glob(pieces);
}

TEST(GlobTest, StarMatchesAnyRun) {
  EXPECT_TRUE(G("machine_*").Matches("machine_"));
  EXPECT_TRUE(G("machine_*").Matches("machine_17"));
  EXPECT_FALSE(G("machine_*").Matches("machine"));
  EXPECT_TRUE(G("*").Matches(""));
  EXPECT_TRUE(G("*").Matches("anything/at all"));
  EXPECT_TRUE(G("a*b*c").Matches("abc"));
  EXPECT_TRUE(G("a*b*c").Matches("a_b_b_c"));
  EXPECT_FALSE(G("a*b*c").Matches("acb"));
  EXPECT_FALSE(G("ab*ba").Matches("aba"));  // anchors must not overlap
  EXPECT_TRUE(G("ab*ba").Matches("abba"));
  EXPECT_TRUE(G("*x*").Matches("x"));
  EXPECT_FALSE(G("*x*").Matches("y"));
  EXPECT_TRUE(G("exact").Matches("exact"));
  EXPECT_FALSE(G("exact").Matches("exactly"));
  EXPECT_TRUE(G("exact").exact());
  EXPECT_FALSE(G("e*").exact());
}

TEST(PatternTest, ParsesPlaceholders) {
  auto p = ParseTopicPattern("factory/%u/dev-%c/#");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->has_placeholders);
  ASSERT_EQ(p->levels.size(), 4u);
  EXPECT_EQ(SpecializeTopic(*p, "c1", "bob"), "factory/bob/dev-c1/#");
  EXPECT_FALSE(ParseTopicPattern("a/b/#")->has_placeholders);
}

TEST(PatternTest, RejectsBadPatterns) {
  EXPECT_FALSE(ParseTopicPattern("a/%x").ok());
  EXPECT_FALSE(ParseTopicPattern("a/%").ok());
  EXPECT_FALSE(ParseTopicPattern("a/#/b").ok());
  EXPECT_FALSE(ParseTopicPattern("a+").ok());
  EXPECT_FALSE(ParseTopicPattern("").ok());
  EXPECT_FALSE(ParseTopicPattern(std::string(kMaxPatternBytes + 1, 'a')).ok());
  EXPECT_FALSE(ParseDataPattern("nodb").ok());
  EXPECT_FALSE(ParseDataPattern("/m").ok());
  EXPECT_FALSE(ParseDataPattern("db/").ok());
  EXPECT_FALSE(ParseDataPattern("db/%q").ok());
  EXPECT_FALSE(ParseDataPattern(std::string("d\0b/m", 5)).ok());
  EXPECT_TRUE(ParseDataPattern("acme_*/machine_%u").ok());
}

TEST(PatternTest, SubstitutionNeverWidens) {
  auto p = ParseTopicPattern("devices/%c/#");
  ASSERT_TRUE(p.ok());
  for (std::string_view bad : std::vector<std::string_view>{"+", "#", "a/b", "", "x+", "y#",
                                                            std::string_view("n\0ul", 4)}) {
    EXPECT_EQ(SpecializeTopic(*p, bad, "bob"), std::nullopt) << bad;
  }
  EXPECT_EQ(SpecializeTopic(*p, "dev*1", "bob"), "devices/dev*1/#");  // '*' is a literal level
  auto d = ParseDataPattern("db_%c/%u");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(SpecializeData(*d, "a/b", "bob"), std::nullopt);
  auto g = SpecializeData(*d, "x*", "bob");
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->db.Matches("db_x*"));
  EXPECT_FALSE(g->db.Matches("db_xyz"));  // a star from the client id stays literal
  EXPECT_TRUE(g->measurement.Matches("bob"));
}

TEST(CheckRuleTest, RightsAndSelectors) {
  Rule r;
  r.tenant = "acme";
  r.rights = Bit(Right::kPublish);
  r.pattern = "a/#";
  EXPECT_TRUE(CheckRule(r).ok());
  r.rights = 0;
  EXPECT_FALSE(CheckRule(r).ok());
  r.rights = Bit(Right::kAdmin);
  EXPECT_FALSE(CheckRule(r).ok());
  r.rights = Bit(Right::kPublish) | Bit(Right::kWrite);
  EXPECT_FALSE(CheckRule(r).ok());
  r.rights = 1u << 9;
  EXPECT_FALSE(CheckRule(r).ok());
  r.rights = Bit(Right::kWrite);
  EXPECT_TRUE(CheckRule(r).ok());  // as a glob, "#" is a literal measurement name
  r.pattern = "acme/*";
  EXPECT_TRUE(CheckRule(r).ok());
  r.principal = "a/b";
  EXPECT_FALSE(CheckRule(r).ok());
  r.principal = "bob";
  EXPECT_TRUE(CheckRule(r).ok());
  r.effect = static_cast<Effect>(7);
  EXPECT_FALSE(CheckRule(r).ok());
}

}  // namespace
}  // namespace verbund::security
