// Storage engine behaviour: recovery, out-of-order and duplicate samples, aggregates, retention,
// deletes, and that nothing readable leaves the process unencrypted.
#include "storage/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "unit/storage/engine_test_util.h"

namespace verbund::storage {
namespace {

using testing::FreshDir;
using testing::kAll0;
using testing::kAll1;
using testing::Key;
using testing::ReadFloats;
using testing::TestEngine;

SeriesId WriteFloats(Engine* e, const SeriesKey& key,
                     const std::vector<std::pair<TimestampNs, double>>& pts) {
  WriteBatch b;
  for (auto& [t, v] : pts) b.Add(key, t, Value(v));
  EXPECT_TRUE(e->Write(b).ok());
  return e->GetOrCreateSeries(key, ValueType::kFloat).value();
}

TEST(EngineTest, RecoveryAfterReopenFromWalOnly) {
  TestEngine t(FreshDir("recovery"));
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 1000; ++i) pts.emplace_back(i * 10, i * 0.5);
  SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), pts);
  // Drop the engine without Flush: a crash keeps WAL and whatever was sealed.
  t.options.flush_on_close = false;
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
  auto series = t->FindSeries("t1", "m");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].key, Key("m", "f"));
  EXPECT_EQ(t->Tenants(), std::vector<std::string>{"t1"});
}

TEST(EngineTest, RecoveryOfMixedTypesAndTenants) {
  TestEngine t(FreshDir("recovery_types"));
  ASSERT_TRUE(t.Open().ok());
  WriteBatch b;
  b.Add(Key("m", "i", "ta"), 1, Value(int64_t{7}));
  b.Add(Key("m", "b", "tb"), 2, Value(true));
  b.Add(Key("m", "s", "ta"), 3, Value(std::string("hello")));
  ASSERT_TRUE(t->Write(b).ok());
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  auto i = t->GetOrCreateSeries(Key("m", "i", "ta"), ValueType::kInt).value();
  auto s = t->GetOrCreateSeries(Key("m", "s", "ta"), ValueType::kString).value();
  auto bl = t->GetOrCreateSeries(Key("m", "b", "tb"), ValueType::kBool).value();
  EXPECT_EQ(std::get<int64_t>(t->Latest(i).value()->value), 7);
  EXPECT_EQ(std::get<std::string>(t->Latest(s).value()->value), "hello");
  EXPECT_EQ(std::get<bool>(t->Latest(bl).value()->value), true);
  EXPECT_EQ(t->Tenants(), (std::vector<std::string>{"ta", "tb"}));
}

TEST(EngineTest, TypeMismatchRejectsWholeBatch) {
  TestEngine t(FreshDir("type_mismatch"));
  ASSERT_TRUE(t.Open().ok());
  SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), {{1, 1.0}});
  WriteBatch b;
  b.Add(Key("m", "f"), 2, Value(2.0));
  b.Add(Key("m", "f"), 3, Value(int64_t{3}));
  EXPECT_EQ(t->Write(b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFloats(t.engine.get(), id).size(), 1u);
}

TEST(EngineTest, OutOfOrderInsideAndBehindOpenChunk) {
  TestEngine t(FreshDir("ooo"), /*chunk_points=*/16);
  ASSERT_TRUE(t.Open().ok());
  std::mt19937 rng(7);
  std::vector<TimestampNs> order;
  for (int i = 0; i < 500; ++i) order.push_back(i * 100);
  std::shuffle(order.begin(), order.end(), rng);
  SeriesKey k = Key("m", "f");
  for (size_t i = 0; i < order.size(); i += 7) {
    WriteBatch b;
    for (size_t j = i; j < std::min(order.size(), i + 7); ++j) b.Add(k, order[j], Value(order[j] * 2.0));
    ASSERT_TRUE(t->Write(b).ok());
  }
  SeriesId id = t->GetOrCreateSeries(k, ValueType::kFloat).value();
  auto check = [&] {
    auto got = ReadFloats(t.engine.get(), id);
    ASSERT_EQ(got.size(), 500u);
    for (int i = 0; i < 500; ++i) {
      EXPECT_EQ(got[i].first, i * 100);
      EXPECT_EQ(got[i].second, i * 200.0);
    }
  };
  check();
  ASSERT_TRUE(t->Flush().ok());
  check();
  ASSERT_TRUE(t->Compact().ok());
  check();
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  check();
}

