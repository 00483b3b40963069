// Shared by the storage decoder fuzz targets: splits an input into a value count and a stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace verbund::storage::fuzz {

// The first two bytes (little-endian) are the count n (1..65536); the rest is the stream.
inline bool SplitCountAndStream(const uint8_t* data, size_t size, size_t* n,
                                std::string_view* stream) {
  if (size < 2) return false;
  *n = 1 + (data[0] | (static_cast<size_t>(data[1]) << 8));
  *stream = std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2);
  return true;
}

}  // namespace verbund::storage::fuzz
