// Chunk encoder/decoder micro-benchmarks on the TSBS IoT data set (tools/tsbs): per field,
// encode and decode speed (values/s, decoded MB/s) and bytes per value, with chunks of 1024
// points (the engine's default chunk_max_points).
//
//   storage_micro_bench [--trucks=100] [--hours=24] [--chunk=1024] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/coding.h"
#include "storage/chunk_codec.h"
#include "storage/encoding/float_codec.h"
#include "storage/encoding/int_codec.h"
#include "storage/encoding/timestamp_codec.h"
#include "tools/tsbs/iot_generator.h"

namespace {

using verbund::storage::DecodedChunk;
using verbund::storage::ValueColumn;

constexpr size_t kChunkPoints = 1024;
// The engine's compaction merges sealed chunks up to 8 x chunk_max_points.
constexpr size_t kCompactedChunkPoints = 8 * kChunkPoints;
// Chunk size of the encode/decode benchmarks (--chunk=N; default: the sealed size).
size_t g_chunk_points = kChunkPoints;

struct Field {
  std::string name;  // measurement.field
  // Whole series, for the breakdown at other chunk sizes.
  std::vector<std::vector<int64_t>> series_ts;
  std::vector<ValueColumn> series_values;
  // One entry per chunk.
  std::vector<std::vector<int64_t>> ts;
  std::vector<ValueColumn> values;
  std::vector<std::string> encoded;
  size_t points = 0;
  size_t bytes = 0;
  size_t gorilla_bytes = 0;  // the same floats, Gorilla only (reference)
};

uint32_t g_trucks = 100;
int g_hours = 24;

std::vector<Field>& Fields() {
  static std::vector<Field> fields = [] {
    verbund::tsbs::IotOptions opt;
    opt.trucks = g_trucks;
    opt.end = opt.start + int64_t{g_hours} * 3'600'000'000'000;
    verbund::tsbs::IotGenerator gen(opt);
    // Series (truck, field) -> samples, in time order.
    struct Series {
      std::vector<int64_t> ts;
      std::vector<double> f;
      std::vector<int64_t> i;
      bool is_int = false;
    };
    std::map<std::string, std::map<std::string, Series>> by_field;
    gen.ForEach([&](const verbund::tsbs::Row& row) {
      for (const auto& fv : row.fields) {
        std::string key = std::string(row.measurement) + "." + std::string(fv.name);
        Series& s = by_field[key][row.tags[0].second];
        s.ts.push_back(row.ts);
        s.is_int = fv.is_int;
        if (fv.is_int) {
          s.i.push_back(fv.i);
        } else {
          s.f.push_back(fv.f);
        }
      }
    });
    std::vector<Field> out;
    for (auto& [name, series] : by_field) {
      Field field;
      field.name = name;
      for (auto& [truck, s] : series) {
        field.series_ts.push_back(s.ts);
        if (s.is_int) {
          field.series_values.emplace_back(s.i);
        } else {
          field.series_values.emplace_back(s.f);
        }
        for (size_t off = 0; off < s.ts.size(); off += g_chunk_points) {
          size_t n = std::min(g_chunk_points, s.ts.size() - off);
          field.ts.emplace_back(s.ts.begin() + off, s.ts.begin() + off + n);
          if (s.is_int) {
            field.values.emplace_back(
                std::vector<int64_t>(s.i.begin() + off, s.i.begin() + off + n));
          } else {
            std::vector<double> v(s.f.begin() + off, s.f.begin() + off + n);
            std::string g;
            verbund::storage::encoding::EncodeFloatsGorilla(v, &g);
            field.gorilla_bytes += g.size();
            field.values.emplace_back(std::move(v));
          }
          field.encoded.push_back(
              verbund::storage::EncodeChunk(field.ts.back(), field.values.back()));
          field.points += n;
          field.bytes += field.encoded.back().size();
        }
      }
      out.push_back(std::move(field));
    }
    return out;
  }();
  return fields;
}

void SetCommon(benchmark::State& state, size_t points, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * points));
  state.counters["bytes_per_value"] = static_cast<double>(bytes) / static_cast<double>(points);
}

void BM_Encode(benchmark::State& state, const Field* f) {
  for (auto _ : state) {
    for (size_t c = 0; c < f->ts.size(); ++c) {
      benchmark::DoNotOptimize(verbund::storage::EncodeChunk(f->ts[c], f->values[c]));
    }
  }
  SetCommon(state, f->points, f->bytes);
}

