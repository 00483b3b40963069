#include "http/gzip.h"

#include <zlib.h>

#include <algorithm>

namespace verbund::http {

Result<std::string> GunzipBounded(std::string_view in, size_t max_out) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing only.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Internal("gzip: inflateInit failed");
  std::string out;
  out.resize(std::min<size_t>(std::max<size_t>(in.size() * 4, 4096), max_out + 1));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  Status status;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > max_out) {
        status = ResourceExhausted("gzip: decompressed body exceeds " + std::to_string(max_out) +
                                   " bytes");
        break;
      }
      out.resize(std::min<size_t>(out.size() * 2, max_out + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (produced > max_out) {
      status = ResourceExhausted("gzip: decompressed body exceeds " + std::to_string(max_out) +
                                 " bytes");
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows.
      if (inflateReset(&zs) != Z_OK) {
        status = Malformed("gzip: invalid member");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      status = Malformed("gzip: unexpected EOF");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = Malformed(std::string("gzip: ") + (zs.msg ? zs.msg : "invalid data"));
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) return status;
  out.resize(produced);
  return out;
}

Result<std::string> Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("gzip: deflateInit failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Internal("gzip: deflate failed");
  out.resize(n);
  return out;
}

}  // namespace verbund::http
