// verbundctl audit commands end to end: the binary run on a real audit directory, its output
// and its documented exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "audit/log.h"
#include "audit/sth.h"
#include "audit/verify.h"
#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::FreshDir;
using testing::ReadFile;
using testing::SampleEntry;
using testing::WriteFile;

struct CtlRun {
  int code;
  std::string out;
};

CtlRun Ctl(const std::string& args) {
  const std::string cmd = std::string(VERBUND_CTL) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(VerbundctlTest, AuditCommands) {
  const std::string dir = FreshDir("ctl");
  std::string pub_hex;
  SignedTreeHead old_head, new_head;
  {
    AuditLogOptions o;
    o.dir = dir;
    auto log = std::move(AuditLog::Open(o)).value();
    SthSignerOptions so;
    so.dir = dir;
    auto signer =
        std::move(SthSigner::Open(so, log.get(), std::move(SigningKey::LoadOrCreate(dir)).value()))
            .value();
    for (uint64_t i = 0; i < 12; ++i) ASSERT_TRUE(log->Append(SampleEntry(i)).ok());
    old_head = *signer->SignNow();
    for (uint64_t i = 12; i < 20; ++i) ASSERT_TRUE(log->Append(SampleEntry(i)).ok());
    new_head = *signer->SignNow();
    pub_hex = signer->public_key().Hex();
    ProofOfInclusion inc;
    inc.leaf_index = 5;
    inc.tree_size = 20;
    inc.leaf_hash = *log->LeafHash(5);
    inc.entry = (*log->ReadEncoded(5, 1))[0];
    inc.proof = *log->InclusionProof(5, 20);
    WriteFile(dir + "/inclusion.json", ToJson(inc));
    inc.entry = EncodeEntry(SampleEntry(6));  // another entry under leaf 5's hash
    WriteFile(dir + "/wrong_entry.json", ToJson(inc));
    ProofOfConsistency con;
    con.first = 12;
    con.second = 20;
    con.proof = *log->ConsistencyProof(12, 20);
    WriteFile(dir + "/consistency.json", ToJson(con));
  }
  EXPECT_EQ(Ctl("--help").code, 0);
  EXPECT_EQ(Ctl("audit verify --help").code, 0);
  EXPECT_EQ(Ctl("").code, 2);
  EXPECT_EQ(Ctl("audit verify --log x").code, 2);
  EXPECT_EQ(Ctl("audit frobnicate").code, 2);

  CtlRun pub = Ctl("audit pubkey --dir " + dir);
  ASSERT_EQ(pub.code, 0);
  EXPECT_EQ(pub.out, pub_hex + "\n");
  CtlRun pem = Ctl("audit pubkey --pem --dir " + dir);
  EXPECT_NE(pem.out.find("BEGIN PUBLIC KEY"), std::string::npos);
  WriteFile(dir + "/pub.pem", pem.out);
  EXPECT_EQ(Ctl("audit pubkey --dir " + dir + "/nothing").code, 3);

  CtlRun sth = Ctl("audit sth --dir " + dir);
  ASSERT_EQ(sth.code, 0);
  WriteFile(dir + "/saved.json", sth.out);

  ASSERT_EQ(Ctl("audit export --dir " + dir + " --out " + dir + "/export").code, 0);
  CtlRun ok = Ctl("audit verify --log " + dir + "/export --pubkey " + dir + "/pub.pem --sth " +
                  dir + "/saved.json");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_EQ(ok.out.rfind("OK: 20 entries", 0), 0u) << ok.out;
  CtlRun j = Ctl("audit verify --json --log " + dir + "/export --pubkey " + pub_hex);
  EXPECT_EQ(j.code, 0);
  EXPECT_NE(j.out.find("\"ok\":true"), std::string::npos) << j.out;

  std::string bytes = ReadFile(dir + "/export");
  bytes[bytes.size() / 2] ^= 1;
  WriteFile(dir + "/tampered", bytes);
  CtlRun bad = Ctl("audit verify --log " + dir + "/tampered --pubkey " + pub_hex);
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out.rfind("FAILED: check ", 0), 0u) << bad.out;
  EXPECT_EQ(Ctl("audit verify --log " + dir + "/missing --pubkey " + pub_hex).code, 3);
  EXPECT_EQ(Ctl("audit verify --log " + dir + "/export --pubkey abc").code, 3);

  WriteFile(dir + "/old.json", SthToJson(old_head));
  WriteFile(dir + "/new.json", SthToJson(new_head));
  const std::string common = "audit verify-proof --pubkey " + pub_hex + " --sth " + dir;
  EXPECT_EQ(Ctl(common + "/new.json --inclusion " + dir + "/inclusion.json").code, 0);
  EXPECT_EQ(Ctl(common + "/old.json --inclusion " + dir + "/inclusion.json").code, 1);
  EXPECT_EQ(Ctl(common + "/new.json --inclusion " + dir + "/wrong_entry.json").code, 1);
  EXPECT_EQ(Ctl(common + "/new.json --consistency " + dir + "/consistency.json --old-sth " + dir +
                "/old.json")
                .code,
            0);
  EXPECT_EQ(Ctl(common + "/old.json --consistency " + dir + "/consistency.json --old-sth " + dir +
                "/new.json")
                .code,
            1);
  EXPECT_EQ(Ctl(common + "/new.json").code, 2);
  EXPECT_EQ(Ctl(common + "/new.json --inclusion " + dir + "/export").code, 3);
}

}  // namespace
}  // namespace verbund::audit
