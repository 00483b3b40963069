// Boolean columns: run-length. The first value, then the length of each run of equal values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::storage::encoding {

// Appends v (non-empty; any nonzero byte counts as true).
void EncodeBools(std::span<const uint8_t> v, std::string* dst);

// Decodes n values (0 or 1) from the front of *in into out[0..n), advancing *in. Corruption
// unless the runs add up to exactly n.
Status DecodeBools(std::string_view* in, size_t n, uint8_t* out);

}  // namespace verbund::storage::encoding