TEST(EngineTest, DuplicateTimestampsLaterWriteWins) {
  TestEngine t(FreshDir("dups"), 8);
  ASSERT_TRUE(t.Open().ok());
  SeriesKey k = Key("m", "f");
  // Versions 1..4 of every timestamp; each version written after the previous one was sealed
  // (or not), so duplicates live in the head, in chunks and across both.
  for (int version = 1; version <= 4; ++version) {
    WriteBatch b;
    for (int i = 0; i < 40; ++i) b.Add(k, i, Value(version * 1000.0 + i));
    b.Add(k, 5, Value(version * 1000.0 + 5));  // duplicate inside one batch too
    ASSERT_TRUE(t->Write(b).ok());
    if (version == 2) { ASSERT_TRUE(t->Flush().ok()); }
  }
  SeriesId id = t->GetOrCreateSeries(k, ValueType::kFloat).value();
  auto check = [&](const char* when) {
    auto got = ReadFloats(t.engine.get(), id);
    ASSERT_EQ(got.size(), 40u) << when;
    for (int i = 0; i < 40; ++i) EXPECT_EQ(got[i].second, 4000.0 + i) << when << " ts " << i;
    auto agg = t->Aggregate(id, 0, 40, 0, 0).value();
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_EQ(agg[0].count, 40u) << when;
    EXPECT_EQ(std::get<double>(t->Latest(id).value()->value), 4039.0) << when;
  };
  check("head+chunks");
  ASSERT_TRUE(t->Flush().ok());
  check("flushed");
  ASSERT_TRUE(t->Compact().ok());
  check("compacted");
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  check("reopened");
}

// Compaction merges a day's full chunks into one chunk per UTC day (within the size cap of
// 16 x chunk_max_points), never across midnight, and a second compaction changes nothing.
TEST(EngineTest, CompactionMakesOneChunkPerUtcDay) {
  TestEngine t(FreshDir("compact_days"), 64);
  ASSERT_TRUE(t.Open().ok());
  constexpr int64_t kDay = 86'400'000'000'000;
  constexpr int64_t kStep = 150'000'000'000;         // 576 points a day: 9 sealed chunks of 64
  const TimestampNs t0 = 1'451'606'400'000'000'000;  // 2016-01-01T00:00Z
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int64_t ts = t0; ts < t0 + 2 * kDay; ts += kStep) pts.emplace_back(ts, pts.size() * 0.5);
  // 1969-12-31 and 1970-01-01: pins floor division for times before the epoch.
  std::vector<std::pair<TimestampNs, double>> old;
  for (int64_t ts = -128 * kStep; ts < 128 * kStep; ts += kStep) old.emplace_back(ts, 1.0);
  SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), pts);
  SeriesId id_old = WriteFloats(t.engine.get(), Key("m", "g"), old);
  ASSERT_TRUE(t->Flush().ok());
  const uint64_t sealed = t->Stats().sealed_chunks;
  ASSERT_TRUE(t->Compact().ok());
  // Series f: 18 chunks over two days -> 2 chunks; series g: 4 chunks, two starting on each
  // side of the epoch -> 2 chunks.
  EXPECT_EQ(t->Stats().sealed_chunks - sealed, 4u);
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_EQ(t->Stats().sealed_chunks - sealed, 4u);
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
  EXPECT_EQ(ReadFloats(t.engine.get(), id_old), old);
  auto agg = t->Aggregate(id, t0, t0 + 2 * kDay, kDay, 0).value();
  ASSERT_EQ(agg.size(), 2u);
  EXPECT_EQ(agg[0].count, 576u);
  EXPECT_EQ(agg[1].count, 576u);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
}

