#include "storage/encoding/zstd_frame.h"

#include <zstd.h>

namespace verbund::storage::encoding {

std::optional<std::string> ZstdCompress(std::string_view raw, int level) {
  std::string z(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) return std::nullopt;
  z.resize(n);
  return z;
}

Status ZstdDecompressExact(std::string_view frame, uint64_t raw_size, std::string_view what,
                           std::string* out) {
  if (ZSTD_getFrameContentSize(frame.data(), frame.size()) != raw_size) {
    return Corruption(std::string(what) + ": zstd frame size mismatch");
  }
  out->resize(raw_size);
  // ZSTD_decompress requires `frame` to be exactly whole frames: trailing bytes are an error.
  const size_t got = ZSTD_decompress(out->data(), out->size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != raw_size) {
    return Corruption(std::string(what) + ": zstd decompression");
  }
  return Status::OK();
}

}  // namespace verbund::storage::encoding
