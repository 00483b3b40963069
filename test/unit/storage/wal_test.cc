// WAL framing, group commit and recovery edges.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "storage/wal/batch_codec.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_record.h"
#include "storage/wal/wal_writer.h"
#include "unit/storage/engine_test_util.h"

namespace verbund::storage::wal {
namespace {

using storage::testing::FreshDir;

std::unique_ptr<WalWriter> OpenWriter(const std::string& dir, uint64_t first = 1,
                                      FsyncPolicy p = FsyncPolicy::kAlways,
                                      uint64_t segment_bytes = 64 << 20) {
  WalWriterOptions o;
  o.dir = dir;
  o.fsync = p;
  o.segment_bytes = segment_bytes;
  o.clock = SystemClock::Default();
  return WalWriter::Open(o, first).value();
}

std::string Framed(RecordType t, std::string_view payload) {
  std::string f;
  AppendRecord(&f, t, payload);
  return f;
}

std::vector<std::string> ReplayAll(const std::string& dir, Status* status = nullptr) {
  std::vector<std::string> out;
  auto r = ReplayWal(dir, [&](uint64_t, uint64_t, const Record& rec) {
    out.emplace_back(rec.payload);
    return Status::OK();
  });
  if (status != nullptr) *status = r.status();
  return out;
}

std::string SegmentPath(const std::string& dir, uint64_t seg) {
  return dir + "/" + SegmentFileName(seg);
}

void Corrupt(const std::string& path, off_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  ASSERT_EQ(::pread(fd, &c, 1, offset), 1);
  c ^= 0x40;
  ASSERT_EQ(::pwrite(fd, &c, 1, offset), 1);
  ::close(fd);
}

TEST(WalTest, RoundTripInOrderAcrossRotation) {
  std::string dir = FreshDir("wal_roundtrip");
  {
    auto w = OpenWriter(dir, 1, FsyncPolicy::kAlways, 200);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "rec" + std::to_string(i)))).ok());
    }
  }
  EXPECT_GT(ListSegments(dir).value().size(), 1u);
  auto recs = ReplayAll(dir);
  ASSERT_EQ(recs.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(recs[i], "rec" + std::to_string(i));
}

TEST(WalTest, GroupCommitSharesFsyncs) {
  std::string dir = FreshDir("wal_group");
  auto w = OpenWriter(dir);
  const uint64_t before = w->fsyncs();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, std::string(100, 'x')))).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(w->fsyncs() - before, 800u);  // never more than one per record
  w.reset();
  EXPECT_EQ(ReplayAll(dir).size(), 800u);
}

TEST(WalTest, FsyncLatencyIsObservedPerFsync) {
  std::string dir = FreshDir("wal_fsync_hist");
  metrics::Histogram hist = metrics::Histogram::LatencySeconds();
  WalWriterOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kAlways;
  o.clock = SystemClock::Default();
  o.fsync_seconds = &hist;
  auto w = WalWriter::Open(o, 1).value();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "payload"))).ok());
  }
  EXPECT_EQ(hist.Take().count, w->fsyncs());
  EXPECT_GE(w->fsyncs(), 1u);
}

TEST(WalTest, TornTailIsTruncated) {
  std::string dir = FreshDir("wal_torn");
  {
    auto w = OpenWriter(dir);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "abcdef"))).ok());
  }
  const std::string path = SegmentPath(dir, 1);
  const auto full = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, full - 3);  // a partial last record
  auto recs = ReplayAll(dir);
  EXPECT_EQ(recs.size(), 9u);
  EXPECT_EQ(std::filesystem::file_size(path), full - 15);  // cut at the record boundary
  EXPECT_EQ(ReplayAll(dir).size(), 9u);
}

TEST(WalTest, TornTailWithChecksumMismatchAtEndIsTruncated) {
  std::string dir = FreshDir("wal_torn_crc");
  {
    auto w = OpenWriter(dir);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "abcdef"))).ok());
  }
  const std::string path = SegmentPath(dir, 1);
  Corrupt(path, static_cast<off_t>(std::filesystem::file_size(path) - 2));
  Status s;
  EXPECT_EQ(ReplayAll(dir, &s).size(), 9u);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(WalTest, MidLogCorruptionNamesFileAndOffset) {
  std::string dir = FreshDir("wal_mid");
  {
    auto w = OpenWriter(dir);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "abcdef"))).ok());
  }
  // Header record is 9 + 17 = 26 bytes; each record 15. Damage the third record's payload.
  const off_t third = 26 + 2 * 15;
  Corrupt(SegmentPath(dir, 1), third + 11);
  Status s;
  ReplayAll(dir, &s);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(SegmentFileName(1)), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("offset " + std::to_string(third)), std::string::npos) << s.ToString();
  // Nothing was truncated.
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir, 1)), 26u + 10 * 15);
}

TEST(WalTest, DamageInOlderSegmentIsCorruptionEvenAtItsEnd) {
  std::string dir = FreshDir("wal_older");
  {
    auto w = OpenWriter(dir);
    ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "one"))).ok());
    ASSERT_TRUE(w->Rotate().ok());
    ASSERT_TRUE(w->Wait(w->Submit(Framed(RecordType::kBatch, "two"))).ok());
  }
  const std::string path = SegmentPath(dir, 1);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 1);
  Status s;
  ReplayAll(dir, &s);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
}

TEST(WalTest, BatchCodecRoundTripAndTruncation) {
  BatchEncoder enc(4);
  enc.Add(7, 1000, Value(1.5));
  enc.Add(3, 999, Value(int64_t{-42}));
  enc.Add(7, 2000, Value(true));
  enc.Add(9, -5, Value(std::string("str")));
  std::string b = enc.Finish();
  auto d = DecodeBatch(b).value();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[1].id, 3u);
  EXPECT_EQ(d[1].ts, 999);
  EXPECT_EQ(std::get<int64_t>(d[1].value), -42);
  EXPECT_EQ(std::get<std::string>(d[3].value), "str");
  EXPECT_EQ(d[3].ts, -5);
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(DecodeBatch(b.substr(0, n)).ok()) << n;
  }
}

// A segment written by version 1 of the format must keep replaying.
TEST(WalTest, GoldenSegmentV1StillReads) {
  const std::string golden = std::string(VERBUND_SOURCE_DIR) + "/test/golden/wal/v1";
  std::string dir = FreshDir("wal_golden");
  std::filesystem::copy_file(golden + "/0000000000000001.wal", dir + "/0000000000000001.wal");
  auto recs = ReplayAll(dir);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0], "golden record one");
  EXPECT_EQ(recs[1], "golden record two");
}

}  // namespace
}  // namespace verbund::storage::wal