TEST(EngineTest, ReadOrderAndLimit) {
  TestEngine t(FreshDir("order"), 16);
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 100; ++i) pts.emplace_back(i, i);
  SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), pts);
  auto desc = ReadFloats(t.engine.get(), id, 10, 50, ScanOrder::kDescending, 5);
  ASSERT_EQ(desc.size(), 5u);
  EXPECT_EQ(desc[0].first, 49);
  EXPECT_EQ(desc[4].first, 45);
  auto asc = ReadFloats(t.engine.get(), id, 10, 50, ScanOrder::kAscending, 3);
  ASSERT_EQ(asc.size(), 3u);
  EXPECT_EQ(asc[0].first, 10);
  EXPECT_EQ(t->Read(9999, 0, 1, ScanOrder::kAscending, 0).status().code(), StatusCode::kNotFound);
}

// Aggregates against a brute-force reference over random data with out-of-order writes,
// duplicates and NaNs, for several bucket sizes and offsets.
TEST(EngineTest, AggregatesMatchBruteForce) {
  TestEngine t(FreshDir("agg"), 32);
  ASSERT_TRUE(t.Open().ok());
  std::mt19937_64 rng(42);
  std::map<TimestampNs, double> truth;
  SeriesKey k = Key("m", "f");
  for (int round = 0; round < 30; ++round) {
    WriteBatch b;
    for (int i = 0; i < 50; ++i) {
      TimestampNs ts = static_cast<TimestampNs>(rng() % 5000) - 1000;
      double v = static_cast<double>(rng() % 10000) / 7.0 - 300;
      if (rng() % 97 == 0) v = std::nan("");
      b.Add(k, ts, Value(v));
      truth[ts] = v;
    }
    ASSERT_TRUE(t->Write(b).ok());
    if (round % 10 == 9) { ASSERT_TRUE(t->Flush().ok()); }
  }
  SeriesId id = t->GetOrCreateSeries(k, ValueType::kFloat).value();
  auto verify = [&](const char* when) {
    for (int64_t interval : {0, 1, 7, 100, 1000, 10000}) {
      for (int64_t offset : {0, 3}) {
        const TimestampNs from = -500, to = 3500;
        std::map<TimestampNs, std::vector<std::pair<TimestampNs, double>>> ref;
        for (auto& [ts, v] : truth) {
          if (ts < from || ts >= to || std::isnan(v)) continue;
          TimestampNs bucket = from;
          if (interval > 0) {
            int64_t rel = ts - offset;
            int64_t q = rel / interval - ((rel % interval) < 0 ? 1 : 0);
            bucket = q * interval + offset;
          }
          ref[bucket].emplace_back(ts, v);
        }
        auto got = t->Aggregate(id, from, to, interval, offset);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_EQ(got->size(), ref.size()) << when << " interval " << interval;
        size_t i = 0;
        for (auto& [bucket, pts] : ref) {
          const AggState& a = (*got)[i++];
          double sum = 0, mn = INFINITY, mx = -INFINITY;
          for (auto& [ts, v] : pts) {
            sum += v;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
          }
          const double mean = sum / pts.size();
          double m2 = 0;
          for (auto& [ts, v] : pts) m2 += (v - mean) * (v - mean);
          ASSERT_EQ(a.bucket_start, bucket);
          ASSERT_EQ(a.count, pts.size()) << when << " bucket " << bucket;
          EXPECT_NEAR(a.sum, sum, 1e-6 * std::max(1.0, std::abs(sum)));
          EXPECT_EQ(a.min, mn);
          EXPECT_EQ(a.max, mx);
          EXPECT_NEAR(a.mean, mean, 1e-9 * std::max(1.0, std::abs(mean)));
          EXPECT_NEAR(a.m2, m2, 1e-6 * std::max(1.0, m2));
          EXPECT_EQ(a.first_ts, pts.front().first);
          EXPECT_EQ(a.first, pts.front().second);
          EXPECT_EQ(a.last_ts, pts.back().first);
          EXPECT_EQ(a.last, pts.back().second);
        }
      }
    }
  };
  verify("mixed");
  ASSERT_TRUE(t->Flush().ok());
  verify("flushed");
  ASSERT_TRUE(t->Compact().ok());
  verify("compacted");
}

