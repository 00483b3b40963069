#include "storage/encoding/bool_codec.h"

#include <cstring>

#include "core/coding.h"

namespace verbund::storage::encoding {

void EncodeBools(std::span<const uint8_t> v, std::string* dst) {
  uint8_t cur = v[0] != 0;
  dst->push_back(static_cast<char>(cur));
  uint64_t run = 0;
  for (uint8_t b : v) {
    uint8_t x = b != 0;
    if (x == cur) {
      ++run;
      continue;
    }
    PutVarint64(dst, run);
    cur = x;
    run = 1;
  }
  PutVarint64(dst, run);
}

Status DecodeBools(std::string_view* in, size_t n, uint8_t* out) {
  if (n == 0) return Status::OK();
  if (in->empty()) return Corruption("bools: missing first value");
  uint8_t cur = static_cast<uint8_t>((*in)[0]);
  if (cur > 1) return Corruption("bools: bad first value");
  in->remove_prefix(1);
  for (size_t done = 0; done < n; cur ^= 1) {
    uint64_t run = 0;
    if (!GetVarint64(in, &run)) return Corruption("bools: truncated run");
    if (run == 0 || run > n - done) return Corruption("bools: bad run length");
    std::memset(out + done, cur, run);
    done += run;
  }
  return Status::OK();
}

}  // namespace verbund::storage::encoding
