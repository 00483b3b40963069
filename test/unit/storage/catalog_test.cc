// Catalog records: the version-2 group codec (round trips, edge values, every kind of damage),
// version-1 data directories that must keep opening, compaction of small groups, and series of
// a tenant locked at open that are found again after unlock.
#include "storage/catalog.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <limits>
#include <random>

#include "core/coding.h"
#include "keys/key_provider.h"
#include "storage/catalog_format.h"
#include "unit/storage/engine_test_util.h"
#include "unit/storage/raw_db.h"

namespace verbund::storage {
namespace {

using testing::ExpectSameSeries;
using testing::FreshDir;
using testing::Key;
using testing::RawDb;
using testing::ReadFloats;
using testing::TestEngine;

SeriesInfo Info(SeriesId id, SeriesKey key, ValueType type = ValueType::kFloat) {
  return SeriesInfo{id, std::move(key), type};
}

// TSBS-like entries: trucks x fields, consecutive ids from `first`.
std::vector<SeriesInfo> Trucks(int trucks, SeriesId first) {
  std::vector<SeriesInfo> out;
  for (int t = 0; t < trucks; ++t) {
    for (const char* f : {"latitude", "longitude", "elevation", "velocity", "heading"}) {
      out.push_back(Info(first++, Key("readings", f, "bench",
                                      {{"name", "truck_" + std::to_string(t)},
                                       {"fleet", t % 2 ? "East" : "West"},
                                       {"model", "F-150"}})));
    }
  }
  return out;
}

TEST(CatalogGroupTest, RoundTripsRawAndCompressed) {
  std::vector<std::vector<SeriesInfo>> cases;
  cases.push_back({Info(1, Key("m", "f"))});
  cases.push_back(Trucks(20, 7));
  // Gaps, all types, ids up to the maximum, empty names, binary bytes, no tags.
  cases.push_back({Info(3, Key("m", "a"), ValueType::kFloat),
                   Info(4, Key("m", "b"), ValueType::kInt),
                   Info(1000, Key("", "", "t1", {}), ValueType::kBool),
                   Info(std::numeric_limits<SeriesId>::max() - 1,
                        Key(std::string("m\0\xff", 3), std::string(300, 'x')), ValueType::kString),
                   Info(std::numeric_limits<SeriesId>::max(), Key("m", "z"))});
  // A full group.
  cases.push_back(Trucks(static_cast<int>(kCatalogGroupMaxEntries / 5), 1));
  for (const auto& entries : cases) {
    for (bool compress : {false, true}) {
      const std::string plain = EncodeCatalogGroup(entries, compress);
      if (!compress) {
        EXPECT_EQ(plain[0], kCatalogGroupRaw);
      }
      std::vector<SeriesInfo> got;
      ASSERT_TRUE(DecodeCatalogGroup(plain, entries[0].id, &got).ok());
      ExpectSameSeries(got, entries);
    }
  }
  // Catalog data compresses well: 100 trucks' entries take a few bytes each.
  const auto trucks = Trucks(100, 1);
  const std::string z = EncodeCatalogGroup(trucks);
  EXPECT_EQ(z[0], kCatalogGroupZstd);
  EXPECT_LT(z.size(), trucks.size() * 12) << z.size();
  // A single short entry does not: it stays raw.
  EXPECT_EQ(EncodeCatalogGroup({Info(1, Key("m", "f"))})[0], kCatalogGroupRaw);
}

TEST(CatalogGroupTest, KeysAreNineBytesBigEndian) {
  const std::string k = CatalogGroupKey(0x0102030405060708ull);
  EXPECT_EQ(k, std::string("\x02\x01\x02\x03\x04\x05\x06\x07\x08", 9));
  SeriesId id = 0;
  ASSERT_TRUE(ParseCatalogGroupKey(k, &id));
  EXPECT_EQ(id, 0x0102030405060708ull);
  EXPECT_FALSE(ParseCatalogGroupKey(k.substr(0, 8), &id));
  EXPECT_FALSE(ParseCatalogGroupKey(std::string(9, '\x01'), &id));
  EXPECT_FALSE(ParseCatalogGroupKey(std::string(32, '\x02'), &id));
  // Groups sort by first id.
  EXPECT_LT(CatalogGroupKey(255), CatalogGroupKey(256));
}

TEST(CatalogGroupTest, EveryTruncationIsCorruption) {
  for (bool compress : {false, true}) {
    const std::string plain = EncodeCatalogGroup(Trucks(10, 1), compress);
    for (size_t n = 0; n < plain.size(); ++n) {
      std::vector<SeriesInfo> got;
      EXPECT_EQ(DecodeCatalogGroup(plain.substr(0, n), 1, &got).code(), StatusCode::kCorruption)
          << "compress " << compress << " length " << n;
    }
    std::vector<SeriesInfo> got;
    EXPECT_EQ(DecodeCatalogGroup(plain + '\0', 1, &got).code(), StatusCode::kCorruption);
  }
}

TEST(CatalogGroupTest, MalformedGroupsAreCorruption) {
  auto bad = [](const std::string& plain, const char* what) {
    std::vector<SeriesInfo> got;
    EXPECT_EQ(DecodeCatalogGroup(plain, 1, &got).code(), StatusCode::kCorruption) << what;
  };
  std::string key;
  PutLengthPrefixed(&key, EncodeSeriesKey(Key("m", "f")));
  bad(std::string("\x02") +
          "\x01"
          "\x01" +
          key,
      "unknown codec");
  bad(std::string("\x00\x00", 2), "count 0");
  bad(std::string("\x00\x01\x05", 3) + key, "type 5");
  bad(std::string("\x00\x01\x00", 3) + key, "type 0");
  bad(std::string("\x00\x01\x01", 3) +
          "\x03"
          "abc",
      "key not canonical");
  std::string loose_key;
  PutLengthPrefixed(&loose_key, EncodeSeriesKey(Key("m", "f")) + "x");
  bad(std::string("\x00\x01\x01", 3) + loose_key, "bytes left inside a key");
  // Mixed tenants.
  std::string mixed("\x00\x02\x00\x01\x01", 5);
  mixed += key;
  PutLengthPrefixed(&mixed, EncodeSeriesKey(Key("m", "f", "other")));
  bad(mixed, "mixed tenants");
  // Id overflow: first id max, gap 0 -> max + 1.
  {
    std::string over("\x00\x02\x00\x01\x01", 5);
    over += key + key;
    std::vector<SeriesInfo> got;
    EXPECT_EQ(DecodeCatalogGroup(over, std::numeric_limits<SeriesId>::max(), &got).code(),
              StatusCode::kCorruption);
  }
  // zstd: raw size 0, above the limit, beyond zstd's expansion, not matching the frame, garbage.
  const std::string z = EncodeCatalogGroup(Trucks(20, 1));
  ASSERT_EQ(z[0], kCatalogGroupZstd);
  std::string_view rest(z);
  rest.remove_prefix(1);
  uint64_t raw_size = 0;
  ASSERT_TRUE(GetVarint64(&rest, &raw_size));
  auto with_size = [&](uint64_t n) {
    std::string s(1, static_cast<char>(kCatalogGroupZstd));
    PutVarint64(&s, n);
    s.append(rest);
    return s;
  };
  bad(with_size(0), "raw size 0");
  bad(with_size(raw_size - 1), "raw size one short");
  bad(with_size(raw_size + 1), "raw size one long");
  bad(with_size(kCatalogGroupMaxRawBytes + 1), "raw size above the limit");
  bad(with_size(rest.size() * 40000), "raw size beyond zstd's expansion");
  bad(with_size(raw_size).substr(0, 1 + VarintLength(raw_size)) + std::string(40, '\x11'),
      "not a frame");
  bad(with_size(raw_size) + with_size(raw_size).substr(1 + VarintLength(raw_size)), "two frames");
}

TEST(CatalogGroupTest, BitFlipsDecodeOrFailButNeverCrash) {
  std::mt19937 rng(5);
  for (bool compress : {false, true}) {
    const auto entries = Trucks(8, 1);
    const std::string plain = EncodeCatalogGroup(entries, compress);
    for (int i = 0; i < 2000; ++i) {
      std::string m = plain;
      m[rng() % m.size()] ^= static_cast<char>(1 << (rng() % 8));
      std::vector<SeriesInfo> got;
      Status st = DecodeCatalogGroup(m, 1, &got);
      if (st.ok()) {
        EXPECT_FALSE(got.empty());
      } else {
        EXPECT_EQ(st.code(), StatusCode::kCorruption);
      }
    }
  }
}

// Writes a version-1 entry exactly as doc/format/catalog.md describes it.
void PutVersionOneEntry(RawDb* raw, keys::KeyProvider* kp, const SeriesInfo& info) {
  std::string v;
  ASSERT_TRUE(raw->db->Get(rocksdb::ReadOptions(), raw->meta(), "index_key_id", &v).ok());
  ASSERT_EQ(v.size(), 4u);
  const keys::DataKey index_key =
      keys::DeriveKey(kp->GetKey(DecodeFixed32(v.data())).value(), "verbund catalog index v1");
  const std::string canonical = EncodeSeriesKey(info.key);
  const auto h = keys::HmacSha256(index_key, canonical);
  const std::string rocks_key(reinterpret_cast<const char*>(h.data()), h.size());
  const keys::KeyId key_id = kp->ActiveKeyId(info.key.tenant).value();
  std::string plain = canonical;
  plain.push_back(static_cast<char>(info.type));
  PutVarint64(&plain, info.id);
  std::string aad = "VBCAT1" + rocks_key;
  PutFixed32(&aad, key_id);
  std::string value;
  PutFixed32(&value, key_id);
  ASSERT_TRUE(keys::Aead::SealTo(kp->GetKey(key_id).value(), aad, plain, &value).ok());
  ASSERT_TRUE(raw->db->Put(rocksdb::WriteOptions(), raw->catalog(), rocks_key, value).ok());
}

TEST(CatalogTest, VersionOneEntriesStillOpenAndCompactIntoOneGroup) {
  TestEngine t(FreshDir("catalog_v1"));
  ASSERT_TRUE(t.Open().ok());  // creates the directory, key file and index key id
  t.Close();
  const std::vector<SeriesInfo> old = {Info(1, Key("m", "f")),
                                       Info(2, Key("m", "g"), ValueType::kInt),
                                       Info(3, Key("m", "f", "acme"))};
  {
    RawDb raw(t.options.dir + "/db");
    for (const auto& info : old) PutVersionOneEntry(&raw, t.keys.get(), info);
    std::string counter;
    PutFixed64(&counter, 4);
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.meta(), "next_series_id", counter).ok());
  }
  auto check = [&](const char* when) {
    for (const auto& info : old) {
      EXPECT_EQ(t->GetOrCreateSeries(info.key, info.type).value(), info.id) << when;
    }
  };
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 2u);
  EXPECT_EQ(t->FindSeries("acme", "m").size(), 1u);
  check("version 1");
  WriteBatch b;
  b.Add(SeriesId{1}, 10, Value(1.5));
  ASSERT_TRUE(t->Write(b).ok());
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "new"), ValueType::kFloat).value(), 4u);
  ASSERT_TRUE(t->Compact().ok());
  t.Close();
  {
    // One group per tenant; no version-1 entry left.
    RawDb raw(t.options.dir + "/db");
    const auto keys = raw.CatalogKeys();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0], CatalogGroupKey(1));  // t1: 1, 2, 4
    EXPECT_EQ(keys[1], CatalogGroupKey(3));  // acme: 3
  }
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 3u);
  check("compacted");
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "new"), ValueType::kFloat).value(), 4u);
  EXPECT_EQ(ReadFloats(t.engine.get(), 1),
            (std::vector<std::pair<TimestampNs, double>>{{10, 1.5}}));
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "newer"), ValueType::kFloat).value(), 5u);
}

