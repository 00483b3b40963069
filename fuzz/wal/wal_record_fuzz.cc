// Fuzzes the WAL record decoder and segment scanner (torn-tail and corruption logic), and the
// plaintext batch/delete decoders, with arbitrary bytes. Must never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/wal/batch_codec.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage::wal;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Record r;
  std::string why;
  (void)DecodeRecord(in, &r, &why);
  auto fn = [](uint64_t, uint64_t, const Record& rec) {
    (void)DecodeBatch(rec.payload);
    return verbund::Status::OK();
  };
  uint64_t valid = 0, records = 0;
  (void)ScanSegment(in, 1, /*last=*/true, fn, &valid, &records);
  (void)ScanSegment(in, 1, /*last=*/false, fn, &valid, &records);
  (void)DecodeBatch(in);
  (void)DecodeDelete(in);
  uint64_t seg = 0;
  (void)DecodeSegmentHeader(in, &seg);
  return 0;
}