TEST(EngineTest, AggregateIntAndBoolSeries) {
  TestEngine t(FreshDir("agg_types"), 16);
  ASSERT_TRUE(t.Open().ok());
  WriteBatch b;
  for (int i = 0; i < 100; ++i) {
    b.Add(Key("m", "i"), i, Value(int64_t{i}));
    b.Add(Key("m", "b"), i, Value(i % 4 == 0));
  }
  b.Add(Key("m", "s"), 1, Value(std::string("x")));
  ASSERT_TRUE(t->Write(b).ok());
  ASSERT_TRUE(t->Flush().ok());
  auto i = t->GetOrCreateSeries(Key("m", "i"), ValueType::kInt).value();
  auto bl = t->GetOrCreateSeries(Key("m", "b"), ValueType::kBool).value();
  auto s = t->GetOrCreateSeries(Key("m", "s"), ValueType::kString).value();
  auto ai = t->Aggregate(i, 0, 100, 0, 0).value();
  ASSERT_EQ(ai.size(), 1u);
  EXPECT_EQ(ai[0].sum, 4950);
  auto ab = t->Aggregate(bl, 0, 100, 50, 0).value();
  ASSERT_EQ(ab.size(), 2u);
  EXPECT_EQ(ab[0].sum, 13);
  EXPECT_EQ(ab[0].count, 50u);
  EXPECT_EQ(t->Aggregate(s, 0, 100, 0, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(EngineTest, DeleteRangeInHeadAndChunksSurvivesReopen) {
  TestEngine t(FreshDir("delete"), 16);
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 200; ++i) pts.emplace_back(i, i);
  SeriesId a = WriteFloats(t.engine.get(), Key("m", "a"), pts);
  SeriesId b = WriteFloats(t.engine.get(), Key("m", "b"), pts);
  ASSERT_TRUE(t->Flush().ok());
  std::vector<std::pair<TimestampNs, double>> more;
  for (int i = 200; i < 210; ++i) more.emplace_back(i, i);
  WriteFloats(t.engine.get(), Key("m", "a"), more);  // in the head
  const SeriesId ids[] = {a};
  ASSERT_TRUE(t->DeleteRange("t1", ids, 50, 205).ok());
  auto check = [&] {
    auto got = ReadFloats(t.engine.get(), a);
    ASSERT_EQ(got.size(), 55u);
    EXPECT_EQ(got[49].first, 49);
    EXPECT_EQ(got[50].first, 205);
    EXPECT_EQ(ReadFloats(t.engine.get(), b).size(), 200u);  // other series untouched
  };
  check();
  t.options.flush_on_close = false;
  t.Close();  // the delete is replayed from the WAL over chunks already cut
  ASSERT_TRUE(t.Open().ok());
  check();
  t.options.flush_on_close = true;
  // Whole tenant.
  ASSERT_TRUE(t->DeleteRange("t1", {}, kAll0, kAll1).ok());
  EXPECT_TRUE(ReadFloats(t.engine.get(), a).empty());
  EXPECT_TRUE(ReadFloats(t.engine.get(), b).empty());
  EXPECT_FALSE(t->Latest(b).value().has_value());
  const SeriesId wrong[] = {a};
  EXPECT_EQ(t->DeleteRange("other-tenant", wrong, 0, 1).code(), StatusCode::kNotFound);
}

TEST(EngineTest, DeleteIsReplayedInOrderWithLaterWrites) {
  TestEngine t(FreshDir("delete_order"), 1024);
  ASSERT_TRUE(t.Open().ok());
  SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), {{1, 1}, {2, 2}});
  ASSERT_TRUE(t->DeleteRange("t1", {}, 0, 10).ok());
  WriteFloats(t.engine.get(), Key("m", "f"), {{2, 20}});
  t.options.flush_on_close = false;
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  auto got = ReadFloats(t.engine.get(), id);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (std::pair<TimestampNs, double>(2, 20)));
}

