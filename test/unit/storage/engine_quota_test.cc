// The engine's hooks for per-database quotas: series admission (EngineOptions::admit_series) and
// usage (Engine::Usage), checked against the chunk store itself.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "storage/chunk_store_format.h"
#include "storage/engine.h"
#include "unit/storage/engine_test_util.h"
#include "unit/storage/raw_db.h"

namespace verbund::storage {
namespace {

using testing::FreshDir;
using testing::kAll0;
using testing::kAll1;
using testing::Key;
using testing::RawDb;
using testing::ReadFloats;
using testing::TestEngine;

using Calls = std::vector<std::pair<std::string, size_t>>;

// Stands in for the hub's quota check: records every call and refuses the listed databases.
struct Admission {
  Calls calls;
  std::set<std::string> refused;
  bool refuse_all = false;

  static Status Refusal(std::string_view db) {
    return ResourceExhausted("series quota of " + std::string(db));
  }
  std::function<Status(std::string_view, size_t)> Fn() {
    return [this](std::string_view db, size_t n) {
      calls.emplace_back(std::string(db), n);
      if (refuse_all || refused.contains(std::string(db))) return Refusal(db);
      return Status::OK();
    };
  }
};

void WriteN(Engine* e, const SeriesKey& key, TimestampNs from, int n, TimestampNs step = 1) {
  WriteBatch b;
  for (int i = 0; i < n; ++i) b.Add(key, from + i * step, Value(i * 0.5));
  ASSERT_TRUE(e->Write(b).ok());
}

std::map<std::string, DatabaseUsage> UsageByName(Engine* e) {
  std::map<std::string, DatabaseUsage> out;
  for (DatabaseUsage& u : e->Usage()) out[u.name] = std::move(u);
  return out;
}

// Flushes, then checks that Usage() is exactly the bytes of the chunk store's values per
// database (read with the engine closed), before and after reopening. Returns the bytes.
std::map<std::string, uint64_t> ExpectUsageIsChunkStore(TestEngine* t, const char* when) {
  EXPECT_TRUE((*t)->Flush().ok()) << when;
  const std::map<std::string, DatabaseUsage> before = UsageByName(t->engine.get());
  std::map<SeriesId, std::string> db_of;
  std::map<std::string, uint64_t> values;  // readable samples: after Flush, all sealed
  for (const std::string& db : (*t)->Tenants()) {
    for (const SeriesInfo& s : (*t)->FindSeries(db, "")) {
      db_of[s.id] = db;
      values[db] += ReadFloats(t->engine.get(), s.id).size();
    }
  }
  t->Close();
  std::map<std::string, uint64_t> stored;
  {
    RawDb raw(t->options.dir + "/db");
    for (const auto& [key, value] : raw.Chunks()) {
      ChunkKeyParts parts;
      EXPECT_TRUE(ParseChunkKey(key, &parts));
      stored[db_of.at(parts.id)] += value.size();
    }
  }
  EXPECT_TRUE(t->Open().ok()) << when;
  const std::map<std::string, DatabaseUsage> after = UsageByName(t->engine.get());
  EXPECT_EQ(before.size(), after.size()) << when;
  std::map<std::string, uint64_t> out;
  for (const auto& [db, u] : before) {
    EXPECT_EQ(u.stored_bytes, stored[db]) << when << ": " << db;
    if (!after.contains(db)) {
      ADD_FAILURE() << when << ": " << db << " gone after reopen";
      continue;
    }
    EXPECT_EQ(after.at(db).stored_bytes, u.stored_bytes) << when << ": " << db << " reopened";
    EXPECT_EQ(after.at(db).series, u.series) << when << ": " << db << " reopened";
    // Bytes per value: every sealed chunk counted, as sealed and as found again at open.
    EXPECT_EQ(u.sealed_bytes, stored[db]) << when << ": " << db;
    EXPECT_EQ(u.sealed_values, values[db]) << when << ": " << db;
    EXPECT_EQ(after.at(db).sealed_bytes, u.sealed_bytes) << when << ": " << db << " reopened";
    EXPECT_EQ(after.at(db).sealed_values, u.sealed_values) << when << ": " << db << " reopened";
    out[db] = u.stored_bytes;
  }
  return out;
}

TEST(EngineAdmissionTest, RefusedSeriesAreNotCreatedAndExistingOnesStillResolve) {
  TestEngine t(FreshDir("admission"));
  Admission adm;
  t.options.admit_series = adm.Fn();
  ASSERT_TRUE(t.Open().ok());
  const SeriesId old = t->GetOrCreateSeries(Key("m", "old", "full"), ValueType::kFloat).value();
  EXPECT_EQ(adm.calls, (Calls{{"full", 1}}));
  adm.calls.clear();
  adm.refused.insert("full");
  const uint64_t version = t->CatalogVersion().value();

  const std::vector<SeriesKey> keys = {Key("m", "new1", "full"), Key("m", "old", "full"),
                                       Key("m", "new2", "full"), Key("m", "a", "t1"),
                                       Key("m", "new1", "full")};
  std::vector<const SeriesKey*> ptrs;
  for (const auto& k : keys) ptrs.push_back(&k);
  const std::vector<ValueType> types(keys.size(), ValueType::kFloat);
  std::vector<Result<SeriesId>> ids = t->GetOrCreateSeriesMany(ptrs, types);
  ASSERT_EQ(ids.size(), keys.size());
  // Once per database with new series, with their distinct count, before creating any.
  EXPECT_EQ(adm.calls, (Calls{{"full", 2}, {"t1", 1}}));
  EXPECT_EQ(ids[0].status(), Admission::Refusal("full"));
  EXPECT_EQ(ids[2].status(), Admission::Refusal("full"));
  EXPECT_EQ(ids[4].status(), Admission::Refusal("full"));
  ASSERT_TRUE(ids[1].ok());
  EXPECT_EQ(*ids[1], old);
  ASSERT_TRUE(ids[3].ok());  // another database's admitted series
  EXPECT_EQ(t->FindSeries("full", "").size(), 1u);
  EXPECT_EQ(t->FindSeries("t1", "").size(), 1u);
  EXPECT_EQ(t->CatalogVersion().value(), version + 1);
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "new1", "full"), ValueType::kFloat).status(),
            Admission::Refusal("full"));

  // A write naming a refused series by key fails with the refusal and writes nothing.
  adm.calls.clear();
  WriteBatch b;
  b.Add(Key("m", "old", "full"), 1, Value(1.0));
  b.Add(Key("m", "new3", "full"), 2, Value(2.0));
  EXPECT_EQ(t->Write(b), Admission::Refusal("full"));
  EXPECT_EQ(adm.calls, (Calls{{"full", 1}}));
  EXPECT_TRUE(ReadFloats(t.engine.get(), old).empty());
  EXPECT_EQ(t->FindSeries("full", "").size(), 1u);
  // Existing series are not the quota's business: no call.
  adm.calls.clear();
  WriteBatch existing;
  existing.Add(Key("m", "old", "full"), 1, Value(1.0));
  existing.Add(old, 2, Value(2.0));
  ASSERT_TRUE(t->Write(existing).ok());
  EXPECT_TRUE(adm.calls.empty());
  EXPECT_EQ(ReadFloats(t.engine.get(), old).size(), 2u);

  // Admitted later, the same keys are created.
  adm.refused.clear();
  const SeriesId new1 = t->GetOrCreateSeries(Key("m", "new1", "full"), ValueType::kFloat).value();
  EXPECT_NE(new1, old);
  EXPECT_EQ(adm.calls, (Calls{{"full", 1}}));
  EXPECT_TRUE(t->Write(b).ok());
  EXPECT_EQ(t->FindSeries("full", "").size(), 3u);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries("full", "").size(), 3u);
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "new1", "full"), ValueType::kFloat).value(), new1);
}

