// What the engine reports about itself: Stats(), Usage() per database and DiskBytes().

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include "storage/engine.h"
#include "storage/engine_impl.h"

namespace verbund::storage::internal {

EngineStats EngineImpl::Stats() {
  EngineStats st;
  {
    std::lock_guard lock(mu_);
    st.series = series_.size();
    st.head_bytes = head_bytes_;
    for (const auto& [id, s] : series_) st.chunks += s->dir.size();
  }
  st.points_written = points_written_.load();
  st.sealed_chunks = sealed_chunks_.load();
  st.chunk_cache_bytes = chunk_cache_.bytes();
  st.chunk_cache_hits = chunk_cache_.hits();
  st.chunk_cache_misses = chunk_cache_.misses();
  st.wal_fsyncs = wal_ ? wal_->fsyncs() : 0;
  st.disk_bytes = DiskBytes();
  return st;
}

uint64_t EngineImpl::DiskBytes() {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(options_.dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) bytes += it->file_size(e2);
  }
  return bytes;
}

std::vector<DatabaseUsage> EngineImpl::Usage() {
  std::vector<DatabaseUsage> out;
  std::lock_guard lock(mu_);
  out.reserve(usage_.size());
  for (const auto& [name, u] : usage_) {
    out.push_back(DatabaseUsage{name, u.series, u.chunk_bytes + u.head_bytes, u.counted_chunk_bytes,
                                u.chunk_values, u.points_written});
  }
  return out;
}

}  // namespace verbund::storage::internal
