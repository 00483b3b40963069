// Audit log benchmarks: appends per second (fsync=always with several threads, synchronous and
// pipelined; interval; never), export + full offline verification of N entries, and inclusion
// / consistency proof generation per second.
//
//   audit_bench [--dir=/tmp/verbund_audit_bench] [--entries=1000000] [--seconds=3]
//
// Entries are realistic query records (~110 bytes encoded). Prints one line per measurement.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "audit/file_io.h"
#include "audit/log.h"
#include "audit/sth.h"
#include "audit/verify.h"

namespace {

using namespace verbund;
using namespace verbund::audit;
using Clock = std::chrono::steady_clock;

std::string g_dir = "/tmp/verbund_audit_bench";
uint64_t g_entries = 1'000'000;
double g_seconds = 3;

Entry MakeEntry(uint64_t i) {
  Entry e;
  e.time_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1000;
  e.tenant = "tenant" + std::to_string(i % 100);
  e.principal = "tenant" + std::to_string(i % 100) + "/grafana";
  e.source = "10.1.2." + std::to_string(i % 250) + ":443";
  e.kind = EventKind::kQuery;
  e.Add("measurement", "temperature").Add("from", 0).Add("to", e.time_ns).Add("rows", 1440);
  return e;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::unique_ptr<AuditLog> OpenFresh(const std::string& name, FsyncPolicy policy) {
  const std::string dir = g_dir + "/" + name;
  std::filesystem::remove_all(dir);
  AuditLogOptions o;
  o.dir = dir;
  o.fsync = policy;
  auto log = AuditLog::Open(o);
  if (!log.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), log.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(log).value();
}

// `threads` appenders for g_seconds; each waits for durability every `window` submissions
// (window 1: a synchronous Append per entry).
void BenchAppend(const char* label, FsyncPolicy policy, int threads, int window) {
  auto log = OpenFresh(label, policy);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::vector<std::thread> ts;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      uint64_t i = static_cast<uint64_t>(t) << 40;
      while (!stop.load(std::memory_order_relaxed)) {
        uint64_t last = 0;
        for (int k = 0; k < window; ++k) last = *log->Submit(MakeEntry(i++));
        if (!log->Wait(last).ok()) std::abort();
        done.fetch_add(static_cast<uint64_t>(window), std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
  stop = true;
  for (auto& t : ts) t.join();
  const double s = Seconds(start, Clock::now());
  std::printf("append %-28s threads=%-3d window=%-5d %10.0f entries/s  fsyncs=%llu\n", label,
              threads, window, done.load() / s, static_cast<unsigned long long>(log->fsyncs()));
  std::fflush(stdout);
}

void BenchVerifyAndProofs() {
  auto log = OpenFresh("verify", FsyncPolicy::kNever);
  const auto t0 = Clock::now();
  {
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t) {
      ts.emplace_back([&, t] {
        uint64_t last = 0;
        for (uint64_t i = static_cast<uint64_t>(t); i < g_entries; i += 2) {
          last = *log->Submit(MakeEntry(i));
        }
        (void)log->Wait(last);
      });
    }
    for (auto& t : ts) t.join();
  }
  (void)log->Sync();
  const auto t1 = Clock::now();
  std::printf("fill   %llu entries (fsync=never, 2 threads)   %10.0f entries/s\n",
              static_cast<unsigned long long>(g_entries), g_entries / Seconds(t0, t1));

  auto key = SigningKey::Generate();
  SignedTreeHead sth;
  sth.tree_size = log->size();
  sth.root = *log->Root(sth.tree_size);
  sth.timestamp_ns = 1;
  (void)key->Sign(&sth);
  const std::string path = g_dir + "/export";
  const auto t2 = Clock::now();
  Status s = WriteExport(*log, {sth}, path);
  const auto t3 = Clock::now();
  if (!s.ok()) std::abort();
  auto file = MappedFile::Open(path);
  std::printf("export %llu entries (%.1f MB)                   %10.3f s\n",
              static_cast<unsigned long long>(g_entries), file->bytes().size() / 1e6,
              Seconds(t2, t3));
  // Touch the pages first, so the measurement is the verifier and not the page cache.
  volatile char sink = 0;
  for (size_t i = 0; i < file->bytes().size(); i += 4096) sink = sink + file->bytes()[i];
  const auto t4 = Clock::now();
  VerifyReport r = VerifyExport(file->bytes(), key->public_key());
  const auto t5 = Clock::now();
  std::printf("verify %llu entries: %-4s                      %10.3f s  (%.0f entries/s)\n",
              static_cast<unsigned long long>(r.entries), r.ok ? "ok" : r.check.c_str(),
              Seconds(t4, t5), r.entries / Seconds(t4, t5));

  std::mt19937_64 rng(42);
  const uint64_t n = log->size();
  const int kProofs = 200'000;
  auto t6 = Clock::now();
  size_t hashes = 0;
  for (int i = 0; i < kProofs; ++i) hashes += log->InclusionProof(rng() % n, n)->size();
  auto t7 = Clock::now();
  std::printf("inclusion proofs (tree %llu, %.1f hashes each)  %10.0f proofs/s\n",
              static_cast<unsigned long long>(n), double(hashes) / kProofs,
              kProofs / Seconds(t6, t7));
  hashes = 0;
  t6 = Clock::now();
  for (int i = 0; i < kProofs; ++i) {
    const uint64_t second = 1 + rng() % n;
    hashes += log->ConsistencyProof(rng() % (second + 1), second)->size();
  }
  t7 = Clock::now();
  std::printf("consistency proofs (tree %llu, %.1f hashes each) %10.0f proofs/s\n",
              static_cast<unsigned long long>(n), double(hashes) / kProofs,
              kProofs / Seconds(t6, t7));
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--dir=", 0) == 0)
      g_dir = a.substr(6);
    else if (a.rfind("--entries=", 0) == 0)
      g_entries = std::stoull(a.substr(10));
    else if (a.rfind("--seconds=", 0) == 0)
      g_seconds = std::stod(a.substr(10));
    else {
      std::fprintf(stderr, "usage: audit_bench [--dir=D] [--entries=N] [--seconds=S]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(g_dir);
  BenchAppend("always-sync", FsyncPolicy::kAlways, 4, 1);
  BenchAppend("always-sync", FsyncPolicy::kAlways, 64, 1);
  BenchAppend("always-pipelined", FsyncPolicy::kAlways, 4, 1024);
  BenchAppend("interval-100ms-sync", FsyncPolicy::kInterval, 4, 1);
  BenchAppend("interval-100ms-pipelined", FsyncPolicy::kInterval, 4, 1024);
  BenchAppend("never-pipelined", FsyncPolicy::kNever, 4, 1024);
  BenchVerifyAndProofs();
  std::filesystem::remove_all(g_dir);
  return 0;
}
