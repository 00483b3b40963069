// Catalog record decoders (doc/format/catalog.md): the first input byte picks the decoder, the
// rest is the plaintext. 0: version-2 group (DecodeCatalogGroup, first id 1); a group that
// decodes must re-encode, raw and compressed, to a group that decodes to the same entries.
// 1: version-1 entry (DecodeCatalogEntry).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "storage/catalog_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verbund::storage;  // NOLINT
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 1) {
    SeriesInfo info;
    verbund::Status st = DecodeCatalogEntry(in, &info);
    if (!st.ok() && st.code() != verbund::StatusCode::kCorruption) std::abort();
    return 0;
  }
  std::vector<SeriesInfo> entries;
  verbund::Status st = DecodeCatalogGroup(in, 1, &entries);
  if (!st.ok()) {
    if (st.code() != verbund::StatusCode::kCorruption) std::abort();
    return 0;
  }
  if (entries.empty() || entries[0].id != 1) std::abort();
  for (bool compress : {false, true}) {
    std::vector<SeriesInfo> again;
    if (!DecodeCatalogGroup(EncodeCatalogGroup(entries, compress), 1, &again).ok() ||
        again.size() != entries.size()) {
      std::abort();
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (again[i].id != entries[i].id || again[i].type != entries[i].type ||
          !(again[i].key == entries[i].key)) {
        std::abort();
      }
    }
  }
  return 0;
}
