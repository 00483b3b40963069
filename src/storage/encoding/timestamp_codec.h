// Timestamp columns: an integer stream (int_codec.h) whose first value is stored relative to the
// chunk's min_ts. A regular interval becomes all-zero deltas of deltas: one byte per block of
// kBlockSize points.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace verbund::storage::encoding {

// Appends ts (non-empty, sorted ascending; equal values allowed). Returns the oldest chunk format
// version that can read what was appended.
uint8_t EncodeTimestamps(std::span<const TimestampNs> ts, TimestampNs min_ts, std::string* dst);

// Decodes n timestamps from the front of *in into out[0..n), advancing *in. Corruption unless
// the result is sorted ascending, starts at min_ts and ends at max_ts.
Status DecodeTimestamps(std::string_view* in, size_t n, TimestampNs min_ts, TimestampNs max_ts,
                        TimestampNs* out);

}  // namespace verbund::storage::encoding
