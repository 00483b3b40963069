// Float columns, one of two encodings chosen per column (whichever is smaller):
//  - decimal: every value is exactly k / 10^e for one exponent e in [0, kMaxDecimalExponent]
//    (bit-exact through double; NaN, +-Inf and -0.0 never qualify); the integers k are stored
//    as an integer stream (int_codec.h). Telemetry with few decimals costs a few bits a value.
//  - Gorilla XOR (Pelkonen et al., VLDB 2015): the general fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::storage::encoding {

// The smallest e such that every value is exactly DecimalValue(k, e) for some |k| <= 2^53, or
// -1 if there is none.
int FindDecimalExponent(std::span<const double> v);

// The value the decimal decoder produces for integer k and exponent e (0..kMaxDecimalExponent).
double DecimalValue(int64_t k, int e);

// Appends v (non-empty) in the smaller encoding. Returns the oldest chunk format version that can
// read what was appended.
uint8_t EncodeFloats(std::span<const double> v, std::string* dst);

// Decodes n values from the front of *in into out[0..n), advancing *in.
Status DecodeFloats(std::string_view* in, size_t n, double* out);

// The two encodings on their own (each with its leading mode byte); for tests and benchmarks.
// EncodeFloatsDecimal needs exponent == FindDecimalExponent(v) (>= 0).
// EncodeFloatsDecimal returns the oldest format version that can read its output.
uint8_t EncodeFloatsDecimal(std::span<const double> v, int exponent, std::string* dst);
void EncodeFloatsGorilla(std::span<const double> v, std::string* dst);

}  // namespace verbund::storage::encoding
