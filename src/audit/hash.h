// SHA-256 and the RFC 9162 (section 2.1.1) tree hashes, through OpenSSL EVP:
//   leaf hash  SHA-256(0x00 || entry bytes)
//   node hash  SHA-256(0x01 || left || right)
//   empty tree SHA-256("")
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace verbund::audit {

using Hash = std::array<uint8_t, 32>;

// Lower-case hex of any bytes, and back (false on an odd length or a non-hex digit; either
// case accepted).
std::string HexEncode(std::string_view bytes);
bool HexDecode(std::string_view hex, std::string* out);

// Lower-case hex of the 32 bytes, and back (nullopt unless exactly 64 hex digits).
std::string HashHex(const Hash& h);
std::optional<Hash> HashFromHex(std::string_view hex);
std::string_view HashBytes(const Hash& h);

// One reusable digest context: no allocation per hash. Not thread-safe; one per thread.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hash Leaf(std::string_view entry);
  Hash Node(const Hash& left, const Hash& right);
  Hash Plain(std::string_view data);  // SHA-256(data)

 private:
  Hash Digest(uint8_t prefix, bool with_prefix, std::string_view a, std::string_view b);
  evp_md_ctx_st* ctx_;
};

// The root of the empty tree, SHA-256("").
const Hash& EmptyRoot();

}  // namespace verbund::audit
