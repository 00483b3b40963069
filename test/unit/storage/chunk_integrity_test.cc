// Damage to sealed chunks: flipped bits and chunks moved to another key are reported as
// Corruption by reads and aggregates, never returned as data, never a crash.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "storage/chunk_store_format.h"
#include "unit/storage/engine_test_util.h"
#include "unit/storage/raw_db.h"

namespace verbund::storage {
namespace {

using testing::FreshDir;
using testing::kAll0;
using testing::kAll1;
using testing::Key;
using testing::RawDb;
using testing::TestEngine;

// Writes `n` series of 64 samples each (one sealed chunk per series), closes the engine.
std::vector<SeriesId> MakeChunks(TestEngine* t, int n) {
  std::vector<SeriesId> ids;
  EXPECT_TRUE(t->Open().ok());
  for (int s = 0; s < n; ++s) {
    WriteBatch b;
    for (int i = 0; i < 64; ++i) b.Add(Key("m", "f" + std::to_string(s)), 1000 + i, Value(s * 100.0 + i));
    EXPECT_TRUE((*t)->Write(b).ok());
    ids.push_back((*t)->GetOrCreateSeries(Key("m", "f" + std::to_string(s)), ValueType::kFloat).value());
  }
  EXPECT_TRUE((*t)->Flush().ok());
  t->Close();
  return ids;
}

void ExpectCorrupt(Engine* e, SeriesId id, const std::string& what) {
  auto r = e->Read(id, kAll0, kAll1, ScanOrder::kAscending, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << what << ": " << r.status().ToString();
  auto a = e->Aggregate(id, kAll0, kAll1, 0, 0);
  EXPECT_EQ(a.status().code(), StatusCode::kCorruption) << what << ": " << a.status().ToString();
  auto a2 = e->Aggregate(id, kAll0, kAll1, 10, 0);
  EXPECT_EQ(a2.status().code(), StatusCode::kCorruption) << what;
}

TEST(ChunkIntegrityTest, BitFlipsAnywhereInAChunkAreCorruption) {
  TestEngine t(FreshDir("bitflip"), 64);
  const int kSeries = 60;
  auto ids = MakeChunks(&t, kSeries);
  std::vector<size_t> flipped_at(kSeries);
  {
    RawDb raw(t.options.dir + "/db");
    auto chunks = raw.Chunks();
    ASSERT_EQ(chunks.size(), static_cast<size_t>(kSeries));
    for (int s = 0; s < kSeries; ++s) {
      std::string v = chunks[s].second;
      // Spread the flips over header (version, key id, max ts), nonce, ciphertext and tag.
      const size_t bit = (static_cast<size_t>(s) * 8 * v.size() / kSeries + s) % (v.size() * 8);
      flipped_at[s] = bit;
      v[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.chunks(), chunks[s].first, v).ok());
    }
  }
  ASSERT_TRUE(t.Open().ok());
  for (int s = 0; s < kSeries; ++s) {
    // A flipped max-ts byte can move the chunk out of a narrow range; the full range always
    // includes it.
    ExpectCorrupt(t.engine.get(), ids[s], "bit " + std::to_string(flipped_at[s]));
  }
}

TEST(ChunkIntegrityTest, SwappedChunksAreDetectedByAad) {
  TestEngine t(FreshDir("swap"), 64);
  auto ids = MakeChunks(&t, 3);
  {
    RawDb raw(t.options.dir + "/db");
    auto chunks = raw.Chunks();
    ASSERT_EQ(chunks.size(), 3u);
    // Series 0 gets series 1's chunk under its own key.
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.chunks(), chunks[0].first, chunks[1].second).ok());
    // Series 2's chunk is moved to another sequence slot of the same series and time.
    ChunkKeyParts k;
    ASSERT_TRUE(ParseChunkKey(chunks[2].first, &k));
    ASSERT_TRUE(raw.db->Delete(rocksdb::WriteOptions(), raw.chunks(), chunks[2].first).ok());
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.chunks(), ChunkKey(k.id, k.start, k.seq + 100),
                            chunks[2].second).ok());
  }
  ASSERT_TRUE(t.Open().ok());
  ExpectCorrupt(t.engine.get(), ids[0], "swapped across series");
  ExpectCorrupt(t.engine.get(), ids[2], "moved to another seq");
  auto ok = t->Read(ids[1], kAll0, kAll1, ScanOrder::kAscending, 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->ts.size(), 64u);
}

TEST(ChunkIntegrityTest, TruncatedAndGarbageValuesAreCorruption) {
  TestEngine t(FreshDir("garbage"), 64);
  auto ids = MakeChunks(&t, 3);
  {
    RawDb raw(t.options.dir + "/db");
    auto chunks = raw.Chunks();
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.chunks(), chunks[0].first, "x").ok());
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.chunks(), chunks[1].first,
                            chunks[1].second.substr(0, 20)).ok());
  }
  // A value too short to carry a header fails already when the engine opens; both are reported.
  auto st = t.Open();
  if (st.ok()) {
    ExpectCorrupt(t.engine.get(), ids[0], "one byte");
    ExpectCorrupt(t.engine.get(), ids[1], "truncated");
  } else {
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.ToString();
  }
}

}  // namespace
}  // namespace verbund::storage