void BM_Decode(benchmark::State& state, const Field* f) {
  DecodedChunk out;
  for (auto _ : state) {
    for (const std::string& chunk : f->encoded) {
      if (!verbund::storage::DecodeChunkInto(chunk, &out).ok()) std::abort();
      benchmark::DoNotOptimize(out.ts.data());
    }
  }
  SetCommon(state, f->points, f->bytes);
  // Decoded size: 8-byte timestamp + 8-byte value per point.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f->points * 16));
  if (f->gorilla_bytes) {
    state.counters["gorilla_bytes_per_value"] =
        static_cast<double>(f->gorilla_bytes) / static_cast<double>(f->points);
  }
}

// Decode every field's chunks and sum the values (the work of a mean over all data).
void BM_DecodeAndSumAll(benchmark::State& state) {
  DecodedChunk out;
  size_t points = 0, bytes = 0;
  for (const Field& f : Fields()) {
    points += f.points;
    bytes += f.bytes;
  }
  for (auto _ : state) {
    double sum = 0;
    for (const Field& f : Fields()) {
      for (const std::string& chunk : f.encoded) {
        if (!verbund::storage::DecodeChunkInto(chunk, &out).ok()) std::abort();
        if (const auto* d = std::get_if<std::vector<double>>(&out.values)) {
          for (double x : *d) sum += x;
        } else {
          for (int64_t x : std::get<std::vector<int64_t>>(out.values))
            sum += static_cast<double>(x);
        }
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  SetCommon(state, points, bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * points * 16));
}

// Header-only aggregation: what a whole-chunk mean costs.
void BM_HeaderOnlyAll(benchmark::State& state) {
  size_t chunks = 0;
  for (auto _ : state) {
    double sum = 0;
    chunks = 0;
    for (const Field& f : Fields()) {
      for (const std::string& chunk : f.encoded) {
        auto h = verbund::storage::DecodeChunkHeader(chunk);
        sum += h->stats.sum;
        ++chunks;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * chunks));
}

// Where the bytes of a field go at a given chunk size: header (version, count, time range,
// stats), timestamp section (with its length prefix) and value section, per value.
struct Breakdown {
  size_t points = 0, chunks = 0, header = 0, ts = 0, values = 0;
  size_t zstd = 0;  // reference: zstd -19 over the varint bytes of zz(delta) of the values
};

// The byte-oriented alternative to the entropy-coded stream: zigzag deltas of the (decimal)
// integers as varints, compressed by zstd at level 19.
size_t ZstdDeltaBytes(const ValueColumn& v) {
  std::vector<int64_t> k;
  if (const auto* d = std::get_if<std::vector<double>>(&v)) {
    int e = verbund::storage::encoding::FindDecimalExponent(*d);
    double scale = std::pow(10.0, e < 0 ? 0 : e);
    for (double x : *d) k.push_back(std::llround(x * scale));
  } else {
    k = std::get<std::vector<int64_t>>(v);
  }
  std::string raw;
  for (size_t i = 0; i < k.size(); ++i) {
    verbund::PutVarint64(&raw, verbund::ZigZagEncode(i == 0 ? k[0] : k[i] - k[i - 1]));
  }
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  return ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 19);
}

Breakdown BreakDown(const Field& f, size_t chunk_points) {
  namespace enc = verbund::storage::encoding;
  Breakdown b;
  for (size_t s = 0; s < f.series_ts.size(); ++s) {
    const auto& ts = f.series_ts[s];
    for (size_t off = 0; off < ts.size(); off += chunk_points) {
      size_t n = std::min(chunk_points, ts.size() - off);
      std::vector<int64_t> t(ts.begin() + off, ts.begin() + off + n);
      ValueColumn v = std::visit(
          [&](const auto& all) -> ValueColumn {
            using V = std::decay_t<decltype(all)>;
            return V(all.begin() + off, all.begin() + off + n);
          },
          f.series_values[s]);
      std::string chunk = verbund::storage::EncodeChunk(t, v);
      std::string ts_section, value_section;
      enc::EncodeTimestamps(t, t.front(), &ts_section);
      if (const auto* d = std::get_if<std::vector<double>>(&v)) {
        enc::EncodeFloats(*d, &value_section);
      } else {
        enc::EncodeIntStream(std::get<std::vector<int64_t>>(v), 0, &value_section);
      }
      std::string prefix;
      verbund::PutVarint64(&prefix, ts_section.size());
      b.points += n;
      ++b.chunks;
      b.ts += prefix.size() + ts_section.size();
      b.values += value_section.size();
      b.zstd += ZstdDeltaBytes(v);
      b.header += chunk.size() - prefix.size() - ts_section.size() - value_section.size();
    }
  }
  return b;
}

// Order-0 entropy (bits per value) of a field's per-series value deltas (and deltas of deltas),
// on the decimal integers k = v * 10^e for floats: the floor for a coder of iid deltas.
void Entropy(const Field& f, double* delta_bits, double* dod_bits) {
  std::map<int64_t, size_t> d1, d2;
  size_t n1 = 0, n2 = 0;
  for (const auto& col : f.series_values) {
    std::vector<int64_t> k;
    if (const auto* d = std::get_if<std::vector<double>>(&col)) {
      int e = verbund::storage::encoding::FindDecimalExponent(*d);
      double scale = std::pow(10.0, e < 0 ? 0 : e);
      for (double x : *d) k.push_back(std::llround(x * scale));
    } else {
      k = std::get<std::vector<int64_t>>(col);
    }
    for (size_t i = 1; i < k.size(); ++i) {
      ++d1[k[i] - k[i - 1]];
      ++n1;
      if (i >= 2) {
        ++d2[(k[i] - k[i - 1]) - (k[i - 1] - k[i - 2])];
        ++n2;
      }
    }
  }
  auto h = [](const std::map<int64_t, size_t>& m, size_t n) {
    double bits = 0;
    for (const auto& [sym, c] : m) {
      double p = static_cast<double>(c) / static_cast<double>(n);
      bits -= p * std::log2(p);
    }
    return bits;
  };
  *delta_bits = h(d1, n1);
  *dod_bits = h(d2, n2);
}

void PrintBreakdown() {
  for (size_t chunk_points : {kChunkPoints, kCompactedChunkPoints}) {
    std::fprintf(stderr,
                 "\nbytes/value by section, chunks of %zu points (entropy = order-0 of per-series "
                 "deltas / deltas of deltas, B/value)\n",
                 chunk_points);
    std::fprintf(stderr, "%-30s %8s %8s %8s %8s %8s %10s %10s %10s\n", "field", "chunks", "header",
                 "ts", "values", "total", "H(delta)", "H(dod)", "zstd(delta)");
    Breakdown all;
    double h_all = 0;
    for (const Field& f : Fields()) {
      Breakdown b = BreakDown(f, chunk_points);
      double h1 = 0, h2 = 0;
      Entropy(f, &h1, &h2);
      h_all += std::min(h1, h2) / 8 * static_cast<double>(b.points);
      auto per = [&](size_t x) { return static_cast<double>(x) / static_cast<double>(b.points); };
      std::fprintf(stderr, "%-30s %8zu %8.3f %8.3f %8.3f %8.3f %10.3f %10.3f %10.3f\n",
                   f.name.c_str(), b.chunks, per(b.header), per(b.ts), per(b.values),
                   per(b.header + b.ts + b.values), h1 / 8, h2 / 8, per(b.zstd));
      all.points += b.points;
      all.chunks += b.chunks;
      all.header += b.header;
      all.ts += b.ts;
      all.values += b.values;
      all.zstd += b.zstd;
    }
    auto per = [&](size_t x) { return static_cast<double>(x) / static_cast<double>(all.points); };
    std::fprintf(stderr, "%-30s %8zu %8.3f %8.3f %8.3f %8.3f %10.3f %10s %10.3f\n", "ALL",
                 all.chunks, per(all.header), per(all.ts), per(all.values),
                 per(all.header + all.ts + all.values), h_all / static_cast<double>(all.points), "",
                 per(all.zstd));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Our own flags first; the rest go to Google Benchmark.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--trucks=", 9) == 0) {
      g_trucks = static_cast<uint32_t>(std::atoi(argv[i] + 9));
    } else if (std::strncmp(argv[i], "--hours=", 8) == 0) {
      g_hours = std::atoi(argv[i] + 8);
    } else if (std::strncmp(argv[i], "--chunk=", 8) == 0) {
      g_chunk_points = static_cast<size_t>(std::atoi(argv[i] + 8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());

  size_t points = 0, bytes = 0;
  std::fprintf(stderr, "TSBS IoT, %u trucks x %d h, 10 s interval, chunks of %zu points\n",
               g_trucks, g_hours, g_chunk_points);
  std::fprintf(stderr, "%-30s %12s %12s %14s\n", "field", "points", "bytes/value", "gorilla b/v");
  for (const Field& f : Fields()) {
    points += f.points;
    bytes += f.bytes;
    std::fprintf(stderr, "%-30s %12zu %12.3f %14.3f\n", f.name.c_str(), f.points,
                 static_cast<double>(f.bytes) / f.points,
                 f.gorilla_bytes ? static_cast<double>(f.gorilla_bytes) / f.points : 0.0);
  }
  std::fprintf(stderr, "%-30s %12zu %12.3f\n", "ALL (incl. timestamps+headers)", points,
               static_cast<double>(bytes) / points);
  PrintBreakdown();

  for (const Field& f : Fields()) {
    benchmark::RegisterBenchmark(("BM_Encode/" + f.name).c_str(), BM_Encode, &f)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Decode/" + f.name).c_str(), BM_Decode, &f)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("BM_DecodeAndSumAll", BM_DecodeAndSumAll)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_HeaderOnlyAll", BM_HeaderOnlyAll)->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
