// Float column decoder (decimal and Gorilla modes).
#include <vector>

#include "fuzz_util.h"
#include "storage/encoding/float_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage::encoding;  // NOLINT
  size_t n;
  std::string_view in;
  if (!verbund::storage::fuzz::SplitCountAndStream(data, size, &n, &in)) return 0;
  std::vector<double> out(n);
  (void)DecodeFloats(&in, n, out.data());
  return 0;
}
