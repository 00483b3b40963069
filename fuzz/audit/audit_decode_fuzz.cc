// Fuzzes the audit entry decoder, the record framing and segment scanner (torn-tail logic),
// the header and tree head decoders and the export verifier with arbitrary bytes. Must never
// crash or hang; and an entry that decodes must re-encode to exactly the input (the encoding
// is canonical: one entry, one byte string).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "audit/entry.h"
#include "audit/record.h"
#include "audit/sth.h"
#include "audit/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::audit;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto entry = DecodeEntry(in);
  if (entry.ok() != CheckEntry(in).ok()) std::abort();
  if (entry.ok()) {
    if (EncodeEntry(*entry) != in) std::abort();
    (void)EntryToJson(*entry);
  }

  Record r;
  std::string why;
  (void)DecodeRecord(in, &r, &why);
  auto fn = [](uint64_t, const Record& rec) {
    if (rec.type == RecordType::kEntry) (void)CheckEntry(rec.payload);
    if (rec.type == RecordType::kSegmentHeader) (void)DecodeSegmentHeader(rec.payload);
    return verbund::Status::OK();
  };
  uint64_t valid = 0;
  (void)ScanRecords(in, "fuzz", /*tolerate_torn_tail=*/true, fn, &valid);
  (void)ScanRecords(in, "fuzz", /*tolerate_torn_tail=*/false, fn, &valid);
  (void)DecodeSegmentHeader(in);
  (void)DecodeExportHeader(in);
  (void)DecodeSthLogHeader(in);
  (void)DecodeSth(in);
  (void)SthFromJson(in);
  (void)PublicKey::Parse(in);

  static const PublicKey key = [] {
    PublicKey k;
    for (size_t i = 0; i < k.raw.size(); ++i) k.raw[i] = static_cast<uint8_t>(i);
    return k;
  }();
  (void)VerifyExport(in, key);
  return 0;
}
