// JSON text the way InfluxDB 1.x (Go encoding/json) writes it, so responses compare byte for
// byte: floats in Go's shortest form (1 not 1.0, 1e+21, 1e-7), HTML-safe string escaping
// (\u003c \u003e \u0026), invalid UTF-8 replaced by \ufffd, times as trimmed RFC 3339.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace verbund::query {

// Output unit of the `epoch` query parameter; kRfc3339 when the parameter is absent.
enum class EpochUnit { kRfc3339, kNanosecond, kMicrosecond, kMillisecond, kSecond, kMinute, kHour };

// "h" "m" "s" "ms" "u"/"us"/"µ" "n"/"ns" -> unit; "" -> kRfc3339; anything else -> nanoseconds.
EpochUnit ParseEpoch(std::string_view s);

void AppendJsonString(std::string* out, std::string_view s);
// Go's strconv.FormatFloat(f, 'f' or 'e', -1, 64) as encoding/json picks it. NaN/Inf -> null.
void AppendJsonFloat(std::string* out, double v);
// "2009-11-10T23:00:00Z", "2009-11-10T23:00:00.5Z" (RFC3339Nano, trailing zeros trimmed).
std::string FormatRfc3339Nano(int64_t ns);
// A time value: quoted RFC 3339 or an integer in the epoch unit (truncated toward zero).
void AppendJsonTime(std::string* out, int64_t ns, EpochUnit unit);

}  // namespace verbund::query