TEST(EngineAdmissionTest, WriteByKeyAsksOncePerDatabase) {
  TestEngine t(FreshDir("admission_write"));
  Admission adm;
  t.options.admit_series = adm.Fn();
  ASSERT_TRUE(t.Open().ok());
  WriteBatch b;
  for (int i = 0; i < 10; ++i) {
    b.Add(Key("m", "f" + std::to_string(i % 3), "db1"), i, Value(1.0 * i));
    b.Add(Key("m", "f", "db2"), i, Value(1.0 * i));
  }
  ASSERT_TRUE(t->Write(b).ok());
  EXPECT_EQ(adm.calls, (Calls{{"db1", 3}, {"db2", 1}}));
  adm.calls.clear();
  ASSERT_TRUE(t->Write(b).ok());
  EXPECT_TRUE(adm.calls.empty());
}

// The hub's use: a limit of series per database, checked against Usage() from inside the call.
TEST(EngineAdmissionTest, QuotaCheckedAgainstUsageFromInsideTheCall) {
  TestEngine t(FreshDir("admission_quota"));
  constexpr uint64_t kLimit = 3;
  t.options.admit_series = [&t](std::string_view db, size_t n) {
    uint64_t series = 0;
    for (const DatabaseUsage& u : t->Usage()) {
      if (u.name == db) series = u.series;
    }
    if (series + n > kLimit) return ResourceExhausted("quota");
    return Status::OK();
  };
  ASSERT_TRUE(t.Open().ok());
  auto many = [&](const std::vector<std::string>& fields) {
    std::vector<SeriesKey> keys;
    for (const auto& f : fields) keys.push_back(Key("m", f, "db"));
    std::vector<const SeriesKey*> ptrs;
    for (const auto& k : keys) ptrs.push_back(&k);
    std::vector<ValueType> types(keys.size(), ValueType::kFloat);
    size_t ok = 0;
    for (const auto& r : t->GetOrCreateSeriesMany(ptrs, types)) ok += r.ok() ? 1 : 0;
    return ok;
  };
  EXPECT_EQ(many({"a", "b"}), 2u);
  EXPECT_EQ(many({"a", "c", "d"}), 1u);  // two new would make four: only the existing one
  EXPECT_EQ(many({"a", "b", "c"}), 3u);  // one new makes three
  EXPECT_EQ(many({"d"}), 0u);
  EXPECT_EQ(t->FindSeries("db", "").size(), kLimit);
}

