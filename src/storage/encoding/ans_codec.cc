#include "storage/encoding/ans_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/coding.h"
#include "storage/encoding/chunk_format.h"

namespace verbund::storage::encoding {
namespace {

struct TokenInfo {
  uint64_t base;
  uint8_t extra;
};

constexpr std::array<TokenInfo, kAnsTokens> MakeTokenInfo() {
  std::array<TokenInfo, kAnsTokens> info{};
  for (uint32_t t = 0; t < kAnsTokens; ++t) {
    info[t] = {AnsTokenBase(t), static_cast<uint8_t>(AnsExtraBits(t))};
  }
  return info;
}
constexpr auto kTokenInfo = MakeTokenInfo();

using Counts = AnsCounts;
using Freqs = std::array<uint16_t, kAnsTokens>;

// Scales token counts to frequencies adding up to kAnsProbScale; every present token gets >= 1.
Freqs Normalize(const Counts& counts, size_t total) {
  Freqs freq{};
  uint32_t sum = 0;
  uint32_t most = 0;
  for (uint32_t t = 0; t < kAnsTokens; ++t) {
    if (counts[t] == 0) continue;
    uint64_t f = uint64_t{counts[t]} * kAnsProbScale / total;
    freq[t] = static_cast<uint16_t>(f == 0 ? 1 : f);
    sum += freq[t];
    if (counts[t] > counts[most]) most = t;
  }
  if (sum < kAnsProbScale) freq[most] = static_cast<uint16_t>(freq[most] + kAnsProbScale - sum);
  // Rare tokens raised to 1 can overshoot: take the excess from the largest frequencies.
  while (sum > kAnsProbScale) {
    uint32_t big = 0;
    for (uint32_t t = 1; t < kAnsTokens; ++t) big = freq[t] > freq[big] ? t : big;
    uint32_t d = std::min<uint32_t>(sum - kAnsProbScale, freq[big] - 1u);
    freq[big] = static_cast<uint16_t>(freq[big] - d);
    sum -= d;
  }
  return freq;
}

Counts Count(std::span<const int64_t> s) {
  Counts counts{};
  for (int64_t v : s) ++counts[AnsToken(ZigZagEncode(v))];
  return counts;
}

uint32_t MaxToken(const Freqs& freq) {
  uint32_t max = 0;
  for (uint32_t t = 0; t < kAnsTokens; ++t) max = freq[t] ? t : max;
  return max;
}

size_t ModelBytes(const Freqs& freq) {
  size_t bytes = 1;
  const uint32_t max_token = MaxToken(freq);
  for (uint32_t t = 0; t <= max_token; ++t) bytes += VarintLength(freq[t]);
  return bytes;
}

bool Single(const Freqs& freq) {
  for (uint16_t f : freq) {
    if (f == kAnsProbScale) return true;
  }
  return false;
}

}  // namespace

size_t AnsEstimateSize(std::span<const int64_t> s) { return AnsEstimateSize(Count(s), s.size()); }

size_t AnsEstimateSize(const AnsCounts& counts, size_t n) {
  const Freqs freq = Normalize(counts, n);
  double bits = 0;
  uint64_t extra = 0;
  for (uint32_t t = 0; t < kAnsTokens; ++t) {
    if (counts[t] == 0) continue;
    bits += counts[t] * (kAnsProbBits - std::log2(static_cast<double>(freq[t])));
    extra += uint64_t{counts[t]} * kTokenInfo[t].extra;
  }
  size_t coded = Single(freq) ? 0 : 4 * kAnsStates + 2 * static_cast<size_t>(bits / 16 + 1);
  return ModelBytes(freq) + VarintLength(coded) + coded + (extra + 7) / 8;
}

bool AnsEncode(std::span<const int64_t> s, std::string* dst) { return AnsEncode(s, Count(s), dst); }

bool AnsEncode(std::span<const int64_t> s, const AnsCounts& counts, std::string* dst) {
  const size_t n = s.size();
  const Freqs freq = Normalize(counts, n);
  // x / f by a double reciprocal, corrected by one step (x < 2^32, so the estimate is off by at
  // most one): several times faster than an integer division per value.
  std::array<double, kAnsTokens> inv{};
  for (uint32_t t = 0; t < kAnsTokens; ++t) inv[t] = freq[t] ? 1.0 / freq[t] : 0;
  Freqs start{};
  for (uint32_t t = 1; t < kAnsTokens; ++t)
    start[t] = static_cast<uint16_t>(start[t - 1] + freq[t - 1]);

  std::string body;
  const uint32_t max_token = MaxToken(freq);
  body.push_back(static_cast<char>(max_token));
  for (uint32_t t = 0; t <= max_token; ++t) PutVarint64(&body, freq[t]);

  if (Single(freq)) {
    PutVarint64(&body, 0);
  } else {
    // rANS emits in reverse: code the values last to first into the back of buf, so the decoder
    // reads forward. Each value emits at most one 16-bit word (freq >= 1, 12-bit model).
    std::vector<uint8_t> buf(2 * n + 4 * kAnsStates);
    uint8_t* ptr = buf.data() + buf.size();
    uint32_t x[kAnsStates];
    for (uint32_t& xs : x) xs = kAnsStateLow;
    for (size_t i = n; i-- > 0;) {
      uint32_t& xs = x[i % kAnsStates];
      const uint32_t t = AnsToken(ZigZagEncode(s[i]));
      const uint32_t f = freq[t];
      const uint32_t x_max = ((kAnsStateLow >> kAnsProbBits) << 16) * f;
      if (xs >= x_max) {
        ptr -= 2;
        ptr[0] = static_cast<uint8_t>(xs);
        ptr[1] = static_cast<uint8_t>(xs >> 8);
        xs >>= 16;
      }
      uint32_t q = static_cast<uint32_t>(static_cast<double>(xs) * inv[t]);
      if (q * f > xs) --q;  // no overflow: xs < 2^20 * f here, so q * f <= xs + f < 2^32
      if (xs - q * f >= f) ++q;
      xs = (q << kAnsProbBits) + (xs - q * f) + start[t];
    }
    for (int k = kAnsStates; k-- > 0;) {
      ptr -= 4;
      for (int b = 0; b < 4; ++b) ptr[b] = static_cast<uint8_t>(x[k] >> (8 * b));
    }
    const size_t len = static_cast<size_t>(buf.data() + buf.size() - ptr);
    PutVarint64(&body, len);
    body.append(reinterpret_cast<const char*>(ptr), len);
  }
  BitWriter w(&body);
  for (int64_t v : s) {
    const uint64_t u = ZigZagEncode(v);
    const TokenInfo& info = kTokenInfo[AnsToken(u)];
    w.Write(u - info.base, info.extra);
  }
  w.Flush();
  // Stream values n never exceed what the body's size vouches for (see IntStreamCountPlausible).
  if (n > kMaxIntStreamValuesPerByte * body.size()) return false;
  dst->append(body);
  return true;
}

Status AnsReader::Init(std::string_view in) {
  std::string_view rest = in;
  if (rest.empty()) return Corruption("ans: missing model");
  const uint32_t max_token = static_cast<uint8_t>(rest[0]);
  rest.remove_prefix(1);
  if (max_token >= kAnsTokens) return Corruption("ans: bad token count");
  uint32_t sum = 0;
  int present = 0;
  freq_.fill(0);
  for (uint32_t t = 0; t <= max_token; ++t) {
    uint64_t f = 0;
    if (!GetVarint64(&rest, &f) || f > kAnsProbScale) return Corruption("ans: bad frequency");
    freq_[t] = static_cast<uint16_t>(f);
    start_[t] = static_cast<uint16_t>(sum);
    sum += static_cast<uint32_t>(f);
    if (sum > kAnsProbScale) return Corruption("ans: frequencies exceed the scale");
    if (f != 0) {
      ++present;
      single_token_ = static_cast<uint8_t>(t);
    }
  }
  if (sum != kAnsProbScale) return Corruption("ans: frequencies do not add up");
  single_ = present == 1;
  has_extra_ = max_token >= kAnsDirectTokens;
  uint64_t len = 0;
  if (!GetVarint64(&rest, &len) || len > rest.size()) return Corruption("ans: truncated");
  if (single_ ? len != 0 : (len < 4 * kAnsStates || len % 2 != 0)) {
    return Corruption("ans: bad coded length");
  }
  p_ = reinterpret_cast<const uint8_t*>(rest.data());
  end_ = p_ + len;
  rest.remove_prefix(len);
  header_bytes_ = in.size() - rest.size();
  extra_data_ = reinterpret_cast<const uint8_t*>(rest.data());
  extra_size_ = rest.size();
  extra_pos_ = 0;
  overflowed_ = false;
  next_state_ = 0;
  if (single_) return Status::OK();
  for (uint32_t t = 0; t <= max_token; ++t) {
    std::memset(token_of_slot_.data() + start_[t], static_cast<int>(t), freq_[t]);
  }
  for (uint32_t& x : x_) {
    x = 0;
    for (int b = 0; b < 4; ++b) x |= static_cast<uint32_t>(*p_++) << (8 * b);
    if (x < kAnsStateLow) return Corruption("ans: bad initial state");
  }
  return Status::OK();
}

void AnsReader::Next(size_t k, int64_t* out) {
  if (single_) {
    const TokenInfo& info = kTokenInfo[single_token_];
    if (info.extra == 0) {  // every value the same (regular timestamps): nothing to read
      std::fill(out, out + k, ZigZagDecode(info.base));
      return;
    }
    uint64_t pos = extra_pos_;
    for (size_t i = 0; i < k; ++i) out[i] = ZigZagDecode(info.base + ReadExtra(&pos, info.extra));
    extra_pos_ = pos;
    return;
  }
  if (has_extra_) {
    NextImpl<true>(k, out);
  } else {
    NextImpl<false>(k, out);
  }
}

template <bool kExtra>
void AnsReader::NextImpl(size_t k, int64_t* out) {
  static_assert(kAnsStates == 2);
  // A zero word stands in for reads past the end (flagged, reported by Finish).
  static constexpr uint8_t kZeros[2] = {0, 0};
  uint32_t x0 = x_[0], x1 = x_[1];
  const uint8_t* p = p_;
  uint64_t pos = extra_pos_;
  bool overflowed = false;
  // Inlined by force: as a call, the captured state would round-trip through memory per value.
  auto step = [&](uint32_t & xs) __attribute__((always_inline))->int64_t {
    const uint32_t slot = xs & (kAnsProbScale - 1);
    const uint32_t t = token_of_slot_[slot];
    xs = freq_[t] * (xs >> kAnsProbBits) + slot - start_[t];
    const bool renorm = xs < kAnsStateLow;
    const bool past_end = p + 2 > end_;
    const uint8_t* q = past_end ? kZeros : p;
    const uint32_t word = static_cast<uint32_t>(q[0]) | (static_cast<uint32_t>(q[1]) << 8);
    overflowed |= renorm && past_end;
    xs = renorm ? (xs << 16) | word : xs;
    p += (renorm && !past_end) ? 2 : 0;
    uint64_t u = t;
    if constexpr (kExtra) {
      const TokenInfo& info = kTokenInfo[t];
      u = info.base + ReadExtra(&pos, info.extra);  // no branch on n: tokens mix 0 and n bits
    }
    return ZigZagDecode(u);
  };
  size_t i = 0;
  if (next_state_ == 1 && k > 0) out[i++] = step(x1);
  for (; i + 2 <= k; i += 2) {
    out[i] = step(x0);
    out[i + 1] = step(x1);
  }
  next_state_ = 0;
  if (i < k) {
    out[i] = step(x0);
    next_state_ = 1;
  }
  x_[0] = x0;
  x_[1] = x1;
  p_ = p;
  extra_pos_ = pos;
  overflowed_ |= overflowed;
}

Status AnsReader::Finish(std::string_view* in) {
  if (overflowed_ || extra_pos_ > uint64_t{extra_size_} * 8) return Corruption("ans: truncated");
  if (!single_ && (p_ != end_ || x_[0] != kAnsStateLow || x_[1] != kAnsStateLow)) {
    return Corruption("ans: bad final state");
  }
  in->remove_prefix(header_bytes_ + static_cast<size_t>((extra_pos_ + 7) / 8));
  return Status::OK();
}

}  // namespace verbund::storage::encoding
