// Turns an MQTT payload into fields: a JSON object becomes fields (numbers as float64, booleans,
// strings; nested objects flattened with dots: {"a":{"b":1}} -> a.b; arrays and nulls skipped
// and counted), a bare number becomes the field `value`. The timestamp comes from a configured
// field (RFC 3339 string, or epoch number in s/ms/us/ns) or is left to the caller.
//
// Thread-safety: a PayloadDecoder keeps parser buffers; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"
#include "storage/types.h"

namespace verbund::ingest {

struct DecodedPayload {
  std::vector<std::pair<std::string, storage::Value>> fields;
  std::optional<TimestampNs> timestamp;  // from the time field, when configured and present
  uint32_t skipped_arrays = 0;
};

// Parses "2026-11-25T18:00:00Z", "...T18:00:00.123456789+01:00". InvalidArgument otherwise.
Result<TimestampNs> ParseRfc3339(std::string_view s);

class PayloadDecoder {
 public:
  // Malformed for a payload that is not valid for `format` (not JSON, not a number).
  Result<DecodedPayload> Decode(std::string_view payload, PayloadFormat format,
                                std::string_view time_field, std::string_view time_unit);

 private:
  simdjson::dom::parser parser_;
};

}  // namespace verbund::ingest
