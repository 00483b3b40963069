// The engine's read-side caches and indexes: the decoded-chunk cache (keys change whenever a
// chunk is resealed, so deletes and compactions never serve stale chunks), the per-series
// newest sample behind Latest() (kept current by writes, dropped by deletes and retention), and
// the measurement index with its CatalogVersion().
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>

#include "core/clock.h"
#include "storage/engine.h"
#include "storage/engine_chunk_cache.h"
#include "storage/head.h"
#include "unit/storage/engine_test_util.h"

namespace verbund::storage {
namespace {

using testing::FreshDir;
using testing::kAll0;
using testing::kAll1;
using testing::Key;
using testing::ReadFloats;
using testing::TestEngine;

std::shared_ptr<const CachedChunk> Chunk(size_t points) {
  auto c = std::make_shared<CachedChunk>();
  c->has_run = true;
  c->run.ts.resize(points);
  c->run.values = std::vector<double>(points);
  return c;
}

ChunkCacheKey CacheKey(SeriesId id, uint8_t tag) {
  ChunkCacheKey k;
  k.id = id;
  k.start = 1;
  k.seq = 1;
  k.seal.back() = tag;
  return k;
}

TEST(ChunkCacheTest, EvictsLeastRecentlyUsedByBytes) {
  ChunkCache cache(3 * (1000 * 16 + 512));
  for (uint8_t i = 0; i < 3; ++i) cache.Insert(CacheKey(i, 0), Chunk(1000));
  ASSERT_NE(cache.Lookup(CacheKey(0, 0), true), nullptr);  // 0 is now the most recent
  cache.Insert(CacheKey(3, 0), Chunk(1000));
  EXPECT_NE(cache.Lookup(CacheKey(0, 0), true), nullptr);
  EXPECT_EQ(cache.Lookup(CacheKey(1, 0), true), nullptr);  // the least recent went
  EXPECT_NE(cache.Lookup(CacheKey(3, 0), true), nullptr);
  EXPECT_LE(cache.bytes(), 3u * (1000 * 16 + 512));
}

TEST(ChunkCacheTest, SealBytesArePartOfTheKey) {
  ChunkCache cache(1 << 20);
  cache.Insert(CacheKey(1, 7), Chunk(10));
  EXPECT_NE(cache.Lookup(CacheKey(1, 7), true), nullptr);
  EXPECT_EQ(cache.Lookup(CacheKey(1, 8), true), nullptr);  // same chunk slot, resealed
}

TEST(ChunkCacheTest, HeaderOnlyEntryIsAMissForRuns) {
  ChunkCache cache(1 << 20);
  auto header = std::make_shared<CachedChunk>();
  cache.Insert(CacheKey(1, 1), header);
  EXPECT_NE(cache.Lookup(CacheKey(1, 1), false), nullptr);
  EXPECT_EQ(cache.Lookup(CacheKey(1, 1), true), nullptr);
  cache.Insert(CacheKey(1, 1), Chunk(4));
  EXPECT_NE(cache.Lookup(CacheKey(1, 1), true), nullptr);
  cache.Insert(CacheKey(1, 1), header);  // never downgrades a full entry
  EXPECT_NE(cache.Lookup(CacheKey(1, 1), true), nullptr);
}

TEST(ChunkCacheTest, ZeroCapacityCachesNothing) {
  ChunkCache cache(0);
  cache.Insert(CacheKey(1, 1), Chunk(4));
  EXPECT_EQ(cache.Lookup(CacheKey(1, 1), false), nullptr);
}

// MergeRuns (used when chunks overlap) against a map filled in priority order.
TEST(MergeRunsTest, MatchesBruteForceOnOverlappingRuns) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    const int nruns = 1 + static_cast<int>(rng() % 5);
    std::vector<SampleRun> runs(nruns);
    std::map<TimestampNs, double> want_all;
    for (int k = 0; k < nruns; ++k) {
      std::map<TimestampNs, double> pts;
      const TimestampNs base = static_cast<TimestampNs>(rng() % 200);
      const int n = static_cast<int>(rng() % 60);
      for (int i = 0; i < n; ++i) {
        pts[base + static_cast<TimestampNs>(rng() % (1 + rng() % 150))] = k * 1000.0 + i;
      }
      std::vector<double> v;
      for (auto& [t, x] : pts) {
        runs[k].ts.push_back(t);
        v.push_back(x);
        want_all[t] = x;  // later runs win
      }
      runs[k].values = std::move(v);
    }
    const TimestampNs from = static_cast<TimestampNs>(rng() % 120);
    const TimestampNs to = from + static_cast<TimestampNs>(rng() % 250);
    std::vector<const SampleRun*> ptrs;
    for (const auto& r : runs) ptrs.push_back(&r);
    SampleRun got = MergeRuns(ptrs, ValueType::kFloat, from, to);
    std::vector<std::pair<TimestampNs, double>> want, have;
    for (auto& [t, x] : want_all) {
      if (t >= from && t < to) want.emplace_back(t, x);
    }
    const auto& gv = std::get<std::vector<double>>(got.values);
    ASSERT_EQ(got.ts.size(), gv.size());
    for (size_t i = 0; i < got.ts.size(); ++i) have.emplace_back(got.ts[i], gv[i]);
    ASSERT_EQ(have, want) << "round " << round;
  }
}

