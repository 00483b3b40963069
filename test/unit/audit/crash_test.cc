// kill -9 during appends under fsync=always: every entry acknowledged before the kill is there
// after reopening, at the index it was given, and the new tree extends the old one.
// Iterations: VERBUND_CRASH_ITERATIONS (default 10).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "audit/log.h"
#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::FreshDir;
using testing::SampleEntry;

// The child: appends from 4 threads forever, writing "index seq\n" for each acknowledged entry.
[[noreturn]] void RunChild(const std::string& dir, int fd, uint64_t first_seq) {
  AuditLogOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kAlways;
  o.segment_bytes = 64 << 10;  // rotate often, so kills land in rotations too
  auto log = AuditLog::Open(o);
  if (!log.ok()) {
    std::fprintf(stderr, "child open: %s\n", log.status().ToString().c_str());
    ::_exit(2);
  }
  std::atomic<uint64_t> seq{first_seq};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        const uint64_t s = seq.fetch_add(1);
        auto idx = (*log)->Append(SampleEntry(s));
        if (!idx.ok()) ::_exit(3);
        char line[64];
        const int n =
            std::snprintf(line, sizeof line, "%llu %llu\n", static_cast<unsigned long long>(*idx),
                          static_cast<unsigned long long>(s));
        if (::write(fd, line, static_cast<size_t>(n)) != n) ::_exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  ::_exit(0);
}

std::map<uint64_t, uint64_t> RunAndKill(const std::string& dir, uint64_t first_seq, int run_ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(dir, fds[1], first_seq);
  }
  ::close(fds[1]);
  std::string out;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  reader.join();
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  std::map<uint64_t, uint64_t> acked;
  size_t pos = 0;
  while (pos < out.size()) {
    const size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) break;  // a line cut by the kill
    unsigned long long idx = 0, seq = 0;
    if (std::sscanf(out.c_str() + pos, "%llu %llu", &idx, &seq) == 2) acked[idx] = seq;
    pos = nl + 1;
  }
  return acked;
}

TEST(AuditCrashTest, AcknowledgedEntriesSurviveSigkill) {
  int iterations = 10;
  if (const char* env = std::getenv("VERBUND_CRASH_ITERATIONS")) iterations = std::atoi(env);
  const std::string dir = FreshDir("crash") + "/audit";
  std::mt19937 rng(std::random_device{}());
  std::map<uint64_t, uint64_t> acked;  // index -> seq, over all rounds
  uint64_t next_seq = 0;
  uint64_t prev_size = 0;
  Hash prev_root = EmptyRoot();
  size_t total = 0;
  for (int it = 0; it < iterations; ++it) {
    auto got = RunAndKill(dir, next_seq, 100 + static_cast<int>(rng() % 300));
    total += got.size();
    for (const auto& [idx, seq] : got) {
      acked[idx] = seq;
      next_seq = std::max(next_seq, seq + 1);
    }
    next_seq += 1000;  // entries in flight may or may not be there; never reuse their seq

    AuditLogOptions o;
    o.dir = dir;
    auto log = AuditLog::Open(o);
    ASSERT_TRUE(log.ok()) << "iteration " << it << ": " << log.status().ToString();
    const uint64_t size = (*log)->size();
    ASSERT_GE(size, prev_size) << "iteration " << it;
    auto entries = (*log)->ReadEncoded(0, size);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    for (const auto& [idx, seq] : acked) {
      ASSERT_LT(idx, size) << "iteration " << it << ": acknowledged entry " << idx << " lost";
      ASSERT_EQ((*entries)[idx], EncodeEntry(SampleEntry(seq))) << "entry " << idx;
    }
    // The root is the root of what is on disk, and extends the previous round's tree.
    Hasher h;
    CompactRange c;
    for (const auto& e : *entries) c.Append(h.Leaf(e), h);
    ASSERT_EQ(c.Root(h), *(*log)->Root(size));
    auto proof = (*log)->ConsistencyProof(prev_size, size);
    ASSERT_TRUE(proof.ok());
    ASSERT_TRUE(VerifyConsistency(prev_size, size, prev_root, *(*log)->Root(size), *proof).ok());
    prev_size = size;
    prev_root = *(*log)->Root(size);
  }
  std::printf("audit crash test: %d iterations, %zu acknowledged entries checked\n", iterations,
              total);
  EXPECT_GT(total, 0u);
}

}  // namespace
}  // namespace verbund::audit
