// Golden audit log bytes (doc/format/audit.md, worked example):
//   v1_entry.bin            the canonical encoding of ExampleEntries()[0]
//   v1_segment.audit        segment 1: header + both example entries, framed
//   v1_sth.bin              the STH over both entries at timestamp 1700000000000000000, signed
//                           with test_signing_key.pem (a test-only key; Ed25519 is
//                           deterministic, so the signature is stable)
//   v1_export.bin           export header, both entries, that STH
// Regenerate (only for a deliberate format change; keep the old files) with
//   VERBUND_UPDATE_GOLDEN=1 audit_golden_test
#include <gtest/gtest.h>

#include "audit/entry.h"
#include "audit/hash.h"
#include "audit/merkle.h"
#include "audit/record.h"
#include "audit/sth.h"
#include "audit/verify.h"
#include "golden/golden_file.h"

namespace verbund::audit {
namespace {

std::string Path(const char* file) { return golden::Path("audit", file); }

std::vector<Entry> ExampleEntries() {
  Entry a;
  a.time_ns = 1'700'000'000'000'000'000;
  a.tenant = "acme";
  a.principal = "acme/press-7";
  a.source = "192.0.2.10:50123";
  a.kind = EventKind::kConnect;
  a.outcome = Outcome::kOk;
  a.Add("client_id", "press-7").Add("protocol", "mqtt5");
  Entry b;
  b.time_ns = 1'700'000'001'000'000'000;
  b.tenant = "acme";
  b.principal = "acme/grafana";
  b.source = "198.51.100.4:40000";
  b.kind = EventKind::kQuery;
  b.outcome = Outcome::kOk;
  b.Add("measurement", "temperature").Add("from", 0).Add("to", 1'700'000'000'000'000'000);
  b.Add("rows", 1440);
  return {a, b};
}

void CheckGolden(const char* file, const std::string& bytes) {
  if (golden::Updating()) golden::Write(Path(file), bytes);
  const std::string golden = golden::Read(Path(file));
  ASSERT_FALSE(golden.empty()) << file;
  EXPECT_EQ(golden, bytes) << file << " changed: a format change needs a new version";
}

SignedTreeHead ExampleSth() {
  Hasher h;
  MerkleTree t;
  for (const Entry& e : ExampleEntries()) t.Append(h.Leaf(EncodeEntry(e)), h);
  SignedTreeHead sth;
  sth.tree_size = 2;
  sth.timestamp_ns = 1'700'000'000'000'000'000;
  sth.root = *t.Root(2, h);
  auto key = SigningKey::FromPem(golden::Read(Path("test_signing_key.pem")));
  EXPECT_TRUE(key.ok());
  EXPECT_TRUE(key->Sign(&sth).ok());
  return sth;
}

TEST(AuditGoldenTest, EntryEncoding) {
  const std::string bytes = EncodeEntry(ExampleEntries()[0]);
  CheckGolden("v1_entry.bin", bytes);
  auto back = DecodeEntry(golden::Read(Path("v1_entry.bin")));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ExampleEntries()[0]);
  Hasher h;
  std::printf("leaf hash of v1_entry.bin: %s\n", HashHex(h.Leaf(bytes)).c_str());
}

TEST(AuditGoldenTest, SegmentFraming) {
  std::string seg;
  AppendRecord(&seg, RecordType::kSegmentHeader, EncodeSegmentHeader({1, 0}));
  for (const Entry& e : ExampleEntries()) AppendRecord(&seg, RecordType::kEntry, EncodeEntry(e));
  CheckGolden("v1_segment.audit", seg);
}

TEST(AuditGoldenTest, SignedTreeHeadAndExport) {
  const SignedTreeHead sth = ExampleSth();
  std::printf("root of the example tree: %s\n", HashHex(sth.root).c_str());
  CheckGolden("v1_sth.bin", EncodeSth(sth));
  auto key = SigningKey::FromPem(golden::Read(Path("test_signing_key.pem")));
  ASSERT_TRUE(key.ok());
  auto decoded = DecodeSth(golden::Read(Path("v1_sth.bin")));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(VerifySth(*decoded, key->public_key()).ok());

  std::string exp;
  AppendRecord(&exp, RecordType::kExportHeader, EncodeExportHeader(0));
  for (const Entry& e : ExampleEntries()) AppendRecord(&exp, RecordType::kEntry, EncodeEntry(e));
  AppendRecord(&exp, RecordType::kTreeHead, EncodeSth(sth));
  CheckGolden("v1_export.bin", exp);
  VerifyReport r = VerifyExport(golden::Read(Path("v1_export.bin")), key->public_key());
  EXPECT_TRUE(r.ok) << r.check << ": " << r.message;
  std::printf("public key: %s\n", key->public_key().Hex().c_str());
}

}  // namespace
}  // namespace verbund::audit
