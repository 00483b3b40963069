#include "storage/encoding/timestamp_codec.h"

#include "storage/encoding/int_codec.h"

namespace verbund::storage::encoding {

uint8_t EncodeTimestamps(std::span<const TimestampNs> ts, TimestampNs min_ts, std::string* dst) {
  return IntModeVersion(EncodeIntStream(ts, min_ts, dst));
}

Status DecodeTimestamps(std::string_view* in, size_t n, TimestampNs min_ts, TimestampNs max_ts,
                        TimestampNs* out) {
  if (n == 0) return Status::OK();
  RETURN_IF_ERROR(DecodeIntStream(in, n, min_ts, out));
  if (out[0] != min_ts || out[n - 1] != max_ts) {
    return Corruption("timestamps: first/last do not match the header");
  }
  bool sorted = true;
  for (size_t i = 1; i < n; ++i) sorted &= out[i - 1] <= out[i];
  if (!sorted) return Corruption("timestamps: not sorted");
  return Status::OK();
}

}  // namespace verbund::storage::encoding
