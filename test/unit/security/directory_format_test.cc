#include "security/directory_format.h"

#include <gtest/gtest.h>

#include "core/coding.h"
#include "core/crc32c.h"

namespace verbund::security {
namespace {

DirectoryState Sample() {
  DirectoryState s;
  s.version = 7;
  s.next_rule_id = 10;
  s.next_generation = 20;
  s.tenants["acme"] = {"acme", Quotas{1, 2, 3, 4, 5}};
  PrincipalRecord p;
  p.tenant = "acme";
  p.name = "bob";
  p.kind = PrincipalKind::kDevice;
  p.tenant_admin = true;
  p.disabled = true;
  p.generation = 3;
  p.password_hash = "$scrypt$16384$8$1$c2FsdA==$aGFzaA==";
  p.quotas = Quotas{9, 8, 7, 6, 5};
  s.principals[{"acme", "bob"}] = p;
  PrincipalRecord op;
  op.tenant = "_hub";
  op.name = "root";
  op.kind = PrincipalKind::kOperator;
  op.generation = 4;
  s.principals[{"_hub", "root"}] = op;
  s.certificates["bob.acme"] = {"bob.acme", "acme", "bob"};
  TokenRecord t;
  t.id = "0123456789abcdef";
  t.tenant = "acme";
  t.principal = "bob";
  t.rights = 5;
  t.expires_ms = 1'700'000'000'000;
  t.created_ms = 1'600'000'000'000;
  t.hash.fill(0xab);
  s.tokens[t.id] = t;
  Rule r;
  r.id = 9;
  r.tenant = "acme";
  r.effect = Effect::kDeny;
  r.rights = Bit(Right::kPublish);
  r.principal = "bob";
  r.pattern = "a/%c/#";
  s.rules[9] = r;
  return s;
}

TEST(DirectoryFormatTest, PayloadRoundTrips) {
  DirectoryState s = Sample();
  auto back = DecodeDirectoryPayload(EncodeDirectoryPayload(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  auto empty = DecodeDirectoryPayload(EncodeDirectoryPayload(DirectoryState{}));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, DirectoryState{});
}

TEST(DirectoryFormatTest, FileFraming) {
  std::string file = EncodeDirectoryFile(kFlagSealed, "body");
  ASSERT_EQ(file.size(), kDirectoryHeaderBytes + 4);
  EXPECT_EQ(file.substr(0, 8), "VBNDDIR\n");
  auto f = DecodeDirectoryFile(file);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->flags, kFlagSealed);
  EXPECT_EQ(f->body, "body");
  // A file that needs a newer reader: FailedPrecondition, not Corruption.
  std::string newer = file.substr(0, 28);
  newer[10] = 2;  // min_version 2
  PutFixed32(&newer, crc32c::Mask(crc32c::Value(newer)));
  newer += "body";
  EXPECT_EQ(DecodeDirectoryFile(newer).status().code(), StatusCode::kFailedPrecondition);
  std::string flags = file.substr(0, 28);
  flags[13] = 1;  // an unknown flag bit
  PutFixed32(&flags, crc32c::Mask(crc32c::Value(flags)));
  flags += "body";
  EXPECT_EQ(DecodeDirectoryFile(flags).status().code(), StatusCode::kCorruption);
}

TEST(DirectoryFormatTest, RejectsInconsistentStates) {
  auto check_bad = [](DirectoryState s, const char* what) {
    auto r = DecodeDirectoryPayload(EncodeDirectoryPayload(s));
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << what;
  };
  DirectoryState s = Sample();
  s.tenants.erase("acme");
  check_bad(s, "principal of unknown tenant");
  s = Sample();
  s.principals[{"acme", "bob"}].kind = PrincipalKind::kOperator;
  check_bad(s, "operator in a tenant");
  s = Sample();
  s.certificates["x"] = {"x", "acme", "ghost"};
  check_bad(s, "certificate of unknown principal");
  s = Sample();
  s.tokens["0123456789abcdef"].principal = "ghost";
  check_bad(s, "token of unknown principal");
  s = Sample();
  s.rules[9].pattern = "a/#/b";
  check_bad(s, "bad rule pattern");
  s = Sample();
  s.rules[9].id = 12;
  s.rules[12] = s.rules[9];
  s.rules.erase(9);
  check_bad(s, "rule id beyond next_rule_id");
  s = Sample();
  s.principals[{"acme", "bob"}].generation = 99;
  check_bad(s, "generation beyond next_generation");
  s = Sample();
  s.tenants["Bad"] = {"Bad", {}};
  check_bad(s, "bad tenant name");
  s = Sample();
  s.principals[{"acme", "bob"}].password_hash = "plaintext";
  check_bad(s, "plain-text password");
}

TEST(DirectoryFormatTest, UnknownRecordTypes) {
  std::string payload = EncodeDirectoryPayload(Sample());
  std::string optional = payload;
  optional.push_back(static_cast<char>(0x81));
  PutLengthPrefixed(&optional, "future");
  EXPECT_TRUE(DecodeDirectoryPayload(optional).ok());
  std::string required = payload;
  required.push_back(static_cast<char>(0x11));
  PutLengthPrefixed(&required, "future");
  EXPECT_EQ(DecodeDirectoryPayload(required).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeDirectoryPayload("").status().code(), StatusCode::kCorruption);  // no meta
}

}  // namespace
}  // namespace verbund::security