// Opening (catalog load and WAL replay) never asks: the series exist.
TEST(EngineAdmissionTest, OpenAndReplayNeverAsk) {
  TestEngine t(FreshDir("admission_replay"), 16);
  t.options.flush_on_close = false;  // read at Open: closing this engine models a crash
  ASSERT_TRUE(t.Open().ok());
  WriteN(t.engine.get(), Key("m", "a", "db1"), 0, 40);
  ASSERT_TRUE(t->Flush().ok());
  WriteN(t.engine.get(), Key("m", "a", "db1"), 40, 10);  // head only, replayed from the WAL
  WriteN(t.engine.get(), Key("m", "b", "db2"), 0, 10);  // a series whose samples are all in the WAL
  t.Close();
  Admission adm;
  adm.refuse_all = true;
  t.options.admit_series = adm.Fn();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_TRUE(adm.calls.empty());
  const SeriesId a = t->GetOrCreateSeries(Key("m", "a", "db1"), ValueType::kFloat).value();
  const SeriesId b = t->GetOrCreateSeries(Key("m", "b", "db2"), ValueType::kFloat).value();
  EXPECT_EQ(ReadFloats(t.engine.get(), a).size(), 50u);
  EXPECT_EQ(ReadFloats(t.engine.get(), b).size(), 10u);
  WriteN(t.engine.get(), Key("m", "b", "db2"), 10, 5);
  EXPECT_TRUE(adm.calls.empty());
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "c", "db2"), ValueType::kFloat).status(),
            Admission::Refusal("db2"));
  EXPECT_EQ(adm.calls, (Calls{{"db2", 1}}));
}

