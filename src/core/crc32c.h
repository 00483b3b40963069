// CRC32C (Castagnoli), the checksum of every WAL record and file header.
// Written here because no Debian library exports it as a public API (RocksDB's and LevelDB's
// are internal headers); uses the SSE4.2 instruction when the CPU has it, a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace verbund::crc32c {

// Returns the CRC32C of data extended onto `init` (the CRC of what came before).
uint32_t Extend(uint32_t init, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Masked form stored on disk (as in LevelDB), so a CRC of data that itself holds CRCs is
// not degenerate.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace verbund::crc32c