TEST(CatalogTest, SmallGroupsCompactIntoFullGroupsAndFullOnesStay) {
  TestEngine t(FreshDir("catalog_groups"));
  ASSERT_TRUE(t.Open().ok());
  // One group per creation call.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(t->GetOrCreateSeries(Key("m", "f" + std::to_string(i)), ValueType::kFloat).value(),
              static_cast<SeriesId>(i + 1));
  }
  // One batch creating more than a group holds: 4096 + 14 entries.
  WriteBatch b;
  const size_t many = kCatalogGroupMaxEntries + 14;
  for (size_t i = 0; i < many; ++i) b.Add(Key("n", "f" + std::to_string(i)), 1, Value(1.0));
  ASSERT_TRUE(t->Write(b).ok());
  t.Close();
  EXPECT_EQ(RawDb(t.options.dir + "/db").CatalogKeys().size(), 42u);
  const SeriesId extra = static_cast<SeriesId>(41 + many);
  for (bool reopen : {true, false}) {
    // Full groups are known as such both from the open and from the write that made them.
    ASSERT_TRUE(t.Open().ok());
    if (!reopen) {
      WriteBatch full;
      for (size_t i = 0; i < kCatalogGroupMaxEntries; ++i) {
        full.Add(Key("o", "f" + std::to_string(i)), 1, Value(1.0));
      }
      ASSERT_TRUE(t->Write(full).ok());
    }
    ASSERT_TRUE(t->Compact().ok());
    t.Close();
    // The full groups (ids 41..4136, then extra..) stay; the small ones become one.
    const auto keys = RawDb(t.options.dir + "/db").CatalogKeys();
    ASSERT_EQ(keys.size(), reopen ? 2u : 3u);
    EXPECT_EQ(keys[0], CatalogGroupKey(1));
    EXPECT_EQ(keys[1], CatalogGroupKey(41));
    if (!reopen) {
      EXPECT_EQ(keys[2], CatalogGroupKey(extra));
    }
  }
  ASSERT_TRUE(t.Open().ok());
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f" + std::to_string(i)), ValueType::kFloat).value(),
              static_cast<SeriesId>(i + 1));
  }
  for (size_t i = 0; i < many; i += 97) {
    EXPECT_EQ(t->GetOrCreateSeries(Key("n", "f" + std::to_string(i)), ValueType::kFloat).value(),
              static_cast<SeriesId>(41 + i));
  }
  EXPECT_EQ(t->FindSeries("t1", "n").size(), many);
  EXPECT_EQ(t->FindSeries("t1", "o").size(), kCatalogGroupMaxEntries);
  EXPECT_EQ(t->GetOrCreateSeries(Key("o", "f7"), ValueType::kFloat).value(), extra + 7);
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "last"), ValueType::kFloat).value(),
            extra + kCatalogGroupMaxEntries);
}

