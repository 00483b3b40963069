#include "audit/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "audit/record.h"
#include "unit/audit/audit_test_util.h"

namespace verbund::audit {
namespace {

using testing::FreshDir;
using testing::ReadFile;
using testing::SampleEntry;
using testing::WriteFile;

AuditLogOptions Options(const std::string& dir) {
  AuditLogOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kAlways;
  return o;
}

std::vector<std::string> SegmentPaths(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    uint64_t n;
    if (ParseSegmentFileName(e.path().filename().string(), &n)) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AuditLogTest, AppendReadAndReopen) {
  const std::string dir = FreshDir("reopen");
  Hash root;
  {
    auto log = AuditLog::Open(Options(dir));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (uint64_t i = 0; i < 100; ++i) {
      auto idx = (*log)->Append(SampleEntry(i));
      ASSERT_TRUE(idx.ok());
      EXPECT_EQ(*idx, i);
    }
    EXPECT_EQ((*log)->size(), 100u);
    EXPECT_EQ((*log)->SyncedHead().size, 100u);
    root = *(*log)->Root(100);
    auto entries = (*log)->Read(10, 5);
    ASSERT_TRUE(entries.ok());
    for (int i = 0; i < 5; ++i) EXPECT_EQ((*entries)[i], SampleEntry(10 + i));
    EXPECT_FALSE((*log)->Read(99, 2).ok());
  }
  auto log = AuditLog::Open(Options(dir));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ((*log)->recovery().entries, 100u);
  EXPECT_EQ((*log)->SyncedHead().root, root);
  auto idx = (*log)->Append(SampleEntry(100));
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ(*idx, 100u);
  auto all = (*log)->Read(0, 101);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (uint64_t i = 0; i <= 100; ++i) EXPECT_EQ((*all)[i], SampleEntry(i));
}

TEST(AuditLogTest, ManyThreadsShareFsyncs) {
  const std::string dir = FreshDir("threads");
  auto log = AuditLog::Open(Options(dir));
  ASSERT_TRUE(log.ok());
  constexpr int kThreads = 8, kPer = 200;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        Entry e = SampleEntry(t * kPer + i);
        auto idx = (*log)->Append(e);
        ASSERT_TRUE(idx.ok());
        got[t].push_back(*idx);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPer));
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kPer - 1));
  EXPECT_LT((*log)->fsyncs(), static_cast<uint64_t>(kThreads * kPer));  // group commit
  // Every index reads back the entry its appender submitted.
  auto entries = (*log)->Read(0, kThreads * kPer);
  ASSERT_TRUE(entries.ok());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPer; ++i) EXPECT_EQ((*entries)[got[t][i]], SampleEntry(t * kPer + i));
  }
}

TEST(AuditLogTest, ReadsAcrossEmptySegmentsLeftByReopening) {
  const std::string dir = FreshDir("empty_segments");
  for (int round = 0; round < 4; ++round) {
    auto log = AuditLog::Open(Options(dir));
    ASSERT_TRUE(log.ok());
    if (round % 2 == 0) {
      for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(round * 5 + i)).ok());
    }
  }
  auto log = AuditLog::Open(Options(dir));
  ASSERT_TRUE(log.ok());
  ASSERT_EQ((*log)->size(), 10u);
  for (uint64_t first = 0; first <= 10; ++first) {
    for (uint64_t n = 0; first + n <= 10; ++n) {
      auto got = (*log)->ReadEncoded(first, n);
      ASSERT_TRUE(got.ok()) << first << "+" << n << ": " << got.status().ToString();
      ASSERT_EQ(got->size(), n);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t idx = first + i;
        const uint64_t seq = idx < 5 ? idx : idx + 5;  // round 2 wrote seqs 10..14
        EXPECT_EQ((*got)[i], EncodeEntry(SampleEntry(seq)));
      }
    }
  }
}

TEST(AuditLogTest, CallbacksRunOnceDurableInLogOrder) {
  auto log = AuditLog::Open(Options(FreshDir("callbacks")));
  ASSERT_TRUE(log.ok());
  std::mutex mu;
  std::vector<uint64_t> order;
  std::vector<uint64_t> indices;
  for (uint64_t i = 0; i < 100; ++i) {
    auto idx = (*log)->Submit(SampleEntry(i), [&, i](const Status& s) {
      EXPECT_TRUE(s.ok());
      std::lock_guard lock(mu);
      order.push_back(i);
    });
    ASSERT_TRUE(idx.ok());
    indices.push_back(*idx);
  }
  ASSERT_TRUE((*log)->Wait(indices.back()).ok());
  log->reset();  // joins the writer thread, which runs the callbacks after waking waiters
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), 100u);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(AuditLogTest, ProofsMatchTheTree) {
  const std::string dir = FreshDir("proofs");
  auto log = AuditLog::Open(Options(dir));
  ASSERT_TRUE(log.ok());
  for (uint64_t i = 0; i < 300; ++i) ASSERT_TRUE((*log)->Submit(SampleEntry(i)).ok());
  ASSERT_TRUE((*log)->Sync().ok());
  Hasher h;
  for (uint64_t n : {1u, 7u, 64u, 255u, 300u}) {
    const Hash root = *(*log)->Root(n);
    for (uint64_t i = 0; i < n; i += 13) {
      auto proof = (*log)->InclusionProof(i, n);
      ASSERT_TRUE(proof.ok());
      const Hash leaf = h.Leaf(EncodeEntry(SampleEntry(i)));
      EXPECT_EQ(*(*log)->LeafHash(i), leaf);
      EXPECT_TRUE(VerifyInclusion(i, n, leaf, *proof, root).ok());
    }
    for (uint64_t m = 0; m <= n; m += 17) {
      auto proof = (*log)->ConsistencyProof(m, n);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyConsistency(m, n, *(*log)->Root(m), root, *proof).ok());
    }
  }
  EXPECT_FALSE((*log)->InclusionProof(300, 300).ok());
  EXPECT_FALSE((*log)->ConsistencyProof(1, 301).ok());
}