SeriesId Write(Engine* e, const SeriesKey& key, TimestampNs from, TimestampNs to, TimestampNs step,
               double base = 0) {
  WriteBatch b;
  for (TimestampNs t = from; t < to; t += step) b.Add(key, t, Value(base + static_cast<double>(t)));
  EXPECT_TRUE(e->Write(b).ok());
  return e->GetOrCreateSeries(key, ValueType::kFloat).value();
}

TEST(EngineCacheTest, CachedChunksAreNotServedAfterDeleteRewritesThem) {
  TestEngine t(FreshDir("cache_delete"), 64);
  ASSERT_TRUE(t.Open().ok());
  SeriesId id = Write(t.engine.get(), Key("m", "f"), 0, 1000, 1);
  ASSERT_TRUE(t->Flush().ok());
  ASSERT_EQ(ReadFloats(t.engine.get(), id).size(), 1000u);  // fills the cache
  ASSERT_GT(t->Stats().chunk_cache_bytes, 0u);
  // Cuts every chunk in two: the kept pieces reuse start and sequence number.
  ASSERT_TRUE(t->DeleteRange("t1", std::vector<SeriesId>{id}, 10, 990).ok());
  auto got = ReadFloats(t.engine.get(), id);
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(got[9].first, 9);
  EXPECT_EQ(got[10].first, 990);
  auto agg = t->Aggregate(id, kAll0, kAll1, 0, 0);
  ASSERT_TRUE(agg.ok());
  ASSERT_EQ(agg->size(), 1u);
  EXPECT_EQ((*agg)[0].count, 20u);
}

TEST(EngineCacheTest, CompactionOfOverlappingChunksKeepsAnswers) {
  TestEngine t(FreshDir("cache_compact"), 64);
  ASSERT_TRUE(t.Open().ok());
  const SeriesKey k = Key("m", "f");
  SeriesId id = Write(t.engine.get(), k, 0, 500, 2);
  ASSERT_TRUE(t->Flush().ok());
  Write(t.engine.get(), k, 1, 500, 2, 0.5);  // interleaves with every sealed chunk
  ASSERT_TRUE(t->Flush().ok());
  Write(t.engine.get(), k, 100, 110, 1, 7);  // overwrites a few of both
  ASSERT_TRUE(t->Flush().ok());
  auto before = ReadFloats(t.engine.get(), id);
  auto agg_before = t->Aggregate(id, 0, 500, 50, 0);
  ASSERT_TRUE(agg_before.ok());
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), before);
  auto agg_after = t->Aggregate(id, 0, 500, 50, 0);
  ASSERT_TRUE(agg_after.ok());
  ASSERT_EQ(agg_after->size(), agg_before->size());
  for (size_t i = 0; i < agg_after->size(); ++i) {
    EXPECT_EQ((*agg_after)[i].count, (*agg_before)[i].count);
    EXPECT_DOUBLE_EQ((*agg_after)[i].sum, (*agg_before)[i].sum);
  }
  ASSERT_EQ(before.size(), 500u);
  EXPECT_EQ(before[105].second, 7 + 105);
  // The same after reopening, when overlaps are found while loading chunk summaries.
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(ReadFloats(t.engine.get(), id), before);
}

