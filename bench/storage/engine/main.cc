// Storage engine benchmark: ingest rate, bytes per value on disk and aggregation time.
//
//   verbund_storage_bench gen    --trucks N --hours H [--seed S]        > data.lp
//       TSBS-IoT-shaped line protocol (stand-in while tools/tsbs is not built)
//   verbund_storage_bench ingest --file data.lp --dir D [--fsync always|interval|never]
//                                [--batch 10000] [--threads 1] [--keyed 1]
//       parses the file (untimed), writes it in batches of ~batch values (timed), then Flush +
//       Compact and prints values/s and bytes/value (every file under D); --keyed 1 builds the
//       batches with full SeriesKeys instead of ids from GetOrCreateSeries
//   verbund_storage_bench agg    --points 100000000 --series 1000 --dir D [--threads 2]
//       writes series at a 10 s interval, then times mean() with 1-minute buckets over all of
//       them, series split across threads; --reuse 1 opens D as the last run left it
//       (agg_open_seconds: how long opening it took)
//
// Output lines are "key: value" so bench/storage/run.sh can pick them up.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "keys/file_key_provider.h"
#include "storage/engine.h"

namespace verbund::bench {
namespace {

using storage::Engine;
using storage::SeriesId;
using storage::SeriesKey;
using storage::Value;

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int from) {
  std::map<std::string, std::string> f;
  for (int i = from; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) == 0) f[argv[i] + 2] = argv[i + 1];
  }
  return f;
}

std::string Flag(const std::map<std::string, std::string>& f, const std::string& k,
                 const std::string& def) {
  auto it = f.find(k);
  return it == f.end() ? def : it->second;
}

