// verbundctl audit commands end to end: the binary run on a real audit directory, its output
// and its documented exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "audit/log.h"
#include "audit/sth.h"
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
  {
    AuditLogOptions o;
    o.dir = dir;
    auto log = std::move(AuditLog::Open(o)).value();
    SthSignerOptions so;
    so.dir = dir;
    auto signer =
        std::move(SthSigner::Open(so, log.get(), std::move(SigningKey::LoadOrCreate(dir)).value()))
            .value();
    for (uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(log->Append(SampleEntry(i)).ok());
    ASSERT_TRUE(signer->SignNow().ok());
    pub_hex = signer->public_key().Hex();
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
}

}  // namespace
}  // namespace verbund::audit
