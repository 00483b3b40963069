// Entropy-coded integer stream bodies (int_stream modes 3..5, chunk format version 2): each
// stream value s becomes u = zz(s), split into a token (u itself below 32, else its bit width and
// the bit below the top one) and raw extra bits; the tokens are coded with a static-model rANS
// (Duda 2013; two interleaved states with 16-bit renormalisation as in Giesen's ryg_rans
// "rans_word"), the model's frequencies are stored in front. Layout in doc/format/chunk.md
// ("Entropy-coded body").
//
// Written by hand because no library offers it as a stable API: zstd's Huffman and FSE coders are
// internal (lib/common/huf.h, fse.h are neither installed nor versioned). zstd itself over a byte
// form (varints of the zigzag deltas, level 19, per chunk) measured 0.632 bytes/value on the
// TSBS-IoT day against 0.573 for this coder (storage_micro_bench, 8192-point chunks): close on
// small alphabets, 20 % worse on wide ones (latitude 1.50 vs 1.26), whose varint bytes it cannot
// model. A fixed 12-bit model decodes with one table lookup per value.
//
// Thread-safety: pure functions and a reader that owns its state; safe from any thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/encoding/bit_stream.h"

namespace verbund::storage::encoding {

// Model precision: frequencies add up to 2^kAnsProbBits.
inline constexpr int kAnsProbBits = 12;
inline constexpr uint32_t kAnsProbScale = 1u << kAnsProbBits;
// Two interleaved rANS states (value i uses state i % 2), each in [kAnsStateLow, 2^32),
// renormalised by one 16-bit word at a time; so decoding needs no loop and no unpredictable branch
// per value.
inline constexpr int kAnsStates = 2;
inline constexpr uint32_t kAnsStateLow = 1u << 16;
// Values u below this are their own token; above, two tokens per bit width 6..64.
inline constexpr uint32_t kAnsDirectTokens = 32;
inline constexpr uint32_t kAnsTokens = kAnsDirectTokens + 2 * (64 - 5);  // 150

// Token of u = zz(s).
inline uint32_t AnsToken(uint64_t u) {
  if (u < kAnsDirectTokens) return static_cast<uint32_t>(u);
  const int b = BitWidth(u);  // 6..64
  return kAnsDirectTokens + 2 * static_cast<uint32_t>(b - 6) +
         static_cast<uint32_t>((u >> (b - 2)) & 1);
}
// Extra bits that follow token t, and the value of token t with all extra bits zero.
inline constexpr int AnsExtraBits(uint32_t t) {
  return t < kAnsDirectTokens ? 0 : static_cast<int>(6 + (t - kAnsDirectTokens) / 2) - 2;
}
inline constexpr uint64_t AnsTokenBase(uint32_t t) {
  if (t < kAnsDirectTokens) return t;
  const int extra = AnsExtraBits(t);
  return (uint64_t{2} | ((t - kAnsDirectTokens) & 1)) << extra;
}

// Number of stream values per token.
using AnsCounts = std::array<uint32_t, kAnsTokens>;

// Appends the entropy-coded body for stream values s (s.size() >= 1). Returns false, appending
// nothing, when the body would break the decoder's count plausibility rule
// (IntStreamCountPlausible), which only happens for very long, near-constant streams.
bool AnsEncode(std::span<const int64_t> s, std::string* dst);
// As above, with the token counts of s already known.
bool AnsEncode(std::span<const int64_t> s, const AnsCounts& counts, std::string* dst);

// Estimated bytes of AnsEncode's output (exact table and extra bits; the rANS part from the
// order-0 entropy of the tokens, within a few bytes), from the values or their token counts.
size_t AnsEstimateSize(std::span<const int64_t> s);
size_t AnsEstimateSize(const AnsCounts& counts, size_t n);

// Decodes a body written by AnsEncode. Usage: Init once, Next for consecutive batches, Finish.
class AnsReader {
 public:
  // Parses the model and locates the coded bytes at the front of *in (not advanced yet).
  // Corruption on a malformed model or truncation.
  Status Init(std::string_view in);

  // Decodes the next k (1..kBlockSize) stream values into out[0..k). Never reads outside the
  // input; running past its end is reported by Finish.
  void Next(size_t k, int64_t* out);

  // Checks that the coded bytes were used up exactly and the final state is the initial one,
  // then advances *in (the same view given to Init) past the body.
  Status Finish(std::string_view* in);

 private:
  template <bool kExtra>
  void NextImpl(size_t k, int64_t* out);

  std::array<uint8_t, kAnsProbScale> token_of_slot_{};
  std::array<uint16_t, kAnsTokens> freq_{};
  std::array<uint16_t, kAnsTokens> start_{};
  const uint8_t* p_ = nullptr;    // next rANS word
  const uint8_t* end_ = nullptr;  // end of the rANS words
  uint32_t x_[kAnsStates] = {};
  size_t next_state_ = 0;  // state of the next value
  bool overflowed_ = false;
  bool single_ = false;     // one token has all the probability: no rANS bytes, no state
  bool has_extra_ = false;  // some token carries extra bits
  uint8_t single_token_ = 0;
  size_t header_bytes_ = 0;  // model + length + rANS bytes
  // Extra bits: LSB-first bit stream over [extra_data_, extra_data_ + extra_size_).
  const uint8_t* extra_data_ = nullptr;
  size_t extra_size_ = 0;
  uint64_t extra_pos_ = 0;  // bits read; past extra_size_ * 8 means truncated

  // Reads n (0..62) extra bits at bit position *pos and advances it; zeros once past the end
  // (Finish reports it). The position is a parameter so loops keep it in a register.
  uint64_t ReadExtra(uint64_t* pos, int n) const {
    const size_t byte = *pos >> 3;
    const int shift = static_cast<int>(*pos & 7);
    uint64_t w;
    if (byte + 16 <= extra_size_) [[likely]] {
      w = LoadLE64(extra_data_ + byte) >> shift;
      if (shift + n > 64) [[unlikely]]
        w |= uint64_t{extra_data_[byte + 8]} << (64 - shift);
    } else {
      uint8_t tmp[16] = {};
      if (byte < extra_size_) {
        std::memcpy(tmp, extra_data_ + byte, std::min<size_t>(16, extra_size_ - byte));
      }
      w = LoadLE64(tmp) >> shift;
      if (shift + n > 64) w |= uint64_t{tmp[8]} << (64 - shift);
    }
    *pos += static_cast<uint64_t>(n);
    return w & ((uint64_t{1} << n) - 1);
  }
};

}  // namespace verbund::storage::encoding
