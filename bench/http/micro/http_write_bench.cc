// CPU cost per value of the HTTP /write path without the network: TSBS IoT bodies of 1000 and 5000
// lines (100 trucks x 2 h) parsed by ParseLineProtocol (with and without the repeated-series fast
// path) and mapped to series ids of a real engine by MapPoints.
//
//   build/bench/http/micro/http_write_bench [--benchmark_filter=...]
// items_per_second = values (fields) per second on one core.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "http/point_mapping.h"
#include "ingest/line_protocol.h"
#include "ingest/series_cache.h"
#include "keys/file_key_provider.h"
#include "storage/engine.h"
#include "tools/tsbs/iot_generator.h"

namespace verbund {
namespace {

struct Bodies {
  std::vector<std::string> bodies;
  size_t values = 0;
};

// Bodies of `lines` lines each (cached per size).
const Bodies& TsbsBodies(size_t lines_per_body) {
  static std::map<size_t, Bodies> cache;
  auto [it, fresh] = cache.try_emplace(lines_per_body);
  if (!fresh) return it->second;
  it->second = [&] {
    tsbs::IotOptions o;
    o.trucks = 100;
    o.end = o.start + 2 * 3'600'000'000'000;
    tsbs::IotGenerator gen(o);
    tsbs::Row row;
    Bodies out;
    std::string body;
    size_t lines = 0;
    while (gen.Next(&row)) {
      tsbs::AppendLineProtocol(row, &body);
      out.values += row.fields.size();
      if (++lines == lines_per_body) {
        out.bodies.push_back(std::move(body));
        body.clear();
        lines = 0;
      }
    }
    if (!body.empty()) out.bodies.push_back(std::move(body));
    return out;
  }();
  return it->second;
}

void Parse(benchmark::State& state, bool reuse_series) {
  const Bodies& b = TsbsBodies(static_cast<size_t>(state.range(0)));
  ingest::ParseOptions po;
  po.reuse_series = reuse_series;
  for (auto _ : state) {
    for (const std::string& body : b.bodies) {
      ingest::ParsedBatch parsed = ingest::ParseLineProtocol(body, po);
      benchmark::DoNotOptimize(parsed.points().data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.values));
}
void BM_ParseLineProtocol(benchmark::State& state) { Parse(state, true); }
void BM_ParseLineProtocolGeneralPath(benchmark::State& state) { Parse(state, false); }
BENCHMARK(BM_ParseLineProtocol)->Unit(benchmark::kMillisecond)->Arg(1000)->Arg(5000);
BENCHMARK(BM_ParseLineProtocolGeneralPath)->Unit(benchmark::kMillisecond)->Arg(1000)->Arg(5000);

// Parse + MapPoints against a real engine (series created before the clock starts, then resolved
// through the shared cache and the per-request memo, as on a running hub).
void BM_ParseAndMap(benchmark::State& state) {
  const Bodies& b = TsbsBodies(static_cast<size_t>(state.range(0)));
  const std::string dir = "/tmp/http_write_bench." + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  auto keys = keys::FileKeyProvider::Open(dir + "/keys/local.key");
  if (!keys.ok()) return state.SkipWithError(keys.status().ToString().c_str());
  storage::EngineOptions eo;
  eo.dir = dir;
  eo.keys = keys->get();
  auto engine = storage::Engine::Open(eo);
  if (!engine.ok()) return state.SkipWithError(engine.status().ToString().c_str());
  {
    ingest::SeriesIdCache cache(engine->get());
    ingest::ParseOptions po;
    for (const std::string& body : b.bodies) {  // creates the series (a synced catalog write each)
      http::MapPoints(ingest::ParseLineProtocol(body, po), "benchmark", engine->get(), &cache);
    }
    for (auto _ : state) {
      for (const std::string& body : b.bodies) {
        ingest::ParsedBatch parsed = ingest::ParseLineProtocol(body, po);
        http::MappedWrite mapped = http::MapPoints(parsed, "benchmark", engine->get(), &cache);
        benchmark::DoNotOptimize(mapped.batch.size());
      }
    }
  }
  engine->reset();
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * b.values));
}
BENCHMARK(BM_ParseAndMap)->Unit(benchmark::kMillisecond)->Arg(1000)->Arg(5000);

}  // namespace
}  // namespace verbund

BENCHMARK_MAIN();