// CPU seconds (user + system) of the whole process so far; wall time on a shared machine
// overstates cost when other jobs compete for the cores.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// --- gen: TSBS IoT-shaped data (readings + diagnostics per truck every 10 s).
int Gen(const std::map<std::string, std::string>& f) {
  const int trucks = std::stoi(Flag(f, "trucks", "100"));
  const double hours = std::stod(Flag(f, "hours", "24"));
  std::mt19937_64 rng(std::stoull(Flag(f, "seed", "123")));
  std::uniform_real_distribution<double> u(0, 1);
  const char* fleets[] = {"East", "West", "North", "South"};
  const char* drivers[] = {"Trish", "Albert", "Derek", "Rodney", "Seth", "Andy"};
  const char* models[] = {"F-150", "G-2000", "H-2"};
  struct Truck {
    std::string tags;
    double lat, lon, elev, vel, head, grade, fuel_cons, fuel_state, load;
  };
  std::vector<Truck> ts(trucks);
  for (int i = 0; i < trucks; ++i) {
    char tags[256];
    std::snprintf(tags, sizeof tags,
                  "name=truck_%d,fleet=%s,driver=%s,model=%s,device_version=v1.%d,"
                  "load_capacity=%d,fuel_capacity=%d,nominal_fuel_consumption=%d",
                  i, fleets[rng() % 4], drivers[rng() % 6], models[rng() % 3],
                  static_cast<int>(rng() % 5), 1000 + 500 * static_cast<int>(rng() % 3),
                  100 + 50 * static_cast<int>(rng() % 3), 5 + static_cast<int>(rng() % 20));
    ts[i] = {tags, u(rng) * 180 - 90, u(rng) * 360 - 180, std::floor(u(rng) * 500), 0,
             std::floor(u(rng) * 360), 0, 20, 1.0, 0};
  }
  const int64_t start = 1451606400000000000;  // 2016-01-01, as TSBS
  const int64_t steps = static_cast<int64_t>(hours * 360);
  auto walk = [&](double v, double step, double lo, double hi) {
    v += (u(rng) - 0.5) * 2 * step;
    return std::min(hi, std::max(lo, v));
  };
  std::string out;
  out.reserve(1 << 20);
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = start + s * 10'000'000'000;
    for (auto& k : ts) {
      k.lat = walk(k.lat, 0.005, -90, 90);
      k.lon = walk(k.lon, 0.005, -180, 180);
      k.elev = std::round(walk(k.elev, 5, 0, 5000));
      k.vel = std::round(walk(k.vel, 5, 0, 100));
      k.head = std::round(walk(k.head, 5, 0, 359));
      k.grade = std::round(walk(k.grade, 5, 0, 100));
      k.fuel_cons = std::round(walk(k.fuel_cons, 2, 0, 50));
      k.fuel_state = std::round(walk(k.fuel_state, 0.01, 0, 1) * 100) / 100;
      k.load = std::round(walk(k.load, 50, 0, 5000));
      char line[512];
      int n = std::snprintf(line, sizeof line,
                            "readings,%s latitude=%.5f,longitude=%.5f,elevation=%.0f,velocity=%.0f,"
                            "heading=%.0f,grade=%.0f,fuel_consumption=%.0f %lld\n",
                            k.tags.c_str(), k.lat, k.lon, k.elev, k.vel, k.head, k.grade,
                            k.fuel_cons, static_cast<long long>(t));
      out.append(line, n);
      n = std::snprintf(line, sizeof line,
                        "diagnostics,%s fuel_state=%.2f,current_load=%.0f,status=%di %lld\n",
                        k.tags.c_str(), k.fuel_state, k.load, static_cast<int>(rng() % 5 == 0),
                        static_cast<long long>(t));
      out.append(line, n);
    }
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// --- minimal line protocol parser (enough for TSBS output: no escapes in names).
struct Point {
  SeriesId id;
  int64_t ts;
  Value value;
};

bool ParseValue(std::string_view v, Value* out) {
  if (v.empty()) return false;
  if (v.front() == '"') {
    *out = std::string(v.substr(1, v.size() >= 2 ? v.size() - 2 : 0));
  } else if (v.back() == 'i') {
    *out = static_cast<int64_t>(std::strtoll(std::string(v.substr(0, v.size() - 1)).c_str(), nullptr, 10));
  } else if (v == "true" || v == "t" || v == "false" || v == "f") {
    *out = (v[0] == 't');
  } else {
    *out = std::strtod(std::string(v).c_str(), nullptr);
  }
  return true;
}

Status LoadPoints(Engine* e, const std::string& path, const std::string& tenant,
                  std::vector<Point>* points, std::unordered_map<SeriesId, SeriesKey>* keys) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::unordered_map<std::string, SeriesId> ids;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) continue;
    std::string_view head(line.data(), sp1);
    std::string_view fields(line.data() + sp1 + 1, sp2 - sp1 - 1);
    const int64_t ts = std::strtoll(line.c_str() + sp2 + 1, nullptr, 10);
    size_t pos = 0;
    while (pos <= fields.size()) {
      size_t comma = fields.find(',', pos);
      if (comma == std::string_view::npos) comma = fields.size();
      std::string_view kv = fields.substr(pos, comma - pos);
      pos = comma + 1;
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      Value v;
      if (!ParseValue(kv.substr(eq + 1), &v)) continue;
      std::string cache_key(head);
      cache_key.push_back(' ');
      cache_key.append(kv.substr(0, eq));
      auto it = ids.find(cache_key);
      if (it == ids.end()) {
        SeriesKey key;
        key.tenant = tenant;
        size_t c = head.find(',');
        key.measurement = std::string(head.substr(0, c));
        while (c != std::string_view::npos) {
          size_t next = head.find(',', c + 1);
          std::string_view tag = head.substr(c + 1, next == std::string_view::npos ? next : next - c - 1);
          size_t teq = tag.find('=');
          if (teq != std::string_view::npos) key.tags.emplace_back(tag.substr(0, teq), tag.substr(teq + 1));
          c = next;
        }
        key.field = std::string(kv.substr(0, eq));
        key.Normalize();
        auto id = e->GetOrCreateSeries(key, storage::TypeOf(v));
        if (!id.ok()) return id.status();
        (*keys)[*id] = key;
        it = ids.emplace(std::move(cache_key), *id).first;
      }
      points->push_back({it->second, ts, std::move(v)});
    }
  }
  return Status::OK();
}

struct Opened {
  std::unique_ptr<keys::FileKeyProvider> keys;
  std::unique_ptr<Engine> engine;
};

