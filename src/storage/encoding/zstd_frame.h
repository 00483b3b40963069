// One zstd frame, as the chunk string section and catalog groups store their compressed bytes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::storage::encoding {

// zstd cannot expand more than ~32768:1 (an RLE block: 4 bytes per 128 KiB), so a larger claimed
// raw size is corrupt; decoders use it to bound allocations by their input.
inline constexpr uint64_t kMaxZstdRatio = 32768;

// `raw` as one frame at `level`; nullopt if zstd fails.
std::optional<std::string> ZstdCompress(std::string_view raw, int level);

// Decompresses `frame`, which must be exactly one frame declaring `raw_size` bytes (bounded by
// the caller); Corruption prefixed with `what` otherwise.
Status ZstdDecompressExact(std::string_view frame, uint64_t raw_size, std::string_view what,
                           std::string* out);

}  // namespace verbund::storage::encoding
