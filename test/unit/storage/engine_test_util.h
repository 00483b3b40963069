// Shared helpers for the storage engine tests: temporary directories and opening an engine
// with a local key file.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keys/file_key_provider.h"
#include "storage/engine.h"

namespace verbund::storage::testing {

constexpr TimestampNs kAll0 = std::numeric_limits<TimestampNs>::min();
constexpr TimestampNs kAll1 = std::numeric_limits<TimestampNs>::max();

// Reads a float series (all of it by default) as (time, value) pairs.
inline std::vector<std::pair<TimestampNs, double>> ReadFloats(
    Engine* e, SeriesId id, TimestampNs from = kAll0, TimestampNs to = kAll1,
    ScanOrder order = ScanOrder::kAscending, size_t limit = 0) {
  auto r = e->Read(id, from, to, order, limit);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::pair<TimestampNs, double>> out;
  if (!r.ok()) return out;
  const auto& v = std::get<std::vector<double>>(r->values);
  for (size_t i = 0; i < r->ts.size(); ++i) out.emplace_back(r->ts[i], v[i]);
  return out;
}

inline std::string FreshDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("verbund_engine_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline SeriesKey Key(std::string measurement, std::string field, std::string tenant = "t1",
                     std::vector<Tag> tags = {{"host", "a"}}) {
  SeriesKey k{std::move(tenant), std::move(measurement), std::move(tags), std::move(field)};
  k.Normalize();
  return k;
}

// An engine plus the key provider it borrows; reopenable.
struct TestEngine {
  std::string dir;
  EngineOptions options;
  std::unique_ptr<keys::FileKeyProvider> keys;
  std::unique_ptr<Engine> engine;

  explicit TestEngine(std::string d, uint32_t chunk_points = 64, bool background = false)
      : dir(std::move(d)) {
    options.dir = dir + "/data";
    options.fsync = FsyncPolicy::kNever;
    options.chunk_max_points = chunk_points;
    options.background_threads = background;
  }
  Status Open() {
    if (!keys) {
      auto k = keys::FileKeyProvider::Open(options.dir + "/keys/local.key");
      if (!k.ok()) return k.status();
      keys = std::move(k).value();
    }
    options.keys = keys.get();
    auto e = Engine::Open(options);
    if (!e.ok()) return e.status();
    engine = std::move(e).value();
    return Status::OK();
  }
  void Close() { engine.reset(); }
  Engine* operator->() { return engine.get(); }
};

// Equal lists of series (id, type and key), naming the first index that differs.
inline void ExpectSameSeries(const std::vector<SeriesInfo>& a, const std::vector<SeriesInfo>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << i;
    EXPECT_EQ(a[i].type, b[i].type) << i;
    EXPECT_EQ(a[i].key, b[i].key) << i;
  }
}

}  // namespace verbund::storage::testing