TEST(AuditLogTest, SegmentsRotateAndReopenInOrder) {
  const std::string dir = FreshDir("rotate");
  AuditLogOptions o = Options(dir);
  o.segment_bytes = 4096;
  Hash root;
  {
    auto log = AuditLog::Open(o);
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 0; i < 500; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
    root = (*log)->SyncedHead().root;
  }
  EXPECT_GT(SegmentPaths(dir).size(), 5u);
  auto log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ((*log)->SyncedHead().root, root);
  auto all = (*log)->Read(0, 500);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)[499], SampleEntry(499));
}

TEST(AuditLogTest, MissingSegmentIsCorruption) {
  const std::string dir = FreshDir("missing");
  AuditLogOptions o = Options(dir);
  o.segment_bytes = 2048;
  {
    auto log = AuditLog::Open(o);
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 0; i < 200; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
  }
  auto paths = SegmentPaths(dir);
  ASSERT_GT(paths.size(), 3u);
  std::filesystem::remove(paths[1]);
  auto log = AuditLog::Open(o);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find("missing"), std::string::npos);
}

TEST(AuditLogTest, TornTailIsCutAndNewEntriesFollow) {
  const std::string dir = FreshDir("torn");
  {
    auto log = AuditLog::Open(Options(dir));
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
  }
  const std::string path = SegmentPaths(dir).back();
  std::string bytes = ReadFile(path);
  // A half-written eleventh record.
  std::string rec;
  AppendRecord(&rec, RecordType::kEntry, EncodeEntry(SampleEntry(10)));
  WriteFile(path, bytes + rec.substr(0, rec.size() / 2));
  auto log = AuditLog::Open(Options(dir));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ((*log)->size(), 10u);
  EXPECT_EQ((*log)->recovery().truncated_bytes, rec.size() / 2);
  EXPECT_EQ(ReadFile(path), bytes);
  ASSERT_TRUE((*log)->Append(SampleEntry(10)).ok());
  log->reset();
  auto again = AuditLog::Open(Options(dir));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->size(), 11u);
}

TEST(AuditLogTest, CorruptRecordInTheMiddleIsCorruption) {
  const std::string dir = FreshDir("middle");
  {
    auto log = AuditLog::Open(Options(dir));
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
  }
  const std::string path = SegmentPaths(dir).back();
  std::string bytes = ReadFile(path);
  bytes[bytes.size() / 2] ^= 0x20;
  WriteFile(path, bytes);
  auto log = AuditLog::Open(Options(dir));
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find("offset"), std::string::npos) << log.status().ToString();
}

TEST(AuditLogTest, ReadOnlyOpenChangesNothing) {
  const std::string dir = FreshDir("readonly");
  {
    auto log = AuditLog::Open(Options(dir));
    ASSERT_TRUE(log.ok());
    for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
  }
  const auto before = SegmentPaths(dir);
  AuditLogOptions o = Options(dir);
  o.read_only = true;
  auto log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->size(), 5u);
  EXPECT_FALSE((*log)->Submit(SampleEntry(5)).ok());
  EXPECT_EQ(SegmentPaths(dir), before);
}

TEST(AuditLogTest, InvalidEntryIsRefused) {
  auto log = AuditLog::Open(Options(FreshDir("invalid")));
  ASSERT_TRUE(log.ok());
  Entry e;
  e.kind = static_cast<EventKind>(0);
  EXPECT_EQ((*log)->Append(e).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*log)->size(), 0u);
}

TEST(AuditLogTest, IntervalPolicyAcknowledgesAndSyncsLater) {
  const std::string dir = FreshDir("interval");
  AuditLogOptions o = Options(dir);
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval_ms = 20;
  auto log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok());
  for (uint64_t i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(SampleEntry(i)).ok());
  for (int i = 0; i < 100 && (*log)->SyncedHead().size < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*log)->SyncedHead().size, 50u);
}

}  // namespace
}  // namespace verbund::audit
