// KeyProvider: where the engine gets data keys. The engine only ever sees key ids and data keys;
// how keys are wrapped, stored or held (local key file, tenant passphrase, PKCS#11 token, remote
// KMS) is the provider's business.
//
// Thread-safety: implementations must be safe to call from any thread concurrently.
#pragma once

#include <string_view>

#include "core/status.h"
#include "keys/aead.h"

namespace verbund::keys {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  // The id of the key new data of `tenant` is sealed under; creates the tenant's first key if the
  // provider can. FailedPrecondition when the tenant is locked.
  virtual Result<KeyId> ActiveKeyId(std::string_view tenant) = 0;

  // The plaintext data key for `id`. FailedPrecondition when the key is locked/unavailable,
  // NotFound when no such key was ever issued.
  virtual Result<DataKey> GetKey(KeyId id) = 0;
};

}  // namespace verbund::keys