TEST(EngineUsageTest, CountsSeriesAndGrowsWithHeadAndSealedData) {
  TestEngine t(FreshDir("usage"), 64);
  ASSERT_TRUE(t.Open().ok());
  EXPECT_TRUE(t->Usage().empty());
  ASSERT_TRUE(t->GetOrCreateSeries(Key("m", "x", "a"), ValueType::kFloat).ok());  // no samples
  WriteN(t.engine.get(), Key("m", "f1", "t1"), 0, 10);
  WriteN(t.engine.get(), Key("m", "f2", "t1"), 0, 10);
  WriteN(t.engine.get(), Key("n", "f", "t1"), 0, 10);
  WriteN(t.engine.get(), Key("m", "f", "b"), 0, 5);
  // Ascending by name; nothing sealed yet, so the bytes are the head's.
  std::vector<DatabaseUsage> usage = t->Usage();
  ASSERT_EQ(usage.size(), 3u);
  EXPECT_EQ(usage[0].name, "a");
  EXPECT_EQ(usage[1].name, "b");
  EXPECT_EQ(usage[2].name, "t1");
  EXPECT_EQ(usage[0].series, 1u);
  EXPECT_EQ(usage[1].series, 1u);
  EXPECT_EQ(usage[2].series, 3u);
  EXPECT_EQ(usage[0].stored_bytes, 0u);
  EXPECT_GT(usage[1].stored_bytes, 0u);
  EXPECT_EQ(usage[2].stored_bytes, 6 * usage[1].stored_bytes);  // 30 samples against 5
  EXPECT_EQ(usage[1].stored_bytes + usage[2].stored_bytes, t->Stats().head_bytes);
  EXPECT_EQ(usage[0].points_written, 0u);
  EXPECT_EQ(usage[1].points_written, 5u);
  EXPECT_EQ(usage[2].points_written, 30u);
  EXPECT_EQ(usage[2].sealed_values, 0u);  // all in the head

  const std::map<std::string, uint64_t> sealed = ExpectUsageIsChunkStore(&t, "sealed");
  EXPECT_EQ(sealed.at("a"), 0u);
  EXPECT_GT(sealed.at("b"), 0u);
  EXPECT_GT(sealed.at("t1"), sealed.at("b"));
  // The data directory holds at least the chunk values (in RocksDB's files), and more.
  EXPECT_GT(t->DiskBytes(), sealed.at("t1") + sealed.at("b"));

  // More data: a mix of sealed chunks (64 points each) and head, then all sealed.
  WriteN(t.engine.get(), Key("m", "f1", "t1"), 10, 1000);
  const uint64_t grown = UsageByName(t.engine.get()).at("t1").stored_bytes;
  EXPECT_GT(grown, sealed.at("t1"));
  const std::map<std::string, uint64_t> more = ExpectUsageIsChunkStore(&t, "more");
  EXPECT_GT(more.at("t1"), sealed.at("t1"));
  EXPECT_EQ(more.at("b"), sealed.at("b"));
  EXPECT_EQ(UsageByName(t.engine.get()).at("t1").series, 3u);
}

