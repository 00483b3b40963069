// Entropy-coded integer stream bodies (ans_codec.h, int_stream modes 3..5): the decoder on
// arbitrary bytes must fail cleanly, and arbitrary values must round-trip through the encoder.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_util.h"
#include "storage/encoding/ans_codec.h"
#include "storage/encoding/chunk_format.h"

namespace {

using verbund::storage::encoding::AnsEncode;
using verbund::storage::encoding::AnsReader;
using verbund::storage::encoding::kBlockSize;

bool Decode(std::string_view body, size_t n, std::vector<int64_t>* out) {
  AnsReader r;
  if (!r.Init(body).ok()) return false;
  out->resize(n);
  for (size_t done = 0; done < n;) {
    size_t k = n - done < kBlockSize ? n - done : kBlockSize;
    r.Next(k, out->data() + done);
    done += k;
  }
  return r.Finish(&body).ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t n;
  std::string_view in;
  if (!verbund::storage::fuzz::SplitCountAndStream(data, size, &n, &in)) return 0;
  // 1. The input as a body of n values.
  std::vector<int64_t> out;
  (void)Decode(in, n, &out);

  // 2. The input as values (small ones from single bytes, so distributions are skewed; wide ones
  // from 8-byte groups when the count's low bit is set) through the encoder and back.
  std::vector<int64_t> values;
  if (n & 1) {
    for (size_t i = 0; i + 8 <= in.size(); i += 8) {
      int64_t v;
      std::memcpy(&v, in.data() + i, 8);
      values.push_back(v);
    }
  } else {
    for (char c : in) values.push_back(static_cast<int8_t>(c) / 8);
  }
  if (values.empty()) return 0;
  std::string body;
  if (!AnsEncode(values, &body)) return 0;
  if (!Decode(body, values.size(), &out) || out != values) std::abort();
  return 0;
}
