// Integer stream decoder (integer columns, timestamps, decimal floats).
#include <vector>

#include "fuzz_util.h"
#include "storage/encoding/int_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage::encoding;  // NOLINT
  size_t n;
  std::string_view in;
  if (!verbund::storage::fuzz::SplitCountAndStream(data, size, &n, &in)) return 0;
  if (!IntStreamCountPlausible(n, in.size())) return 0;
  std::vector<int64_t> out(n);
  (void)DecodeIntStream(&in, n, 0, out.data());
  return 0;
}