TEST(CatalogTest, LockedTenantSeriesAreFoundAfterUnlockAndSurviveCompaction) {
  TestEngine t(FreshDir("catalog_locked"));
  ASSERT_TRUE(t.Open().ok());
  WriteBatch b;
  for (int i = 0; i < 3; ++i) {
    b.Add(Key("m", "f" + std::to_string(i), "acme"), 100 + i, Value(i * 1.0));
    b.Add(Key("m", "f" + std::to_string(i), "t1"), 100 + i, Value(i * 2.0));
  }
  ASSERT_TRUE(t->Write(b).ok());
  const SeriesId acme1 = t->GetOrCreateSeries(Key("m", "f1", "acme"), ValueType::kFloat).value();
  // A second small acme group.
  const SeriesId acme9 = t->GetOrCreateSeries(Key("m", "f9", "acme"), ValueType::kFloat).value();
  t.Close();
  t.keys->Lock("acme");
  ASSERT_TRUE(t.Open().ok());
  EXPECT_TRUE(t->FindSeries("acme", "m").empty());
  EXPECT_EQ(t->FindSeries("t1", "m").size(), 3u);
  // Compaction leaves the locked tenant's records alone, creation for it is refused.
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f1", "acme"), ValueType::kFloat).status().code(),
            StatusCode::kFailedPrecondition);
  t.keys->Unlock("acme");
  // Found again with the old ids (not created anew).
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f1", "acme"), ValueType::kFloat).value(), acme1);
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f9", "acme"), ValueType::kFloat).value(), acme9);
  ASSERT_TRUE(t->Compact().ok());
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f2", "acme"), ValueType::kFloat).value(), acme1 + 2);
  t.Close();
  ASSERT_TRUE(t.Open().ok());
  EXPECT_EQ(t->FindSeries("acme", "m").size(), 4u);
  EXPECT_EQ(t->GetOrCreateSeries(Key("m", "f9", "acme"), ValueType::kFloat).value(), acme9);
  EXPECT_EQ(ReadFloats(t.engine.get(), acme1),
            (std::vector<std::pair<TimestampNs, double>>{{101, 1.0}}));
}

}  // namespace
}  // namespace verbund::storage
