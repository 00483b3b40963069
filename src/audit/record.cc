#include "audit/record.h"

#include <cinttypes>
#include <cstdio>

#include "core/coding.h"
#include "core/framing.h"

namespace verbund::audit {
namespace {

// magic (5) | version u16 | min compatible u16
void PutVersionedMagic(std::string* out, const char* magic) {
  out->append(magic, 5);
  PutFixed16(out, kFormatVersion);
  PutFixed16(out, kMinCompatibleVersion);
}

Status CheckVersionedMagic(std::string_view payload, const char* magic, size_t size,
                           const char* what) {
  if (payload.size() != size || payload.substr(0, 5) != std::string_view(magic, 5)) {
    return Corruption(std::string("bad ") + what);
  }
  if (DecodeFixed16(payload.data() + 7) > kFormatVersion) {
    return FailedPrecondition(std::string(what) + " needs a newer version of verbund");
  }
  return Status::OK();
}

constexpr framing::Rules kRules{kMaxRecordPayload, IsKnownRecordType};

}  // namespace

std::string SegmentFileName(uint64_t segment) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ".audit", segment);
  return buf;
}

bool ParseSegmentFileName(const std::string& name, uint64_t* segment) {
  if (name.size() != 22 || name.compare(16, 6, ".audit") != 0) return false;
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = name[i];
    const int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *segment = v;
  return true;
}

void AppendRecord(std::string* out, RecordType type, std::string_view payload) {
  framing::Append(out, static_cast<uint8_t>(type), payload);
}

DecodeOutcome DecodeRecord(std::string_view in, Record* record, std::string* why) {
  framing::Frame f;
  const DecodeOutcome o = framing::Decode(in, kRules, &f, why);
  if (o == DecodeOutcome::kOk) *record = {static_cast<RecordType>(f.type), f.payload, f.size};
  return o;
}

std::string EncodeSegmentHeader(const SegmentHeader& h) {
  std::string p;
  PutVersionedMagic(&p, kSegmentMagic);
  PutFixed64(&p, h.segment);
  PutFixed64(&p, h.first_index);
  return p;
}

Result<SegmentHeader> DecodeSegmentHeader(std::string_view payload) {
  RETURN_IF_ERROR(
      CheckVersionedMagic(payload, kSegmentMagic, kSegmentHeaderBytes, "audit segment header"));
  SegmentHeader h;
  h.segment = DecodeFixed64(payload.data() + 9);
  h.first_index = DecodeFixed64(payload.data() + 17);
  return h;
}

std::string EncodeExportHeader(uint64_t first_index) {
  std::string p;
  PutVersionedMagic(&p, kExportMagic);
  PutFixed64(&p, first_index);
  return p;
}

Result<uint64_t> DecodeExportHeader(std::string_view payload) {
  RETURN_IF_ERROR(
      CheckVersionedMagic(payload, kExportMagic, kExportHeaderBytes, "audit export header"));
  return DecodeFixed64(payload.data() + 9);
}

std::string EncodeSthLogHeader() {
  std::string p;
  PutVersionedMagic(&p, kSthLogMagic);
  return p;
}

Status DecodeSthLogHeader(std::string_view payload) {
  return CheckVersionedMagic(payload, kSthLogMagic, 9, "audit sth.log header");
}

Status ScanRecords(std::string_view bytes, std::string_view file, bool tolerate_torn_tail,
                   const RecordFn& fn, uint64_t* valid_bytes) {
  size_t off = 0;
  *valid_bytes = 0;
  while (off < bytes.size()) {
    Record r;
    std::string why;
    const DecodeOutcome o = DecodeRecord(bytes.substr(off), &r, &why);
    if (o != DecodeOutcome::kOk) {
      if (tolerate_torn_tail && !framing::ValidRecordFollows(bytes.substr(off + 1), kRules)) {
        return Status::OK();
      }
      if (o == DecodeOutcome::kTruncated) why = "truncated record";
      return Corruption(std::string(file) + " offset " + std::to_string(off) + ": " + why);
    }
    Status s = fn(off, r);
    if (!s.ok()) return s.Annotate(std::string(file) + " offset " + std::to_string(off));
    off += r.size;
    *valid_bytes = off;
  }
  return Status::OK();
}

}  // namespace verbund::audit
