// Golden catalog records (doc/format/catalog.md).
//   v2_group_raw.bin     the worked example: group plaintext, codec 0. Must decode to the
//                        entries below and re-encode to identical bytes.
//   v2_group_zstd.bin    group plaintext, codec 1 (zstd): must decode to the entries below
//                        (decode only: another zstd release may compress differently).
//   v2_group_record.bin  RocksDB key (9) | value of a sealed group under the fixed test key;
//   v1_entry_record.bin  RocksDB key (32) | value of a sealed version-1 entry: both must open
//                        and decode (decode only: nonces are random).
// Regenerate (only for a deliberate format change; keep old files as decode-only goldens) with
//   VERBUND_UPDATE_GOLDEN=1 storage_catalog_golden_test
#include <gtest/gtest.h>

#include "core/coding.h"
#include "golden/golden_file.h"
#include "keys/aead.h"
#include "storage/catalog.h"
#include "storage/catalog_format.h"
#include "unit/storage/engine_test_util.h"

namespace verbund::storage {
namespace {

using testing::ExpectSameSeries;

constexpr keys::KeyId kKeyId = 3;

keys::DataKey FixedKey() {
  keys::DataKey k;
  for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<uint8_t>(i);
  return k;
}

SeriesKey Key(std::string tenant, std::string measurement, std::vector<Tag> tags,
              std::string field) {
  SeriesKey k{std::move(tenant), std::move(measurement), std::move(tags), std::move(field)};
  k.Normalize();
  return k;
}

std::vector<SeriesInfo> ExampleEntries() {
  return {SeriesInfo{5, Key("t1", "m", {{"host", "a"}}, "f"), ValueType::kFloat},
          SeriesInfo{7, Key("t1", "m", {{"host", "a"}}, "g"), ValueType::kInt}};
}

// 20 TSBS-like trucks x 4 fields, ids from 11 with a gap after every truck.
std::vector<SeriesInfo> TruckEntries() {
  std::vector<SeriesInfo> out;
  SeriesId id = 11;
  for (int t = 0; t < 20; ++t) {
    for (const char* f : {"latitude", "longitude", "fuel_state", "status"}) {
      out.push_back(SeriesInfo{id++,
                               Key("bench", "readings",
                                   {{"name", "truck_" + std::to_string(t)},
                                    {"fleet", t % 3 ? "South" : "North"},
                                    {"model", "F-150"},
                                    {"device_version", "v1.0"}},
                                   f),
                               std::string(f) == "status" ? ValueType::kInt : ValueType::kFloat});
    }
    id += 2;
  }
  return out;
}

std::string Path(const char* file) { return golden::Path("catalog", file); }

TEST(CatalogGoldenTest, RawGroupDecodesAndReencodesToIdenticalBytes) {
  const std::string encoded = EncodeCatalogGroup(ExampleEntries(), /*compress=*/false);
  if (golden::Updating()) golden::Write(Path("v2_group_raw.bin"), encoded);
  const std::string golden = golden::Read(Path("v2_group_raw.bin"));
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(golden, encoded);
  std::vector<SeriesInfo> got;
  ASSERT_TRUE(DecodeCatalogGroup(golden, 5, &got).ok());
  ExpectSameSeries(got, ExampleEntries());
}

TEST(CatalogGoldenTest, ZstdGroupDecodes) {
  if (golden::Updating())
    golden::Write(Path("v2_group_zstd.bin"), EncodeCatalogGroup(TruckEntries()));
  const std::string golden = golden::Read(Path("v2_group_zstd.bin"));
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(golden[0], kCatalogGroupZstd);
  std::vector<SeriesInfo> got;
  ASSERT_TRUE(DecodeCatalogGroup(golden, 11, &got).ok());
  ExpectSameSeries(got, TruckEntries());
  // The current writer still produces a zstd group no larger than this one plus a margin.
  EXPECT_LE(EncodeCatalogGroup(TruckEntries()).size(), golden.size() + golden.size() / 10);
}

TEST(CatalogGoldenTest, SealedGroupRecordOpens) {
  if (golden::Updating()) {
    const std::string k = CatalogGroupKey(11);
    std::string value;
    PutFixed32(&value, kKeyId);
    ASSERT_TRUE(keys::Aead::SealTo(FixedKey(), CatalogGroupAad(k, kKeyId),
                                   EncodeCatalogGroup(TruckEntries()), &value)
                    .ok());
    golden::Write(Path("v2_group_record.bin"), k + value);
  }
  const std::string golden = golden::Read(Path("v2_group_record.bin"));
  ASSERT_GT(golden.size(), kCatalogGroupKeyBytes + 4);
  const std::string_view k = std::string_view(golden).substr(0, kCatalogGroupKeyBytes);
  const std::string_view value = std::string_view(golden).substr(kCatalogGroupKeyBytes);
  SeriesId first = 0;
  ASSERT_TRUE(ParseCatalogGroupKey(k, &first));
  EXPECT_EQ(first, 11u);
  ASSERT_EQ(DecodeFixed32(value.data()), kKeyId);
  auto plain = keys::Aead::Open(FixedKey(), CatalogGroupAad(k, kKeyId), value.substr(4));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  std::vector<SeriesInfo> got;
  ASSERT_TRUE(DecodeCatalogGroup(*plain, first, &got).ok());
  ExpectSameSeries(got, TruckEntries());
  // Bound to its key and key id.
  EXPECT_FALSE(
      keys::Aead::Open(FixedKey(), CatalogGroupAad(CatalogGroupKey(12), kKeyId), value.substr(4))
          .ok());
  EXPECT_FALSE(keys::Aead::Open(FixedKey(), CatalogGroupAad(k, kKeyId + 1), value.substr(4)).ok());
}

TEST(CatalogGoldenTest, VersionOneEntryRecordStillOpens) {
  const SeriesInfo entry = ExampleEntries()[0];
  const keys::DataKey index_key = keys::DeriveKey(FixedKey(), "verbund catalog index v1");
  if (golden::Updating()) {
    const auto h = keys::HmacSha256(index_key, EncodeSeriesKey(entry.key));
    const std::string k(reinterpret_cast<const char*>(h.data()), h.size());
    std::string plain = EncodeSeriesKey(entry.key);
    plain.push_back(static_cast<char>(entry.type));
    PutVarint64(&plain, entry.id);
    std::string value;
    PutFixed32(&value, kKeyId);
    ASSERT_TRUE(keys::Aead::SealTo(FixedKey(), CatalogEntryAad(k, kKeyId), plain, &value).ok());
    golden::Write(Path("v1_entry_record.bin"), k + value);
  }
  const std::string golden = golden::Read(Path("v1_entry_record.bin"));
  ASSERT_GT(golden.size(), kCatalogEntryKeyBytes + 4);
  const std::string_view k = std::string_view(golden).substr(0, kCatalogEntryKeyBytes);
  const std::string_view value = std::string_view(golden).substr(kCatalogEntryKeyBytes);
  const auto h = keys::HmacSha256(index_key, EncodeSeriesKey(entry.key));
  EXPECT_EQ(k, std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
  ASSERT_EQ(DecodeFixed32(value.data()), kKeyId);
  auto plain = keys::Aead::Open(FixedKey(), CatalogEntryAad(k, kKeyId), value.substr(4));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  SeriesInfo got;
  ASSERT_TRUE(DecodeCatalogEntry(*plain, &got).ok());
  ExpectSameSeries({got}, {entry});
}

}  // namespace
}  // namespace verbund::storage
