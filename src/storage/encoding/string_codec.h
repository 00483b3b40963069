// String columns: a dictionary of the distinct values (first-seen order) and one id per value
// (an integer stream, int_codec.h), the whole section zstd-compressed when that is smaller.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace verbund::storage::encoding {

// Appends v (non-empty).
void EncodeStrings(std::span<const std::string> v, std::string* dst);

// Decodes n strings from the front of *in into *out (resized to n), advancing *in. Corruption on
// malformed input or when the decoded column would exceed kMaxDecodedStringBytes.
Status DecodeStrings(std::string_view* in, size_t n, std::vector<std::string>* out);

}  // namespace verbund::storage::encoding
