// Crash-test writer: writes numbered batches under fsync=always and prints each batch's number
// to stdout (flushed) only after Write() returned OK. The crash test kills it with SIGKILL.
//
//   storage_crash_writer <data dir> <first batch> 
//
// Batch b holds kSeries series x kPoints samples at ts = b * 1000 + i with value
// b * 1e6 + series * 1000 + i, so the checker can recompute every acknowledged sample.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "keys/file_key_provider.h"
#include "storage/engine.h"

namespace {
constexpr int kSeries = 8;
constexpr int kPoints = 50;
}  // namespace

int main(int argc, char** argv) {
  using namespace verbund;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <dir> <first batch>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const long first = std::strtol(argv[2], nullptr, 10);
  auto keys = keys::FileKeyProvider::Open(dir + "/keys/local.key");
  if (!keys.ok()) {
    std::fprintf(stderr, "keys: %s\n", keys.status().ToString().c_str());
    return 1;
  }
  storage::EngineOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kAlways;
  o.chunk_max_points = 64;
  o.head_memory_bytes = 32 << 10;
  o.keys = keys->get();
  auto engine = storage::Engine::Open(o);
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  for (long b = first;; ++b) {
    storage::WriteBatch batch;
    for (int s = 0; s < kSeries; ++s) {
      storage::SeriesKey key{"crash", "m", {{"host", "h"}}, "f" + std::to_string(s)};
      for (int i = 0; i < kPoints; ++i) {
        batch.Add(key, b * 1000 + i, storage::Value(b * 1e6 + s * 1000 + i));
      }
    }
    Status st = (*engine)->Write(batch);
    if (!st.ok()) {
      std::fprintf(stderr, "write: %s\n", st.ToString().c_str());
      return 1;
    }
    std::printf("%ld\n", b);
    std::fflush(stdout);
    if (b % 25 == 0) {
      st = (*engine)->Flush();  // exercises sealing + WAL checkpoints under the kill
      if (!st.ok()) {
        std::fprintf(stderr, "flush: %s\n", st.ToString().c_str());
        return 1;
      }
    }
  }
}
