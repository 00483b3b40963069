// The offline verifier against an honest export and against every kind of tampering.
#include "audit/verify.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "audit/record.h"
#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::FreshDir;
using testing::ReadFile;
using testing::SampleEntry;

// Splits an export into its records' bytes (header first).
std::vector<std::string> Records(const std::string& bytes) {
  std::vector<std::string> out;
  size_t off = 0;
  while (off < bytes.size()) {
    Record r;
    std::string why;
    EXPECT_EQ(DecodeRecord(std::string_view(bytes).substr(off), &r, &why), DecodeOutcome::kOk);
    out.push_back(bytes.substr(off, r.size));
    off += r.size;
  }
  return out;
}

std::string Join(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) out += r;
  return out;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("verify");
    AuditLogOptions o;
    o.dir = dir_;
    log_ = std::move(AuditLog::Open(o)).value();
    SthSignerOptions so;
    so.dir = dir_;
    so.clock = &clock_;
    signer_ = std::move(SthSigner::Open(so, log_.get(),
                                        std::move(SigningKey::LoadOrCreate(dir_)).value()))
                  .value();
    // Heads at 0, 10, 20 and 30 entries.
    ASSERT_TRUE(signer_->SignNow().ok());
    for (uint64_t i = 0; i < 30; ++i) {
      ASSERT_TRUE(log_->Append(SampleEntry(i)).ok());
      if (i % 10 == 9) {
        clock_.Advance(1'000'000'000);
        ASSERT_TRUE(signer_->SignNow().ok());
      }
    }
    ASSERT_TRUE(WriteExport(*log_, signer_->History(), dir_ + "/export").ok());
    export_ = ReadFile(dir_ + "/export");
    key_ = signer_->public_key();
  }

  VerifyReport Verify(const std::string& bytes, const SignedTreeHead* saved = nullptr) {
    return VerifyExport(bytes, key_, saved);
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<SthSigner> signer_;
  std::string export_;
  PublicKey key_;
};

TEST_F(VerifyTest, HonestExportVerifies) {
  VerifyReport r = Verify(export_);
  EXPECT_TRUE(r.ok) << r.check << ": " << r.message;
  EXPECT_EQ(r.entries, 30u);
  EXPECT_EQ(r.tree_heads, 4u);
  EXPECT_EQ(r.root, *log_->Root(30));
  for (const auto& saved : signer_->History()) {
    VerifyReport s = Verify(export_, &saved);
    EXPECT_TRUE(s.ok) << s.check << ": " << s.message;
  }
  const auto j = nlohmann::json::parse(ReportToJson(r));
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["latest"]["tree_size"], 30);
}

TEST_F(VerifyTest, StreamedExportEqualsTheFile) {
  std::string streamed;
  int chunks = 0;
  ASSERT_TRUE(StreamExport(*log_, signer_->History(), [&](std::string_view c) {
                ++chunks;
                streamed.append(c);
                return Status::OK();
              }).ok());
  EXPECT_EQ(streamed, export_);
  EXPECT_GE(chunks, 1);
  Status failing = StreamExport(*log_, signer_->History(),
                                [](std::string_view) { return IOError("client went away"); });
  EXPECT_EQ(failing.code(), StatusCode::kIOError);
}

TEST_F(VerifyTest, EveryByteChangeIsDetected) {
  for (size_t i = 0; i < export_.size(); ++i) {
    std::string bad = export_;
    bad[i] ^= 0x01;
    VerifyReport r = Verify(bad);
    ASSERT_FALSE(r.ok) << "byte " << i << " changed undetected";
  }
}

// An attacker who recomputes the CRC after changing an entry is caught by the tree heads.
TEST_F(VerifyTest, ReframedEntryChangeIsDetectedByTheRoot) {
  auto records = Records(export_);
  // records: header, sth(0), e0..e9, sth(10), ...
  Entry e = SampleEntry(3);
  e.principal = "mallory";
  std::string rec;
  AppendRecord(&rec, RecordType::kEntry, EncodeEntry(e));
  records[2 + 3] = rec;
  VerifyReport r = Verify(Join(records));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.check, "root");
  EXPECT_EQ(r.index, 10);
}

TEST_F(VerifyTest, DroppedDuplicatedAndReorderedEntriesAreDetected) {
  const auto records = Records(export_);
  for (size_t i = 2; i < records.size(); ++i) {
    if (records[i][8] != static_cast<char>(RecordType::kEntry)) continue;
    auto dropped = records;
    dropped.erase(dropped.begin() + static_cast<long>(i));
    EXPECT_FALSE(Verify(Join(dropped)).ok) << "dropped " << i;
    auto dup = records;
    dup.insert(dup.begin() + static_cast<long>(i), records[i]);
    EXPECT_FALSE(Verify(Join(dup)).ok) << "duplicated " << i;
    if (i + 1 < records.size() && records[i + 1][8] == static_cast<char>(RecordType::kEntry)) {
      auto swapped = records;
      std::swap(swapped[i], swapped[i + 1]);
      EXPECT_FALSE(Verify(Join(swapped)).ok) << "swapped " << i;
    }
  }
}