Result<Opened> OpenEngine(const std::string& dir, FsyncPolicy fsync) {
  Opened o;
  ASSIGN_OR_RETURN(o.keys, keys::FileKeyProvider::Open(dir + "/keys/local.key"));
  storage::EngineOptions eo;
  eo.dir = dir;
  eo.fsync = fsync;
  eo.keys = o.keys.get();
  eo.head_memory_bytes = 512ull << 20;
  ASSIGN_OR_RETURN(o.engine, Engine::Open(eo));
  return o;
}

FsyncPolicy ParseFsync(const std::string& s) {
  if (s == "always") return FsyncPolicy::kAlways;
  if (s == "never") return FsyncPolicy::kNever;
  return FsyncPolicy::kInterval;
}

int Ingest(const std::map<std::string, std::string>& f) {
  const std::string dir = Flag(f, "dir", "/tmp/verbund-bench");
  const size_t batch = std::stoul(Flag(f, "batch", "10000"));
  const int threads = std::stoi(Flag(f, "threads", "1"));
  std::filesystem::remove_all(dir);
  auto opened = OpenEngine(dir, ParseFsync(Flag(f, "fsync", "interval")));
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Engine* e = opened->engine.get();
  std::vector<Point> points;
  std::unordered_map<SeriesId, SeriesKey> keys;
  const bool keyed = Flag(f, "keyed", "0") == "1";
  Status st = LoadPoints(e, Flag(f, "file", "data.lp"), "bench", &points, &keys);
  if (!st.ok()) {
    std::fprintf(stderr, "load: %s\n", st.ToString().c_str());
    return 1;
  }
  // Prebuild batches (building is the caller's job; the engine's cost is Write()).
  std::vector<storage::WriteBatch> batches((points.size() + batch - 1) / batch);
  for (size_t i = 0; i < points.size(); ++i) {
    auto& b = batches[i / batch];
    if (b.empty()) b.Reserve(batch);
    if (keyed) {
      b.Add(keys[points[i].id], points[i].ts, std::move(points[i].value));
    } else {
      b.Add(points[i].id, points[i].ts, std::move(points[i].value));
    }
  }
  points.clear();
  points.shrink_to_fit();
  size_t total = 0;
  for (auto& b : batches) total += b.size();
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const double cpu0 = CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ws;
  for (int t = 0; t < threads; ++t) {
    ws.emplace_back([&] {
      for (size_t i = next++; i < batches.size(); i = next++) {
        Status s = e->Write(batches[i]);
        if (!s.ok()) {
          std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
          failed = true;
          return;
        }
      }
    });
  }
  for (auto& w : ws) w.join();
  auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = CpuSeconds();
  if (failed) return 1;
  st = e->Flush();
  auto t2 = std::chrono::steady_clock::now();
  if (st.ok()) st = e->Compact();
  auto t3 = std::chrono::steady_clock::now();
  if (!st.ok()) {
    std::fprintf(stderr, "flush/compact: %s\n", st.ToString().c_str());
    return 1;
  }
  storage::EngineStats stats = e->Stats();
  opened->engine.reset();
  const uint64_t bytes = DirBytes(dir);
  // Where the disk bytes go: every file, largest first (to stderr, so scripts keep parsing stdout).
  std::vector<std::pair<uint64_t, std::string>> files;
  for (auto& de : std::filesystem::recursive_directory_iterator(dir)) {
    if (de.is_regular_file()) files.emplace_back(de.file_size(), de.path().string());
  }
  std::sort(files.rbegin(), files.rend());
  for (const auto& [size, path] : files) {
    std::fprintf(stderr, "  file %10llu  %s\n", static_cast<unsigned long long>(size),
                 path.c_str());
  }
  std::printf("values: %zu\nseries: %llu\nwrite_seconds: %.3f\nvalues_per_second: %.0f\n", total,
              static_cast<unsigned long long>(stats.series), Seconds(t0, t1),
              total / Seconds(t0, t1));
  std::printf("write_cpu_seconds: %.3f\n", cpu1 - cpu0);
  std::printf("flush_seconds: %.3f\ncompact_seconds: %.3f\nwal_fsyncs: %llu\n", Seconds(t1, t2),
              Seconds(t2, t3), static_cast<unsigned long long>(stats.wal_fsyncs));
  std::printf("disk_bytes: %llu\nbytes_per_value: %.4f\n", static_cast<unsigned long long>(bytes),
              static_cast<double>(bytes) / total);
  return 0;
}

