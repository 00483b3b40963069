// Bounded gzip decoding of request bodies (Content-Encoding: gzip).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::http {

// Inflates a gzip stream (concatenated members allowed). ResourceExhausted as soon as the output
// would exceed max_out bytes (a decompression bomb never allocates more than that); Malformed for
// data that is not valid gzip or is truncated.
Result<std::string> GunzipBounded(std::string_view in, size_t max_out);

// Compresses with gzip framing (for tests and clients).
Result<std::string> Gzip(std::string_view in);

}  // namespace verbund::http
