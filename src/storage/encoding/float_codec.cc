#include "storage/encoding/float_codec.h"

#include <bit>
#include <cmath>
#include <vector>

#include "storage/encoding/bit_stream.h"
#include "storage/encoding/chunk_format.h"
#include "storage/encoding/int_codec.h"

namespace verbund::storage::encoding {
namespace {

constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
static_assert(sizeof(kPow10) / sizeof(kPow10[0]) == kMaxDecimalExponent + 1);
constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

bool ToDecimal(double v, int e, int64_t* k) {
  if (!std::isfinite(v)) return false;
  if (v == 0) {
    if (std::signbit(v)) return false;
    *k = 0;
    return true;
  }
  double m = std::round(v * kPow10[e]);
  if (!(std::fabs(m) <= kMaxExactInt)) return false;
  int64_t ki = static_cast<int64_t>(m);
  if (DecimalValue(ki, e) != v) return false;
  *k = ki;
  return true;
}

// Gorilla stream layout (bits, LSB-first): the first value's 64 bits; then per value '0' if
// equal to the previous, '10' + the meaningful bits in the previous window, or
// '11' + 5 bits leading zeros + 6 bits (length - 1) + the meaningful bits.
constexpr int kNoWindow = -1;

}  // namespace

double DecimalValue(int64_t k, int e) { return static_cast<double>(k) / kPow10[e]; }

int FindDecimalExponent(std::span<const double> v) {
  int e = 0;
  int64_t k;
  for (double x : v) {
    while (!ToDecimal(x, e, &k)) {
      if (++e > kMaxDecimalExponent) return -1;
    }
  }
  // A value exact at a smaller exponent stays exact at e unless its integer outgrew 2^53.
  for (double x : v) {
    if (!ToDecimal(x, e, &k)) return -1;
  }
  return e;
}

uint8_t EncodeFloatsDecimal(std::span<const double> v, int exponent, std::string* dst) {
  std::vector<int64_t> ints(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    bool ok = ToDecimal(v[i], exponent, &ints[i]);
    (void)ok;
  }
  dst->push_back(static_cast<char>(FloatMode::kDecimal));
  dst->push_back(static_cast<char>(exponent));
  return IntModeVersion(EncodeIntStream(ints, 0, dst));
}

void EncodeFloatsGorilla(std::span<const double> v, std::string* dst) {
  dst->push_back(static_cast<char>(FloatMode::kGorilla));
  BitWriter w(dst);
  uint64_t prev = std::bit_cast<uint64_t>(v[0]);
  w.Write(prev, 64);
  int prev_lead = kNoWindow, prev_trail = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    uint64_t cur = std::bit_cast<uint64_t>(v[i]);
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int lead = std::countl_zero(x);
    int trail = std::countr_zero(x);
    if (lead > 31) lead = 31;
    if (prev_lead != kNoWindow && lead >= prev_lead && trail >= prev_trail) {
      w.Write(0b01, 2);  // bits '1','0' in stream order
      w.Write(x >> prev_trail, 64 - prev_lead - prev_trail);
      continue;
    }
    int sig = 64 - lead - trail;
    w.Write(0b11, 2);
    w.Write(static_cast<uint64_t>(lead), 5);
    w.Write(static_cast<uint64_t>(sig - 1), 6);
    w.Write(x >> trail, sig);
    prev_lead = lead;
    prev_trail = trail;
  }
  w.Flush();
}

uint8_t EncodeFloats(std::span<const double> v, std::string* dst) {
  int e = FindDecimalExponent(v);
  if (e >= 0) {
    size_t start = dst->size();
    uint8_t version = EncodeFloatsDecimal(v, e, dst);
    size_t decimal_size = dst->size() - start;
    // Gorilla costs at least its mode byte, the first value and one bit per further value.
    size_t gorilla_floor = 1 + 8 + (v.size() - 1) / 8;
    if (decimal_size <= gorilla_floor) return version;
    std::string gorilla;
    EncodeFloatsGorilla(v, &gorilla);
    if (gorilla.size() < decimal_size) {
      dst->resize(start);
      dst->append(gorilla);
      return 1;
    }
    return version;
  }
  EncodeFloatsGorilla(v, dst);
  return 1;
}

namespace {

Status DecodeGorilla(std::string_view* in, size_t n, double* out) {
  BitReader r(reinterpret_cast<const uint8_t*>(in->data()), in->size());
  uint64_t prev = r.Read(64);
  out[0] = std::bit_cast<double>(prev);
  int lead = kNoWindow, trail = 0;
  for (size_t i = 1; i < n; ++i) {
    if (r.ReadBit()) {
      if (r.ReadBit()) {
        lead = static_cast<int>(r.Read(5));
        int sig = static_cast<int>(r.Read(6)) + 1;
        trail = 64 - lead - sig;
        if (trail < 0) return Corruption("gorilla: window exceeds 64 bits");
      } else if (lead == kNoWindow) {
        return Corruption("gorilla: reuse of a window before one was set");
      }
      prev ^= r.Read(64 - lead - trail) << trail;
    }
    out[i] = std::bit_cast<double>(prev);
    if (r.overflowed()) return Corruption("gorilla: truncated");
  }
  if (r.overflowed()) return Corruption("gorilla: truncated");
  in->remove_prefix(r.BytesConsumed());
  return Status::OK();
}

}  // namespace

Status DecodeFloats(std::string_view* in, size_t n, double* out) {
  if (n == 0) return Status::OK();
  if (in->empty()) return Corruption("floats: missing mode");
  uint8_t mode = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (mode == static_cast<uint8_t>(FloatMode::kGorilla)) return DecodeGorilla(in, n, out);
  if (mode != static_cast<uint8_t>(FloatMode::kDecimal)) return Corruption("floats: bad mode");
  if (in->empty()) return Corruption("floats: missing exponent");
  int e = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (e > kMaxDecimalExponent) return Corruption("floats: bad decimal exponent");
  const double scale = kPow10[e];
  size_t pos = 0;
  return DecodeIntStreamTo(in, n, 0, [&](const int64_t* k, size_t m) {
    for (size_t i = 0; i < m; ++i) out[pos + i] = static_cast<double>(k[i]) / scale;
    pos += m;
  });
}

}  // namespace verbund::storage::encoding
