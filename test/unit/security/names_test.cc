#include "security/names.h"

#include <gtest/gtest.h>

#include <string>

namespace verbund::security {
namespace {

TEST(TenantNameTest, AcceptsLowerDigitsAndDashes) {
  EXPECT_TRUE(ValidTenantName("acme"));
  EXPECT_TRUE(ValidTenantName("0"));
  EXPECT_TRUE(ValidTenantName("acme-2"));
  EXPECT_TRUE(ValidTenantName(std::string(63, 'a')));
}

TEST(TenantNameTest, RejectsEverythingElse) {
  for (std::string_view bad :
       {"", "-acme", "Acme", "a_b", "a/b", "a+b", "a#b", "a.b", "a%b", "a b", "_hub", "é"}) {
    EXPECT_FALSE(ValidTenantName(bad)) << bad;
  }
  EXPECT_FALSE(ValidTenantName(std::string(64, 'a')));
  EXPECT_FALSE(ValidTenantName(std::string("ac\0me", 5)));
  EXPECT_EQ(CheckTenantName("a/b").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckTenantOrOperator("_hub").ok());
  EXPECT_FALSE(CheckTenantOrOperator("_hubx").ok());
}

TEST(PrincipalNameTest, AcceptsTheAllowedSet) {
  for (std::string_view ok : {"a", "Z9", "plc-17", "alice@example.com", "svc.grafana", "a_b"}) {
    EXPECT_TRUE(ValidPrincipalName(ok)) << ok;
  }
  EXPECT_TRUE(ValidPrincipalName(std::string(128, 'x')));
}

TEST(PrincipalNameTest, RejectsSeparatorsWildcardsAndControl) {
  for (std::string_view bad : {"", "a/b", "+", "#", "a+", "a#", "%u", "a%b", "a b", ".a", "-a",
                               "@a", "a\tb", "\xc3\xa9", "\xff", "a*"}) {
    EXPECT_FALSE(ValidPrincipalName(bad)) << bad;
  }
  EXPECT_FALSE(ValidPrincipalName(std::string("a\0b", 3)));
  EXPECT_FALSE(ValidPrincipalName(std::string(129, 'x')));
}

TEST(Utf8Test, ValidAndInvalidSequences) {
  EXPECT_TRUE(ValidUtf8(""));
  EXPECT_TRUE(ValidUtf8("plain"));
  EXPECT_TRUE(ValidUtf8("gr\xc3\xbc\xc3\x9f"));     // grüß
  EXPECT_TRUE(ValidUtf8("\xe2\x82\xac"));           // €
  EXPECT_TRUE(ValidUtf8("\xf0\x9f\x98\x80"));       // U+1F600
  EXPECT_FALSE(ValidUtf8("\xc3"));                  // truncated
  EXPECT_FALSE(ValidUtf8("\xe2\x82"));              // truncated
  EXPECT_FALSE(ValidUtf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(ValidUtf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(ValidUtf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(ValidUtf8("\x80"));                  // lone continuation
  EXPECT_FALSE(ValidUtf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

TEST(CertificateIdentityTest, Rules) {
  EXPECT_TRUE(ValidCertificateIdentity("plc-17.factory.example"));
  EXPECT_TRUE(ValidCertificateIdentity("CN with spaces/and slashes"));
  EXPECT_FALSE(ValidCertificateIdentity(""));
  EXPECT_FALSE(ValidCertificateIdentity(std::string("a\0b", 3)));
  EXPECT_FALSE(ValidCertificateIdentity("a\nb"));
  EXPECT_FALSE(ValidCertificateIdentity("\xff"));
  EXPECT_FALSE(ValidCertificateIdentity(std::string(1025, 'a')));
}

TEST(DatabaseOwnershipTest, ExactOrUnderscorePrefix) {
  EXPECT_TRUE(TenantOwnsDatabase("acme", "acme"));
  EXPECT_TRUE(TenantOwnsDatabase("acme", "acme_prod"));
  EXPECT_TRUE(TenantOwnsDatabase("acme", "acme_"));
  EXPECT_TRUE(TenantOwnsDatabase("acme", "acme_a_b"));
  EXPECT_FALSE(TenantOwnsDatabase("acme", "acmeprod"));
  EXPECT_FALSE(TenantOwnsDatabase("acme", "acme-x"));
  EXPECT_FALSE(TenantOwnsDatabase("acme", "acme-x_db"));
  EXPECT_FALSE(TenantOwnsDatabase("acme", "acm"));
  EXPECT_FALSE(TenantOwnsDatabase("acme", ""));
  EXPECT_FALSE(TenantOwnsDatabase("_hub", "_hub"));
  EXPECT_FALSE(TenantOwnsDatabase("", "_x"));
}

TEST(DatabaseOwnershipTest, TenantOfDatabase) {
  EXPECT_EQ(TenantOfDatabase("acme"), "acme");
  EXPECT_EQ(TenantOfDatabase("acme_prod"), "acme");
  EXPECT_EQ(TenantOfDatabase("acme-x_db"), "acme-x");
  EXPECT_EQ(TenantOfDatabase("_internal"), std::nullopt);
  EXPECT_EQ(TenantOfDatabase("Acme_x"), std::nullopt);
  EXPECT_EQ(TenantOfDatabase(""), std::nullopt);
  // Consistent with TenantOwnsDatabase: the owner is unique.
  for (std::string_view db : {"acme", "acme_prod", "a-b_c_d", "x_"}) {
    auto t = TenantOfDatabase(db);
    ASSERT_TRUE(t);
    EXPECT_TRUE(TenantOwnsDatabase(*t, db));
  }
}

TEST(QualifiedNameTest, SplitsAtFirstSlash) {
  auto q = SplitQualifiedName("acme/plc-1");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->tenant, "acme");
  EXPECT_EQ(q->name, "plc-1");
  EXPECT_FALSE(SplitQualifiedName("acme"));
  EXPECT_EQ(SplitQualifiedName("a/b/c")->name, "b/c");
}

}  // namespace
}  // namespace verbund::security
