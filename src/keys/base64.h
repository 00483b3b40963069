// Standard base64 with padding (RFC 4648 section 4) on OpenSSL's EVP_EncodeBlock/DecodeBlock:
// password hashes, HTTP Basic credentials, the console's binary payloads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace verbund::keys {

std::string EncodeBase64(std::string_view bytes);
// nullopt when malformed (a length not a multiple of 4, a character outside the alphabet).
// Lenient as EVP_DecodeBlock is: surrounding whitespace and stray bits in the last character
// pass; a caller that needs the canonical form compares EncodeBase64 of the result.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace verbund::keys
