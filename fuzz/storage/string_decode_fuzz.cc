// String column decoder (dictionary + zstd).
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "storage/encoding/string_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage::encoding;  // NOLINT
  size_t n;
  std::string_view in;
  if (!verbund::storage::fuzz::SplitCountAndStream(data, size, &n, &in)) return 0;
  std::vector<std::string> out;
  (void)DecodeStrings(&in, n, &out);
  return 0;
}