TEST_F(VerifyTest, TruncationIsDetected) {
  for (size_t n = 0; n < export_.size(); ++n) {
    VerifyReport r = Verify(export_.substr(0, n));
    if (!r.ok) continue;
    // Only a cut right after a tree head verifies on its own (it looks like an older export);
    // the saved newest head catches it.
    const SignedTreeHead newest = signer_->History().back();
    VerifyReport s = Verify(export_.substr(0, n), &newest);
    ASSERT_FALSE(s.ok) << "cut at " << n;
    EXPECT_EQ(s.check, "saved_size");
  }
}

TEST_F(VerifyTest, RewrittenHistoryAfterASavedHeadIsDetected) {
  const SignedTreeHead saved = signer_->History()[2];  // size 20, saved by the auditor
  // The operator rebuilds the log with entry 5 changed and re-signs everything with the hub key.
  const std::string dir = FreshDir("verify_rewrite");
  AuditLogOptions o;
  o.dir = dir;
  auto log = std::move(AuditLog::Open(o)).value();
  std::filesystem::copy_file(dir_ + "/signing.key", dir + "/signing.key");
  SthSignerOptions so;
  so.dir = dir;
  auto signer =
      std::move(SthSigner::Open(so, log.get(), std::move(SigningKey::Load(dir)).value())).value();
  for (uint64_t i = 0; i < 30; ++i) {
    Entry e = SampleEntry(i);
    if (i == 5) e.outcome = Outcome::kOk, e.reason = "nothing to see";
    ASSERT_TRUE(log->Append(e).ok());
  }
  ASSERT_TRUE(signer->SignNow().ok());
  ASSERT_TRUE(WriteExport(*log, signer->History(), dir + "/export").ok());
  const std::string forged = ReadFile(dir + "/export");
  EXPECT_TRUE(Verify(forged).ok);  // self-consistent and signed...
  VerifyReport r = Verify(forged, &saved);
  ASSERT_FALSE(r.ok);  // ...but not what the auditor saw before
  EXPECT_EQ(r.check, "saved_root");
  EXPECT_EQ(r.index, 20);
}

TEST_F(VerifyTest, WrongKeyAndForgedHeadsAreDetected) {
  auto other = SigningKey::Generate();
  VerifyReport r = VerifyExport(export_, other->public_key());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.check, "signature");
  SignedTreeHead saved = signer_->History()[1];
  saved.root[0] ^= 1;
  r = Verify(export_, &saved);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.check, "saved_signature");
}

TEST_F(VerifyTest, EntriesAfterTheLastHeadAreUnsigned) {
  ASSERT_TRUE(log_->Append(SampleEntry(30)).ok());
  ASSERT_TRUE(WriteExport(*log_, signer_->History(), dir_ + "/export2", 31).ok());
  VerifyReport r = Verify(ReadFile(dir_ + "/export2"));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.check, "unsigned");
}

TEST_F(VerifyTest, ProofsAgainstSignedHeads) {
  const auto history = signer_->History();
  const SignedTreeHead& older = history[1];  // size 10
  const SignedTreeHead& newer = history[3];  // size 30
  for (uint64_t i = 0; i < 30; ++i) {
    ProofOfInclusion p;
    p.leaf_index = i;
    p.tree_size = 30;
    p.leaf_hash = *log_->LeafHash(i);
    p.entry = EncodeEntry(SampleEntry(i));
    p.proof = *log_->InclusionProof(i, 30);
    auto back = InclusionFromJson(ToJson(p));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(VerifyInclusionProof(*back, newer, key_).ok()) << i;
    EXPECT_FALSE(VerifyInclusionProof(*back, older, key_).ok());
    back->entry = EncodeEntry(SampleEntry(i + 1));
    EXPECT_FALSE(VerifyInclusionProof(*back, newer, key_).ok());
  }
  ProofOfConsistency c;
  c.first = 10;
  c.second = 30;
  c.proof = *log_->ConsistencyProof(10, 30);
  auto back = ConsistencyFromJson(ToJson(c));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(VerifyConsistencyProof(*back, older, newer, key_).ok());
  EXPECT_FALSE(VerifyConsistencyProof(*back, newer, older, key_).ok());
  SignedTreeHead forged = newer;
  forged.root[0] ^= 1;
  EXPECT_FALSE(VerifyConsistencyProof(*back, older, forged, key_).ok());
  EXPECT_FALSE(InclusionFromJson("{\"leaf_index\":1}").ok());
  EXPECT_FALSE(ConsistencyFromJson("[]").ok());
}

TEST_F(VerifyTest, GarbageNeverVerifies) {
  EXPECT_EQ(Verify("").check, "export_header");
  EXPECT_EQ(Verify("garbage garbage garbage").check, "export_header");
  std::string header;
  AppendRecord(&header, RecordType::kExportHeader, EncodeExportHeader(0));
  EXPECT_EQ(Verify(header).check, "unsigned");
}

}  // namespace
}  // namespace verbund::audit
