#include "security/web_sessions.h"

#include <gtest/gtest.h>

#include <set>

namespace verbund::security {
namespace {

constexpr int64_t kMinute = 60'000'000'000;

Identity Who(std::string tenant, std::string name) {
  Identity id;
  id.tenant = std::move(tenant);
  id.principal = std::move(name);
  id.kind = PrincipalKind::kUser;
  return id;
}

TEST(WebSessionsTest, OpenedSessionIsUsableUntilLogout) {
  WebSessions s;
  auto opened = s.Open(Who("acme", "eva"), 0);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->id.size(), 64u);
  EXPECT_EQ(opened->csrf.size(), 64u);
  EXPECT_NE(opened->id, opened->csrf);
  auto used = s.Use(opened->id, kMinute);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->identity.FullName(), "acme/eva");
  EXPECT_EQ(used->csrf, opened->csrf);
  EXPECT_EQ(used->expires_ns, kMinute + 30 * kMinute);
  EXPECT_TRUE(s.Close(opened->id));
  EXPECT_FALSE(s.Use(opened->id, kMinute));
  EXPECT_FALSE(s.Close(opened->id));
}

TEST(WebSessionsTest, UnknownAndMalformedIdsFindNothing) {
  WebSessions s;
  auto opened = s.Open(Who("acme", "eva"), 0);
  ASSERT_TRUE(opened.ok());
  std::string other = opened->id;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(s.Use(other, 1));
  EXPECT_FALSE(s.Use("", 1));
  EXPECT_FALSE(s.Use(opened->id.substr(1), 1));
  EXPECT_FALSE(s.Use(opened->id + "0", 1));
  EXPECT_TRUE(s.Use(opened->id, 1));
}

TEST(WebSessionsTest, IdleAndAbsoluteLifetimes) {
  WebSessionOptions o;
  o.idle_ttl_ns = 10 * kMinute;
  o.absolute_ttl_ns = 25 * kMinute;
  WebSessions s(o);
  auto a = s.Open(Who("acme", "eva"), 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->expires_ns, 25 * kMinute);
  // Used every 9 minutes it stays alive, but not past the absolute end.
  EXPECT_TRUE(s.Use(a->id, 9 * kMinute));
  EXPECT_TRUE(s.Use(a->id, 18 * kMinute));
  auto last = s.Use(a->id, 24 * kMinute);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->expires_ns, 25 * kMinute);  // the absolute end comes first
  EXPECT_FALSE(s.Use(a->id, 25 * kMinute));
  // Unused for the idle time it ends.
  auto b = s.Open(Who("acme", "eva"), 0);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(s.Use(b->id, 10 * kMinute));
}

TEST(WebSessionsTest, BoundedOverallAndPerPrincipalLeastRecentlyUsedGoesFirst) {
  WebSessionOptions o;
  o.max_sessions = 4;
  o.max_per_principal = 2;
  WebSessions s(o);
  auto e1 = s.Open(Who("acme", "eva"), 1);
  auto e2 = s.Open(Who("acme", "eva"), 2);
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_TRUE(s.Use(e1->id, 3));  // e2 is now the least recently used of eva's
  auto e3 = s.Open(Who("acme", "eva"), 4);
  ASSERT_TRUE(e3.ok());
  EXPECT_TRUE(s.Use(e1->id, 5));
  EXPECT_FALSE(s.Use(e2->id, 5));
  EXPECT_TRUE(s.Use(e3->id, 6));
  // Another tenant's principal with the same name is someone else.
  auto b1 = s.Open(Who("bolt", "eva"), 7);
  auto b2 = s.Open(Who("bolt", "eva"), 8);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(s.size(), 4u);
  auto k = s.Open(Who("bolt", "kai"), 9);  // table full: e1 (used at 5) goes
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(s.size(), 4u);
  EXPECT_FALSE(s.Use(e1->id, 10));
  EXPECT_TRUE(s.Use(e3->id, 10));
  EXPECT_TRUE(s.Use(k->id, 10));
}

TEST(WebSessionsTest, IdsAreRandomAndARandomFailureOpensNothing) {
  WebSessions s;
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(s.Open(Who("acme", std::to_string(i)), 0)->id);
  EXPECT_EQ(ids.size(), 100u);

  WebSessionOptions o;
  o.random = [](void*, size_t) { return Internal("no entropy"); };
  WebSessions broken(o);
  EXPECT_FALSE(broken.Open(Who("acme", "eva"), 0).ok());
  EXPECT_EQ(broken.size(), 0u);
}

TEST(WebSessionsTest, CsrfComparison) {
  EXPECT_TRUE(WebSessions::CsrfMatches("abc", "abc"));
  EXPECT_FALSE(WebSessions::CsrfMatches("abd", "abc"));
  EXPECT_FALSE(WebSessions::CsrfMatches("ab", "abc"));
  EXPECT_FALSE(WebSessions::CsrfMatches("", ""));
}

}  // namespace
}  // namespace verbund::security
