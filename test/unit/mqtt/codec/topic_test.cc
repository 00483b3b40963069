#include <gtest/gtest.h>

#include <string>

#include "mqtt/codec/codec.h"

namespace verbund::mqtt {
namespace {

TEST(Utf8Test, AcceptsAsciiAndMultiByte) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9"));              // U+00E9
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));          // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));      // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xef\xbb\xbf"));          // BOM is allowed (1.5.4)
  EXPECT_TRUE(IsValidUtf8("\x01\x1f\x7f"));          // control characters: SHOULD NOT, allowed
}

TEST(Utf8Test, RejectsNulAnywhere) {
  EXPECT_FALSE(IsValidUtf8(std::string("\0", 1)));
  EXPECT_FALSE(IsValidUtf8(std::string("abcdefgh\0ijk", 12)));
  EXPECT_FALSE(IsValidUtf8(std::string("abcdefg\0", 8)));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));  // overlong NUL
}

TEST(Utf8Test, RejectsOverlongForms) {
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));
}

TEST(Utf8Test, RejectsSurrogates) {
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));   // U+D7FF
}

TEST(Utf8Test, RejectsBeyondU10FFFF) {
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8Test, RejectsTruncatedAndStrayContinuation) {
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xf0\x9f\x98"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3\x28"));
}

TEST(TopicNameTest, Rules) {
  EXPECT_TRUE(IsValidTopicName("a"));
  EXPECT_TRUE(IsValidTopicName("/"));
  EXPECT_TRUE(IsValidTopicName("a//b/"));
  EXPECT_TRUE(IsValidTopicName("$SYS/x"));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("a/+"));
  EXPECT_FALSE(IsValidTopicName("a/#"));
  EXPECT_FALSE(IsValidTopicName("a+b"));
  EXPECT_FALSE(IsValidTopicName(std::string("a\0", 2)));
  EXPECT_FALSE(IsValidTopicName(std::string(65536, 'a')));
}

TEST(TopicNameTest, WildcardOrBadByteAfterTheFirstWordIsFound) {
  EXPECT_FALSE(IsValidTopicName("abcdefgh+"));
  EXPECT_FALSE(IsValidTopicName("abcdefghijklmnop/#"));
  EXPECT_FALSE(IsValidTopicName("aaaaaaaa\xc3\xa9" "bbbbbbbb+"));
  EXPECT_FALSE(IsValidTopicName(std::string("abcdefghijkl\0mnop", 17)));
  EXPECT_FALSE(IsValidTopicName("abcdefghijklmnop\xff"));
  EXPECT_TRUE(IsValidTopicName("aaaaaaaaaaaaaaaa\xc3\xa9/bbbbbbbbbbbbbbbb"));
}

TEST(TopicFilterTest, WildcardsOnlyAsWholeLevels) {
  for (const char* ok : {"#", "+", "a/#", "+/+", "/+", "+/", "a/+/c", "sport/tennis/+/#",
                         "$share/g/a/#", "$share/g/#", "$sharex/+", "//"}) {
    EXPECT_TRUE(IsValidTopicFilter(ok)) << ok;
  }
  for (const char* bad : {"", "a#", "#/", "a/#/b", "a+", "+a", "a/b+/c", "##", "++",
                          "$share/g", "$share/", "$share//a", "$share/a+b/c", "$share/#/c",
                          "$share/g/"}) {
    EXPECT_FALSE(IsValidTopicFilter(bad)) << bad;
  }
}

}  // namespace
}  // namespace verbund::mqtt
