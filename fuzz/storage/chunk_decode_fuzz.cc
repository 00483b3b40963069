// Whole-chunk decoder: DecodeChunk and DecodeChunkHeader on arbitrary bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/chunk_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage;  // NOLINT
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto header = DecodeChunkHeader(in);
  auto chunk = DecodeChunk(in);
  if (chunk.ok()) {
    if (!header.ok() || header->stats.count != chunk->ts.size() ||
        ColumnSize(chunk->values) != chunk->ts.size()) {
      std::abort();
    }
  } else if (chunk.status().code() != verbund::StatusCode::kCorruption) {
    std::abort();
  }
  return 0;
}
