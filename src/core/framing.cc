#include "core/framing.h"

#include "core/coding.h"
#include "core/crc32c.h"

namespace verbund::framing {

void Append(std::string* out, uint8_t type, std::string_view payload) {
  const char t = static_cast<char>(type);
  const uint32_t crc = crc32c::Extend(crc32c::Value(&t, 1), payload.data(), payload.size());
  PutFixed32(out, crc32c::Mask(crc));
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(t);
  out->append(payload);
}

Outcome Decode(std::string_view in, const Rules& rules, Frame* frame, std::string* why) {
  if (in.size() < kHeaderBytes) return Outcome::kTruncated;
  const uint32_t masked = DecodeFixed32(in.data());
  const uint32_t len = DecodeFixed32(in.data() + 4);
  const uint8_t type = static_cast<uint8_t>(in[8]);
  if (len > rules.max_payload) {
    *why = "record length " + std::to_string(len) + " exceeds limit";
    return Outcome::kBad;
  }
  if (in.size() - kHeaderBytes < len) return Outcome::kTruncated;
  const uint32_t crc = crc32c::Extend(0, in.data() + 8, 1 + static_cast<size_t>(len));
  if (crc32c::Unmask(masked) != crc) {
    *why = "checksum mismatch";
    return Outcome::kBad;
  }
  if (!rules.known_type(type)) {
    *why = "unknown record type " + std::to_string(type);
    return Outcome::kBad;
  }
  frame->type = type;
  frame->payload = in.substr(kHeaderBytes, len);
  frame->size = kHeaderBytes + len;
  return Outcome::kOk;
}

bool ValidRecordFollows(std::string_view rest, const Rules& rules) {
  for (size_t i = 0; i + kHeaderBytes <= rest.size(); ++i) {
    Frame f;
    std::string why;
    if (Decode(rest.substr(i), rules, &f, &why) == Outcome::kOk) return true;
  }
  return false;
}

}  // namespace verbund::framing