TEST(EngineUsageTest, ShrinksAfterDeleteAndRetentionAndStaysExactThroughCompaction) {
  FakeClock clock(1'000'000);
  TestEngine t(FreshDir("usage_delete"), 16);
  t.options.clock = &clock;
  ASSERT_TRUE(t.Open().ok());
  WriteN(t.engine.get(), Key("cpu_load", "f", "t1"), 0, 1000, 1000);
  WriteN(t.engine.get(), Key("mem", "f", "t1"), 0, 1000, 1000);
  WriteN(t.engine.get(), Key("m", "f", "t2"), 0, 1000, 1000);
  const std::map<std::string, uint64_t> base = ExpectUsageIsChunkStore(&t, "base");
  EXPECT_GT(base.at("t1"), 0u);

  // Cuts into chunks at both ends: their kept pieces are rewritten under the same (start, seq).
  const SeriesId mem = t->GetOrCreateSeries(Key("mem", "f", "t1"), ValueType::kFloat).value();
  const SeriesId ids[] = {mem};
  ASSERT_TRUE(t->DeleteRange("t1", ids, 100'500, 350'500).ok());
  const std::map<std::string, uint64_t> deleted = ExpectUsageIsChunkStore(&t, "deleted");
  EXPECT_LT(deleted.at("t1"), base.at("t1"));
  EXPECT_EQ(deleted.at("t2"), base.at("t2"));

  // Compaction merges the 16-point chunks: fewer, larger values, still counted exactly.
  ASSERT_TRUE(t->Compact().ok());
  const std::map<std::string, uint64_t> compacted = ExpectUsageIsChunkStore(&t, "compacted");

  // Retention drops cpu_load before 500'000 (now 1'000'000 minus 500'000).
  ASSERT_TRUE(t->SetRetention("t1", "cpu", 500'000).ok());
  ASSERT_TRUE(t->Compact().ok());
  const std::map<std::string, uint64_t> retained = ExpectUsageIsChunkStore(&t, "retention");
  EXPECT_LT(retained.at("t1"), compacted.at("t1"));
  EXPECT_EQ(retained.at("t2"), compacted.at("t2"));

  // Deleting everything of a database leaves its series, with nothing stored.
  ASSERT_TRUE(t->DeleteRange("t2", {}, kAll0, kAll1).ok());
  const std::map<std::string, uint64_t> emptied = ExpectUsageIsChunkStore(&t, "emptied");
  EXPECT_EQ(emptied.at("t2"), 0u);
  EXPECT_EQ(UsageByName(t.engine.get()).at("t2").series, 1u);
  EXPECT_EQ(UsageByName(t.engine.get()).at("t1").series, 2u);
}

// Deletes in the head count from open buffers and from buffers waiting to be sealed.
TEST(EngineUsageTest, HeadDeletesInOpenAndPendingBuffersCount) {
  TestEngine t(FreshDir("usage_head"), 1024);
  ASSERT_TRUE(t.Open().ok());
  WriteN(t.engine.get(), Key("m", "f", "acme"), 0, 10);
  WriteN(t.engine.get(), Key("m", "f", "other"), 0, 10);
  // acme's samples stay in a buffer handed to the sealer; other's are sealed.
  t.keys->Lock("acme");
  EXPECT_FALSE(t->Flush().ok());
  t.keys->Unlock("acme");
  const uint64_t pending = UsageByName(t.engine.get()).at("acme").stored_bytes;
  EXPECT_GT(pending, 0u);
  EXPECT_EQ(pending, t->Stats().head_bytes);
  ASSERT_TRUE(t->DeleteRange("acme", {}, 0, 5).ok());  // half of the waiting buffer
  EXPECT_EQ(UsageByName(t.engine.get()).at("acme").stored_bytes, pending / 2);
  EXPECT_EQ(t->Stats().head_bytes, pending / 2);
  // This write seals the waiting buffer on its way (no background threads) and opens another.
  WriteN(t.engine.get(), Key("m", "f", "acme"), 100, 10);
  EXPECT_EQ(t->Stats().head_bytes, pending);
  const uint64_t chunk = UsageByName(t.engine.get()).at("acme").stored_bytes - pending;
  EXPECT_GT(chunk, 0u);
  ASSERT_TRUE(t->DeleteRange("acme", {}, 100, 105).ok());  // half of the open buffer
  EXPECT_EQ(UsageByName(t.engine.get()).at("acme").stored_bytes, chunk + pending / 2);
  const std::map<std::string, uint64_t> sealed = ExpectUsageIsChunkStore(&t, "sealed");
  EXPECT_GT(sealed.at("acme"), 0u);
}

// Samples only in the WAL at a crash come back into the head at open, and count the same.
TEST(EngineUsageTest, ReplayedHeadCountsAsBefore) {
  TestEngine t(FreshDir("usage_replay"), 64);
  t.options.flush_on_close = false;  // read at Open: closing this engine models a crash
  ASSERT_TRUE(t.Open().ok());
  WriteN(t.engine.get(), Key("m", "f", "t1"), 0, 200);
  ASSERT_TRUE(t->Flush().ok());
  WriteN(t.engine.get(), Key("m", "f", "t1"), 200, 20);
  WriteN(t.engine.get(), Key("m", "g", "t2"), 0, 7);
  const std::map<std::string, DatabaseUsage> before = UsageByName(t.engine.get());
  const uint64_t head_bytes = t->Stats().head_bytes;
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  const std::map<std::string, DatabaseUsage> after = UsageByName(t.engine.get());
  EXPECT_EQ(t->Stats().head_bytes, head_bytes);  // the samples are back in the head, unsealed
  ASSERT_EQ(after.size(), 2u);
  for (const auto& [db, u] : before) {
    EXPECT_EQ(after.at(db).series, u.series) << db;
    EXPECT_EQ(after.at(db).stored_bytes, u.stored_bytes) << db;
  }
}

}  // namespace
}  // namespace verbund::storage
