// Fuzzes parse + execute: any query text against a small in-memory dataset must produce a JSON
// document (or a parse error) without crashing, hanging or tripping a sanitizer.
#include <cstdint>
#include <memory>
#include <string_view>

#include "query/executor.h"
#include "unit/query/fake_engine.h"
#include "unit/query/influx_parity_data.h"

namespace {

struct Fixture {
  Fixture() : clock(1'700'000'100'000'000'000) {
    engine.AddLines("t", verbund::query::testing::kInfluxParityData,
                    verbund::ingest::Precision::kSecond);
    verbund::query::ExecutorOptions o;
    o.clock = &clock;
    o.max_select_buckets = 10'000;
    o.max_select_points = 100'000;
    executor = std::make_unique<verbund::query::Executor>(&engine, o);
  }
  verbund::FakeClock clock;
  verbund::query::testing::FakeEngine engine;
  std::unique_ptr<verbund::query::Executor> executor;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  static Fixture* f = new Fixture();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Never let the fuzzer delete the dataset.
  if (text.find("DELETE") != std::string_view::npos || text.find("delete") != std::string_view::npos ||
      text.find("DROP") != std::string_view::npos || text.find("drop") != std::string_view::npos) {
    return 0;
  }
  verbund::query::QueryOptions o;
  o.database = "t";
  o.chunk_size = 3;
  auto r = f->executor->Run(text, o);
  if (r.body.empty() || r.body.front() != '{' || r.body.back() != '}') __builtin_trap();
  return 0;
}
