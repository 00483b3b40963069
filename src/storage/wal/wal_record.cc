#include "storage/wal/wal_record.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/coding.h"
#include "core/framing.h"

namespace verbund::storage::wal {

std::string SegmentFileName(uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ".wal", segment);
  return buf;
}

bool ParseSegmentFileName(const std::string& name, uint64_t* segment) {
  if (name.size() != 20 || name.compare(16, 4, ".wal") != 0) return false;
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    char c = name[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *segment = v;
  return true;
}

namespace {
constexpr framing::Rules kRules{kMaxRecordPayload, IsKnownType};
}  // namespace

void AppendRecord(std::string* out, RecordType type, std::string_view payload) {
  framing::Append(out, static_cast<uint8_t>(type), payload);
}

DecodeOutcome DecodeRecord(std::string_view in, Record* record, std::string* why) {
  framing::Frame f;
  switch (framing::Decode(in, kRules, &f, why)) {
    case framing::Outcome::kTruncated:
      return DecodeOutcome::kTruncated;
    case framing::Outcome::kBad:
      return DecodeOutcome::kBadRecord;
    case framing::Outcome::kOk:
      break;
  }
  record->type = static_cast<RecordType>(f.type);
  record->payload = f.payload;
  record->size = f.size;
  return DecodeOutcome::kOk;
}

bool ValidRecordFollows(std::string_view rest) { return framing::ValidRecordFollows(rest, kRules); }

std::string EncodeSegmentHeader(uint64_t segment) {
  std::string p(kSegmentMagic, 5);
  PutFixed16(&p, kFormatVersion);
  PutFixed16(&p, kMinCompatibleVersion);
  PutFixed64(&p, segment);
  return p;
}

Status DecodeSegmentHeader(std::string_view payload, uint64_t* segment) {
  if (payload.size() != 17 || payload.substr(0, 5) != std::string_view(kSegmentMagic, 5)) {
    return Corruption("bad segment header");
  }
  if (DecodeFixed16(payload.data() + 7) > kFormatVersion) {
    return FailedPrecondition("wal segment needs a newer version of verbund");
  }
  *segment = DecodeFixed64(payload.data() + 9);
  return Status::OK();
}

std::string SealedAad(RecordType type, uint32_t key_id) {
  std::string aad(1, static_cast<char>(type));
  PutFixed32(&aad, key_id);
  return aad;
}

}  // namespace verbund::storage::wal