TEST(EngineTest, RetentionDropsOldSamplesAndIsDurable) {
  FakeClock clock(1'000'000);
  TestEngine t(FreshDir("retention"), 16);
  t.options.clock = &clock;
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 1000; ++i) pts.emplace_back(i * 1000, i);
  SeriesId cpu = WriteFloats(t.engine.get(), Key("cpu_load", "f"), pts);
  SeriesId mem = WriteFloats(t.engine.get(), Key("mem", "f"), pts);
  ASSERT_TRUE(t->Flush().ok());
  ASSERT_TRUE(t->SetRetention("t1", "cpu", 500'000).ok());
  t.Close();
  ASSERT_TRUE(t.Open().ok());  // the rule is durable
  ASSERT_TRUE(t->Compact().ok());
  auto got = ReadFloats(t.engine.get(), cpu);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().first, 500'000);
  EXPECT_EQ(ReadFloats(t.engine.get(), mem).size(), 1000u);
  // Removing the rule stops enforcement.
  ASSERT_TRUE(t->SetRetention("t1", "cpu", 0).ok());
  clock.Advance(200'000);
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), cpu).front().first, 500'000);
}

TEST(EngineTest, LockedTenantWritesAreRefused) {
  TestEngine t(FreshDir("locked"));
  ASSERT_TRUE(t.Open().ok());
  WriteFloats(t.engine.get(), Key("m", "f", "acme"), {{1, 1}});
  t.keys->Lock("acme");
  WriteBatch b;
  b.Add(Key("m", "f", "acme"), 2, Value(2.0));
  EXPECT_EQ(t->Write(b).code(), StatusCode::kFailedPrecondition);
  t.keys->Unlock("acme");
  EXPECT_TRUE(t->Write(b).ok());
}

// Waits (polling, generously) until the engine has written `n` chunks since it opened.
bool WaitForChunkWrites(Engine* e, uint64_t n) {
  for (int i = 0; i < 1200 && e->Stats().sealed_chunks < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return e->Stats().sealed_chunks == n;
}

// Waits until the chunk store holds `n` chunks (compaction passes may come in any order; the end
// state they reach is what is checked).
bool WaitForChunks(Engine* e, uint64_t n) {
  for (int i = 0; i < 1200 && e->Stats().chunks != n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return e->Stats().chunks == n;
}

// A UTC day left with several chunks is compacted in the background into one chunk once a later
// day starts, whether that is found at open or while sealing; reads are the same throughout.
TEST(EngineTest, BackgroundCompactsCompletedDays) {
  constexpr int64_t kDay = 86'400'000'000'000, kStep = 600'000'000'000;  // 144 points a day
  TestEngine t(FreshDir("day-compaction"), 16);  // no background loop while writing days 0-2
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int64_t ts = 0; ts < 2 * kDay + 20 * kStep; ts += kStep) {
    pts.emplace_back(ts, static_cast<double>(ts / kStep % 7));
  }
  const SeriesId id = WriteFloats(t.engine.get(), Key("m", "f"), pts);
  t.Close();  // flushes: days 0 and 1 hold 9 chunks each, day 2 two (16 + 4 points)
  t.options.background_threads = true;
  ASSERT_TRUE(t.Open().ok());
  // Found at open: days 0 and 1 become one chunk each; day 2 keeps its two.
  EXPECT_TRUE(WaitForChunks(t.engine.get(), 4)) << t->Stats().chunks;
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
  // Found while sealing: 288 more points seal as 18 chunks; the first starting in day 3 closes
  // day 2 (10 chunks), the one starting in day 4 closes day 3 (9): one chunk each, and day 4
  // has one (16 points; 4 stay in the head). Passes over the open day on the way (at 4 and 8
  // chunks) may add chunk writes, not chunks.
  std::vector<std::pair<TimestampNs, double>> more;
  for (int64_t ts = 2 * kDay + 20 * kStep; ts < 4 * kDay + 20 * kStep; ts += kStep) {
    more.emplace_back(ts, static_cast<double>(ts / kStep % 5));
  }
  WriteFloats(t.engine.get(), Key("m", "f"), more);
  EXPECT_TRUE(WaitForChunks(t.engine.get(), 5)) << t->Stats().chunks;
  EXPECT_GE(t->Stats().sealed_chunks, 2u + 18 + 2);
  pts.insert(pts.end(), more.begin(), more.end());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
}

// The open day of an active series is compacted as it grows (at 4, 8, 16, ... chunks), so its
// samples do not wait for the day's end in sealing-size chunks.
TEST(EngineTest, BackgroundCompactsTheOpenDayAsItGrows) {
  constexpr int64_t kStep = 10'000'000'000;  // 10 s: 8640 points a day
  TestEngine t(FreshDir("open-day-compaction"), 16, true);
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  SeriesId id = 0;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::pair<TimestampNs, double>> batch;
    for (int i = 0; i < 4 * 16 + 3; ++i) {
      const TimestampNs ts = static_cast<TimestampNs>(pts.size() + batch.size()) * kStep;
      batch.emplace_back(ts, static_cast<double>(ts / kStep % 11));
    }
    id = WriteFloats(t.engine.get(), Key("m", "f"), batch);
    pts.insert(pts.end(), batch.begin(), batch.end());
    // Round 0: 4 chunks sealed, then merged into one (5 chunk writes); round 1: 4 more (8 in
    // the day), merged again (10 writes).
    const uint64_t writes = round == 0 ? 5 : 10;
    for (int i = 0; i < 1200 && t->Stats().sealed_chunks < writes; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_GE(t->Stats().sealed_chunks, writes) << "round " << round;
    EXPECT_TRUE(WaitForChunks(t.engine.get(), 1)) << "round " << round << ": " << t->Stats().chunks;
    EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
  }
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), pts);
}

