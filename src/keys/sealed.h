// Sealed metadata: `key id (fixed32) || AES-256-GCM(key, aad, plaintext)` under a key of a
// KeyProvider, so the key that sealed a record is known when it is opened (after rotation, too).
// The catalog's system records and the security directory file use it.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "keys/key_provider.h"

namespace verbund::keys {

Result<std::string> SealWithKeyId(KeyProvider& keys, KeyId id, std::string_view aad,
                                  std::string_view plaintext);
// Corruption when `sealed` is too short to hold a key id; the provider's and AEAD's errors.
Result<std::string> OpenWithKeyId(KeyProvider& keys, std::string_view aad, std::string_view sealed);

}  // namespace verbund::keys
