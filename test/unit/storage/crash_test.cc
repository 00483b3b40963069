// kill -9 at random moments: every batch acknowledged before the kill must be there after
// reopening, and nothing may be corrupt. Iterations: VERBUND_CRASH_ITERATIONS (default 20).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "unit/storage/engine_test_util.h"

namespace verbund::storage {
namespace {

constexpr int kSeries = 8;
constexpr int kPoints = 50;

// Runs the writer from batch `first` for about `run_ms`, SIGKILLs it, returns acknowledged
// batch numbers.
std::vector<long> RunAndKill(const std::string& dir, long first, int run_ms) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string f = std::to_string(first);
    ::execl(VERBUND_CRASH_WRITER, VERBUND_CRASH_WRITER, dir.c_str(), f.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  std::vector<long> acked;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) break;  // a number cut by the kill was never acknowledged
    acked.push_back(std::stol(out.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return acked;
}

TEST(CrashTest, AcknowledgedBatchesSurviveSigkill) {
  int iterations = 20;
  if (const char* env = std::getenv("VERBUND_CRASH_ITERATIONS")) iterations = std::atoi(env);
  const std::string dir = testing::FreshDir("crash") + "/data";
  std::mt19937 rng(std::random_device{}());
  std::set<long> acked;
  long next = 1;
  int total_acked = 0;
  for (int it = 0; it < iterations; ++it) {
    const int run_ms = 150 + static_cast<int>(rng() % 400);
    std::vector<long> got = RunAndKill(dir, next, run_ms);
    acked.insert(got.begin(), got.end());
    total_acked += static_cast<int>(got.size());
    if (!got.empty()) next = got.back() + 1;
    ++next;  // the batch in flight may or may not be there; never reuse its timestamps

    // Reopen and check every acknowledged batch.
    auto keys = keys::FileKeyProvider::Open(dir + "/keys/local.key");
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    EngineOptions o;
    o.dir = dir;
    o.keys = keys->get();
    o.chunk_max_points = 64;
    o.background_threads = false;
    o.flush_on_close = false;  // keep the on-disk state as the crash left it for the next round
    auto engine = Engine::Open(o);
    ASSERT_TRUE(engine.ok()) << "iteration " << it << ": " << engine.status().ToString();
    for (int s = 0; s < kSeries; ++s) {
      SeriesKey key{"crash", "m", {{"host", "h"}}, "f" + std::to_string(s)};
      if (acked.empty()) break;
      auto id = (*engine)->GetOrCreateSeries(key, ValueType::kFloat);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      auto run = (*engine)->Read(*id, std::numeric_limits<TimestampNs>::min(),
                                 std::numeric_limits<TimestampNs>::max(), ScanOrder::kAscending, 0);
      ASSERT_TRUE(run.ok()) << "iteration " << it << ": " << run.status().ToString();
      const auto& v = std::get<std::vector<double>>(run->values);
      std::set<TimestampNs> present;
      for (size_t i = 0; i < run->ts.size(); ++i) {
        const TimestampNs ts = run->ts[i];
        const long b = ts / 1000;
        ASSERT_EQ(v[i], b * 1e6 + s * 1000 + ts % 1000) << "wrong value at ts " << ts;
        present.insert(ts);
      }
      for (long b : acked) {
        for (int i = 0; i < kPoints; ++i) {
          ASSERT_TRUE(present.count(b * 1000 + i)) << "iteration " << it << ": acknowledged batch "
                                                   << b << " lost sample " << i << " of series " << s;
        }
      }
    }
  }
  std::printf("crash test: %d iterations, %d acknowledged batches checked\n", iterations,
              total_acked);
  EXPECT_GT(total_acked, 0);
}

}  // namespace
}  // namespace verbund::storage