TEST(EngineCacheTest, LatestFollowsWritesDeletesAndReopen) {
  TestEngine t(FreshDir("cache_latest"), 16);
  ASSERT_TRUE(t.Open().ok());
  const SeriesKey k = Key("m", "f");
  SeriesId id = Write(t.engine.get(), k, 0, 100, 1);
  ASSERT_TRUE(t->Flush().ok());
  auto latest = [&] {
    auto r = t->Latest(id);
    EXPECT_TRUE(r.ok());
    return r.ok() && r->has_value() ? (*r)->ts : -1;
  };
  EXPECT_EQ(latest(), 99);
  Write(t.engine.get(), k, 150, 151, 1);
  EXPECT_EQ(latest(), 150);
  Write(t.engine.get(), k, 50, 51, 1);  // older: unchanged
  EXPECT_EQ(latest(), 150);
  WriteBatch b;  // equal timestamp: the later write wins
  b.Add(k, 150, Value(-1.0));
  ASSERT_TRUE(t->Write(b).ok());
  EXPECT_EQ(std::get<double>(t->Latest(id).value()->value), -1.0);
  ASSERT_TRUE(t->DeleteRange("t1", std::vector<SeriesId>{id}, 90, 200).ok());
  EXPECT_EQ(latest(), 89);
  ASSERT_TRUE(t->DeleteRange("t1", std::vector<SeriesId>{id}, kAll0, kAll1).ok());
  EXPECT_FALSE(t->Latest(id).value().has_value());
  Write(t.engine.get(), k, 5, 6, 1);
  EXPECT_EQ(latest(), 5);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(latest(), 5);
}

TEST(EngineCacheTest, RetentionDropsTheRememberedLatest) {
  FakeClock clock(1'000'000);
  TestEngine t(FreshDir("cache_retention"), 16);
  t.options.clock = &clock;
  ASSERT_TRUE(t.Open().ok());
  SeriesId id = Write(t.engine.get(), Key("cpu", "f"), 0, 400'000, 1000);
  ASSERT_TRUE(t->Flush().ok());
  ASSERT_EQ(t->Latest(id).value()->ts, 399'000);
  ASSERT_TRUE(t->SetRetention("t1", "cpu", 500'000).ok());  // keeps ts >= 500'000: nothing
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_FALSE(t->Latest(id).value().has_value());
  EXPECT_TRUE(ReadFloats(t.engine.get(), id).empty());
}

TEST(EngineCacheTest, MeasurementIndexAndCatalogVersion) {
  TestEngine t(FreshDir("cache_catalog"));
  ASSERT_TRUE(t.Open().ok());
  const uint64_t v0 = t->CatalogVersion().value();
  EXPECT_TRUE(t->FindSeries("t1", "m").empty());
  Write(t.engine.get(), Key("m", "b"), 0, 10, 1);
  Write(t.engine.get(), Key("m", "a"), 0, 10, 1);
  Write(t.engine.get(), Key("other", "a"), 0, 10, 1);
  Write(t.engine.get(), Key("m", "a", "t2"), 0, 10, 1);
  const uint64_t v1 = t->CatalogVersion().value();
  EXPECT_NE(v1, v0);
  auto m = t->FindSeries("t1", "m");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_LT(m[0].id, m[1].id);
  EXPECT_EQ(m[0].key.field, "b");
  EXPECT_EQ(t->FindSeries("t1", "").size(), 3u);
  EXPECT_EQ(t->FindSeries("t2", "m").size(), 1u);
  EXPECT_TRUE(t->FindSeries("t3", "").empty());
  EXPECT_EQ(t->Tenants(), (std::vector<std::string>{"t1", "t2"}));
  // Writes to existing series and deletes leave the catalog (and its version) alone.
  SeriesId a = Write(t.engine.get(), Key("m", "a"), 10, 20, 1);
  ASSERT_TRUE(t->DeleteRange("t1", std::vector<SeriesId>{a}, kAll0, kAll1).ok());
  EXPECT_EQ(t->CatalogVersion().value(), v1);
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 2u);
  Write(t.engine.get(), Key("m", "c"), 0, 10, 1);
  EXPECT_NE(t->CatalogVersion().value(), v1);
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 3u);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 3u);
  EXPECT_EQ(t->FindSeries("t1", "").size(), 4u);
}

}  // namespace
}  // namespace verbund::storage