int Agg(const std::map<std::string, std::string>& f) {
  const std::string dir = Flag(f, "dir", "/tmp/verbund-bench-agg");
  const uint64_t points = std::stoull(Flag(f, "points", "100000000"));
  const int series = std::stoi(Flag(f, "series", "1000"));
  const int threads = std::stoi(Flag(f, "threads", "2"));
  const bool reuse = Flag(f, "reuse", "0") == "1";
  if (!reuse) std::filesystem::remove_all(dir);
  const auto open0 = std::chrono::steady_clock::now();
  auto opened = OpenEngine(dir, FsyncPolicy::kNever);
  const double open_seconds = Seconds(open0, std::chrono::steady_clock::now());
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Engine* e = opened->engine.get();
  const int64_t per = static_cast<int64_t>(points / series);
  const int64_t start = 1451606400000000000, step = 10'000'000'000;
  std::vector<SeriesId> ids;
  for (int s = 0; s < series; ++s) {
    SeriesKey k{"bench", "agg", {{"id", std::to_string(s)}}, "v"};
    ids.push_back(e->GetOrCreateSeries(k, storage::ValueType::kFloat).value());
  }
  auto t0 = std::chrono::steady_clock::now();
  if (!reuse) {
    std::mt19937_64 rng(1);
    std::vector<double> level(series, 50);
    storage::WriteBatch b;
    b.Reserve(10000);
    for (int64_t i = 0; i < per; ++i) {
      for (int s = 0; s < series; ++s) {
        level[s] += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 10;
        b.Add(ids[s], start + i * step, Value(std::round(level[s] * 10) / 10));
        if (b.size() >= 10000) {
          if (Status st = e->Write(b); !st.ok()) {
            std::fprintf(stderr, "write: %s\n", st.ToString().c_str());
            return 1;
          }
          b.Clear();
        }
      }
    }
    if (!b.empty() && !e->Write(b).ok()) return 1;
    if (!e->Flush().ok() || !e->Compact().ok()) return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<uint64_t> counted{0};
  std::atomic<bool> failed{false};
  const double cpu0 = CpuSeconds();
  auto t2 = std::chrono::steady_clock::now();
  std::vector<std::thread> ws;
  for (int t = 0; t < threads; ++t) {
    ws.emplace_back([&] {
      for (int s = next++; s < series; s = next++) {
        auto r = e->Aggregate(ids[s], start, start + per * step, 60'000'000'000, 0);
        if (!r.ok()) {
          std::fprintf(stderr, "aggregate: %s\n", r.status().ToString().c_str());
          failed = true;
          return;
        }
        uint64_t c = 0;
        for (const auto& a : *r) c += a.count;
        counted += c;
      }
    });
  }
  for (auto& w : ws) w.join();
  auto t3 = std::chrono::steady_clock::now();
  if (failed) return 1;
  std::printf("agg_points: %llu\nagg_series: %d\nagg_load_seconds: %.3f\n",
              static_cast<unsigned long long>(counted.load()), series, Seconds(t0, t1));
  std::printf("agg_disk_bytes_per_value: %.4f\n",
              static_cast<double>(e->Stats().disk_bytes) / static_cast<double>(per * series));
  std::printf("agg_mean_1m_seconds: %.3f\nagg_cpu_seconds: %.3f\nagg_threads: %d\n",
              Seconds(t2, t3), CpuSeconds() - cpu0, threads);
  // With --reuse 1: opening the store written before (catalog, chunk directory, WAL replay).
  std::printf("agg_open_seconds: %.3f\n", open_seconds);
  return 0;
}

}  // namespace
}  // namespace verbund::bench

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s gen|ingest|agg [--flag value]...\n", argv[0]);
    return 2;
  }
  const std::string cmd = argv[1];
  auto flags = verbund::bench::ParseFlags(argc, argv, 2);
  if (cmd == "gen") return verbund::bench::Gen(flags);
  if (cmd == "ingest") return verbund::bench::Ingest(flags);
  if (cmd == "agg") return verbund::bench::Agg(flags);
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
