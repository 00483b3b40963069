// Integer streams: the first value as a varint, then raw values, deltas or deltas of deltas
// (whichever is smallest), bit-packed in blocks of kBlockSize with a per-block width or
// (format version 2) entropy-coded with a static rANS model (ans_codec.h).
// Used for integer columns, timestamps and the integers of decimal-encoded floats.
// All arithmetic is modulo 2^64, so int64 extremes and wrapping gaps round-trip exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/coding.h"
#include "core/status.h"
#include "storage/encoding/ans_codec.h"
#include "storage/encoding/bit_stream.h"
#include "storage/encoding/chunk_format.h"

namespace verbund::storage::encoding {

// Appends the stream for v (v.size() >= 1) in the smallest mode whose version is at most
// max_version (1: packed blocks only, readable by every reader; 2: also entropy-coded) and
// returns the mode used. The first value is stored relative to `base`, so a caller that knows a
// nearby value (the chunk's min_ts) saves bytes; decode with the same base.
IntMode EncodeIntStream(std::span<const int64_t> v, int64_t base, std::string* dst,
                        uint8_t max_version = kChunkFormatVersion);

// Bytes EncodeIntStream would append.
size_t IntStreamSize(std::span<const int64_t> v, int64_t base,
                     uint8_t max_version = kChunkFormatVersion);

// Smallest input that can hold a stream of n values (used to cap n before allocating).
inline bool IntStreamCountPlausible(size_t n, size_t input_bytes) {
  return n <= 2 + kMaxIntStreamValuesPerByte * input_bytes;
}

// Decodes a stream of n (>= 1) values from the front of *in, advancing it. Calls
// sink(const int64_t* values, size_t k) with consecutive batches of at most kBlockSize values.
// Corruption on malformed input; the sink may then have seen arbitrary values.
template <typename Sink>
Status DecodeIntStreamTo(std::string_view* in, size_t n, int64_t base, Sink&& sink) {
  if (n == 0) return Status::OK();
  if (in->empty()) return Corruption("int stream: missing mode");
  const uint8_t mode = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (mode > kMaxIntMode) return Corruption("int stream: bad mode");
  const IntMode transform = IntModeTransform(static_cast<IntMode>(mode));
  const bool entropy_coded = IntModeVersion(static_cast<IntMode>(mode)) >= 2;
  uint64_t zz = 0;
  if (!GetVarint64(in, &zz)) return Corruption("int stream: bad first value");
  uint64_t prev = static_cast<uint64_t>(base) + static_cast<uint64_t>(ZigZagDecode(zz));
  uint64_t prev_delta = 0;
  int64_t head[2] = {static_cast<int64_t>(prev), 0};
  size_t head_n = 1;
  if (transform == IntMode::kDeltaOfDelta && n >= 2) {
    if (!GetVarint64(in, &zz)) return Corruption("int stream: bad first delta");
    prev_delta = static_cast<uint64_t>(ZigZagDecode(zz));
    prev += prev_delta;
    head[1] = static_cast<int64_t>(prev);
    head_n = 2;
  }
  sink(static_cast<const int64_t*>(head), head_n);
  if (head_n >= n) return Status::OK();
  // Undoes the transform on a batch of stream values, in place.
  auto untransform = [&](int64_t* s, size_t k) {
    switch (transform) {
      case IntMode::kDelta:
        for (size_t i = 0; i < k; ++i) {
          prev += static_cast<uint64_t>(s[i]);
          s[i] = static_cast<int64_t>(prev);
        }
        break;
      case IntMode::kDeltaOfDelta:
        for (size_t i = 0; i < k; ++i) {
          prev_delta += static_cast<uint64_t>(s[i]);
          prev += prev_delta;
          s[i] = static_cast<int64_t>(prev);
        }
        break;
      default:
        break;
    }
  };
  int64_t s[kBlockSize];
  if (entropy_coded) {
    AnsReader reader;
    RETURN_IF_ERROR(reader.Init(*in));
    for (size_t done = head_n; done < n;) {
      size_t k = n - done < kBlockSize ? n - done : kBlockSize;
      reader.Next(k, s);
      untransform(s, k);
      sink(static_cast<const int64_t*>(s), k);
      done += k;
    }
    return reader.Finish(in);
  }
  BlockReader reader(*in);
  for (size_t done = head_n; done < n;) {
    size_t k = n - done < kBlockSize ? n - done : kBlockSize;
    RETURN_IF_ERROR(reader.Next(k, s));
    untransform(s, k);
    sink(static_cast<const int64_t*>(s), k);
    done += k;
  }
  *in = reader.remaining();
  return Status::OK();
}

// Decodes a stream of n values into out[0..n).
inline Status DecodeIntStream(std::string_view* in, size_t n, int64_t base, int64_t* out) {
  size_t pos = 0;
  return DecodeIntStreamTo(in, n, base, [&](const int64_t* v, size_t k) {
    for (size_t i = 0; i < k; ++i) out[pos + i] = v[i];
    pos += k;
  });
}

}  // namespace verbund::storage::encoding