// Buffers are sealed in batches: one whose tenant key is locked is rolled back out of the batch
// and stays readable in the head until it can be sealed; the others in the batch are sealed.
TEST(EngineTest, SealingBatchSkipsALockedTenantAndRetriesIt) {
  TestEngine t(FreshDir("seal-locked"), 1024);
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 10; ++i) pts.emplace_back(i, i * 0.5);
  const SeriesId a = WriteFloats(t.engine.get(), Key("m", "f", "acme"), pts);
  const SeriesId b = WriteFloats(t.engine.get(), Key("m", "f", "other"), pts);
  const SeriesId c = WriteFloats(t.engine.get(), Key("m", "g", "other"), pts);
  t.keys->Lock("acme");
  EXPECT_EQ(t->Flush().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(t->Stats().sealed_chunks, 2u);  // other's two series
  EXPECT_EQ(ReadFloats(t.engine.get(), b), pts);
  t.keys->Unlock("acme");
  EXPECT_EQ(ReadFloats(t.engine.get(), a), pts);  // still in the head
  ASSERT_TRUE(t->Flush().ok());
  EXPECT_EQ(t->Stats().sealed_chunks, 3u);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), a), pts);
  EXPECT_EQ(ReadFloats(t.engine.get(), b), pts);
  EXPECT_EQ(ReadFloats(t.engine.get(), c), pts);
}

TEST(EngineTest, FlushDropsWalSegmentsAndStatsCountDisk) {
  TestEngine t(FreshDir("flush"), 64);
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::pair<TimestampNs, double>> pts;
  for (int i = 0; i < 5000; ++i) pts.emplace_back(i, i % 13);
  WriteFloats(t.engine.get(), Key("m", "f"), pts);
  ASSERT_TRUE(t->Flush().ok());
  size_t segs = 0;
  for (auto& e : std::filesystem::directory_iterator(t.options.dir + "/wal")) {
    (void)e;
    ++segs;
  }
  EXPECT_EQ(segs, 1u);
  EngineStats st = t->Stats();
  EXPECT_EQ(st.points_written, 5000u);
  EXPECT_GT(st.disk_bytes, 0u);
  EXPECT_GT(st.sealed_chunks, 0u);
  EXPECT_EQ(st.series, 1u);
}

