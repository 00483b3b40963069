#include "keys/sealed.h"

#include "core/coding.h"

namespace verbund::keys {

Result<std::string> SealWithKeyId(KeyProvider& keys, KeyId id, std::string_view aad,
                                  std::string_view plaintext) {
  ASSIGN_OR_RETURN(DataKey key, keys.GetKey(id));
  std::string out;
  PutFixed32(&out, id);
  RETURN_IF_ERROR(Aead::SealTo(key, aad, plaintext, &out));
  return out;
}

Result<std::string> OpenWithKeyId(KeyProvider& keys, std::string_view aad,
                                  std::string_view sealed) {
  if (sealed.size() < 4) return Corruption("sealed metadata too short");
  ASSIGN_OR_RETURN(DataKey key, keys.GetKey(DecodeFixed32(sealed.data())));
  return Aead::Open(key, aad, sealed.substr(4));
}

}  // namespace verbund::keys
