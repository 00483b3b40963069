// Encoder/decoder agreement: arbitrary bytes -> (timestamps, values) -> chunk -> the same samples.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "storage/chunk_codec.h"

namespace {

uint64_t Take64(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  size_t k = std::min<size_t>(8, end - p);
  std::memcpy(&v, p, k);
  p += k;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage;  // NOLINT
  if (size < 2) return 0;
  const uint8_t* p = data + 2;
  const uint8_t* end = data + size;
  int type = data[0] % 4;
  size_t n = std::max<size_t>(1, (size - 2) / 9);
  bool small_deltas = data[1] & 1;
  std::vector<int64_t> ts(n);
  for (auto& t : ts) {
    uint64_t r = Take64(p, end);
    t = static_cast<int64_t>(small_deltas ? r % 4096 : r);
  }
  if (small_deltas) {
    for (size_t i = 1; i < n; ++i) ts[i] = ts[i - 1] + ts[i];
  } else {
    std::sort(ts.begin(), ts.end());
  }
  ValueColumn values;
  const uint8_t* q = data + 2;
  switch (type) {
    case 0: {
      std::vector<double> v(n);
      for (auto& x : v) {
        uint64_t r = Take64(q, end);
        // Half the inputs become few-decimal values to reach the decimal encoder.
        x = (data[1] & 2) ? static_cast<double>(static_cast<int64_t>(r) % 100000) / 100
                          : std::bit_cast<double>(r);
      }
      values = std::move(v);
      break;
    }
    case 1: {
      std::vector<int64_t> v(n);
      for (auto& x : v) x = static_cast<int64_t>(Take64(q, end));
      values = std::move(v);
      break;
    }
    case 2: {
      std::vector<uint8_t> v(n);
      for (auto& x : v) x = static_cast<uint8_t>(Take64(q, end) & 1);
      values = std::move(v);
      break;
    }
    default: {
      std::vector<std::string> v(n);
      for (auto& x : v) x = std::to_string(Take64(q, end) % 17);
      values = std::move(v);
      break;
    }
  }
  std::string chunk = EncodeChunk(ts, values);
  auto decoded = DecodeChunk(chunk);
  if (!decoded.ok() || decoded->ts != ts) std::abort();
  if (type == 0) {
    const auto& a = std::get<std::vector<double>>(values);
    const auto& b = std::get<std::vector<double>>(decoded->values);
    for (size_t i = 0; i < n; ++i) {
      if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) std::abort();
    }
  } else if (decoded->values != values) {
    std::abort();
  }
  return 0;
}