// Distinctive names and string values must not appear anywhere under the data directory: not
// in the WAL, the chunk store, the catalog, RocksDB's logs or the key file.
TEST(EngineTest, PlaintextScanFindsNoNamesOrValues) {
  TestEngine t(FreshDir("plaintext"), 32);
  ASSERT_TRUE(t.Open().ok());
  const std::vector<std::string> secrets = {
      "tenantzebra7741", "measurementquokka9911", "tagkeynarwhal4410", "tagvalaxolotl5521",
      "fieldpangolin3319", "stringvalueokapi8812", "retentionprefixibis"};
  SeriesKey k{secrets[0], secrets[1], {{secrets[2], secrets[3]}}, secrets[4]};
  SeriesKey ks{secrets[0], secrets[1], {{secrets[2], secrets[3]}}, secrets[4] + "_s"};
  for (int round = 0; round < 3; ++round) {
    WriteBatch b;
    for (int i = 0; i < 100; ++i) {
      b.Add(k, round * 1000 + i, Value(i * 1.25));
      b.Add(ks, round * 1000 + i, Value(secrets[5] + std::to_string(i % 3)));
    }
    ASSERT_TRUE(t->Write(b).ok());
    if (round == 1) { ASSERT_TRUE(t->Flush().ok()); }
  }
  ASSERT_TRUE(t->SetRetention(secrets[0], secrets[6], 1'000'000'000).ok());
  auto scan = [&](const char* when) {
    size_t files = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(t.dir)) {
      if (!e.is_regular_file()) continue;
      ++files;
      std::ifstream in(e.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (const auto& s : secrets) {
        EXPECT_EQ(bytes.find(s), std::string::npos) << when << ": " << s << " in " << e.path();
      }
    }
    EXPECT_GT(files, 3u);
  };
  scan("open, WAL holding data");
  t.Close();
  scan("closed");
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries(secrets[0], secrets[1]).size(), 2u);
  // Compaction rewrites chunks and merges catalog groups (zstd before sealing).
  ASSERT_TRUE(t->Compact().ok());
  t.Close();
  scan("compacted");
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries(secrets[0], secrets[1]).size(), 2u);
}

TEST(EngineTest, GetOrCreateSeriesIsStableAndTyped) {
  TestEngine t(FreshDir("getorcreate"));
  ASSERT_TRUE(t.Open().ok());
  SeriesKey k{"t1", "m", {{"b", "2"}, {"a", "1"}}, "f"};  // unsorted tags are normalized
  auto id = t->GetOrCreateSeries(k, ValueType::kFloat).value();
  k.Normalize();
  EXPECT_EQ(t->GetOrCreateSeries(k, ValueType::kFloat).value(), id);
  EXPECT_EQ(t->GetOrCreateSeries(k, ValueType::kInt).status().code(), StatusCode::kInvalidArgument);
  WriteBatch b;
  b.Add(id, 5, Value(1.0));
  ASSERT_TRUE(t->Write(b).ok());
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->GetOrCreateSeries(k, ValueType::kFloat).value(), id);
  EXPECT_EQ(ReadFloats(t.engine.get(), id).size(), 1u);
  WriteBatch bad;
  bad.Add(SeriesId{424242}, 1, Value(1.0));
  EXPECT_EQ(t->Write(bad).code(), StatusCode::kInvalidArgument);
}

TEST(EngineTest, GetOrCreateSeriesManyMatchesOneByOne) {
  TestEngine t(FreshDir("getorcreatemany"));
  ASSERT_TRUE(t.Open().ok());
  const SeriesId old = t->GetOrCreateSeries(Key("m", "old"), ValueType::kFloat).value();
  std::vector<SeriesKey> keys;
  std::vector<ValueType> types;
  for (int i = 0; i < 300; ++i) {
    keys.push_back(Key("m", "f" + std::to_string(i)));
    types.push_back(i % 2 ? ValueType::kInt : ValueType::kFloat);
  }
  keys.push_back(Key("m", "f7"));  // again, same type: the same new series
  types.push_back(ValueType::kInt);
  keys.push_back(Key("m", "f8"));  // again with another type than its first mention
  types.push_back(ValueType::kInt);
  keys.push_back(Key("m", "old"));  // an existing series, and a conflict with it
  types.push_back(ValueType::kFloat);
  keys.push_back(Key("m", "old"));
  types.push_back(ValueType::kString);
  std::vector<const SeriesKey*> ptrs;
  for (const auto& k : keys) ptrs.push_back(&k);
  std::vector<Result<SeriesId>> ids = t->GetOrCreateSeriesMany(ptrs, types);
  ASSERT_EQ(ids.size(), keys.size());
  std::set<SeriesId> distinct;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(ids[i].ok()) << i;
    distinct.insert(*ids[i]);
  }
  EXPECT_EQ(distinct.size(), 300u);
  EXPECT_EQ(*ids[300], *ids[7]);
  EXPECT_EQ(ids[301].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ids[302], old);
  EXPECT_EQ(ids[303].status().code(), StatusCode::kInvalidArgument);
  t.Close();
  ASSERT_TRUE(t.Open().ok());  // durable, with the types of their first mention
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(t->GetOrCreateSeries(keys[i], types[i]).value(), *ids[i]) << i;
  }
}

TEST(EngineTest, WriteBatchAppendKeepsOrderAndKeys) {
  TestEngine t(FreshDir("batchappend"));
  ASSERT_TRUE(t.Open().ok());
  const SeriesId a = t->GetOrCreateSeries(Key("m", "a"), ValueType::kFloat).value();
  WriteBatch first, second;
  first.Add(Key("m", "k1"), 1, Value(1.0));
  first.Add(a, 2, Value(2.0));
  second.Add(Key("m", "k2"), 3, Value(3.0));
  second.Add(a, 4, Value(4.0));
  second.Add(Key("m", "k1"), 5, Value(5.0));
  first.Append(std::move(second));
  EXPECT_TRUE(second.empty());
  ASSERT_EQ(first.size(), 5u);
  const auto& e = first.entries();
  EXPECT_EQ(first.KeyOf(e[0]), Key("m", "k1"));
  EXPECT_EQ(e[1].id, a);
  EXPECT_EQ(first.KeyOf(e[2]), Key("m", "k2"));
  EXPECT_EQ(e[3].id, a);
  EXPECT_EQ(first.KeyOf(e[4]), Key("m", "k1"));
  for (size_t i = 0; i < e.size(); ++i) EXPECT_EQ(e[i].ts, static_cast<TimestampNs>(i + 1));
  ASSERT_TRUE(t->Write(first).ok());
  const SeriesId k1 = t->GetOrCreateSeries(Key("m", "k1"), ValueType::kFloat).value();
  EXPECT_EQ(ReadFloats(t.engine.get(), k1),
            (std::vector<std::pair<TimestampNs, double>>{{1, 1.0}, {5, 5.0}}));
  EXPECT_EQ(ReadFloats(t.engine.get(), a),
            (std::vector<std::pair<TimestampNs, double>>{{2, 2.0}, {4, 4.0}}));
}

TEST(EngineTest, ConcurrentWritersWithBackgroundSealing) {
  TestEngine t(FreshDir("concurrent"), 128, /*background=*/true);
  t.options.fsync = FsyncPolicy::kAlways;
  t.options.head_memory_bytes = 64 << 10;
  ASSERT_TRUE(t.Open().ok());
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 50; ++round) {
        WriteBatch b;
        for (int i = 0; i < 100; ++i) b.Add(Key("m", "f" + std::to_string(w)), round * 100 + i, Value(1.0 * i));
        ASSERT_TRUE(t->Write(b).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LT(t->Stats().wal_fsyncs, 200u + 10);
  for (int w = 0; w < 4; ++w) {
    auto id = t->GetOrCreateSeries(Key("m", "f" + std::to_string(w)), ValueType::kFloat).value();
    EXPECT_EQ(ReadFloats(t.engine.get(), id).size(), 5000u);
  }
}

}  // namespace
}  // namespace verbund::storage
