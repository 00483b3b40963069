// FileKeyProvider: a local key file holding per-tenant data keys wrapped (AES-256-GCM) by a
// master key kept in the same file. Created with a random master key at first start, mode 0600.
// Format in doc/format/keys.md. Protects against reading the data directory without the key
// file; a later provider (passphrase, PKCS#11, remote KMS) keeps the master key elsewhere.
//
// Thread-safety: every method is safe from any thread. Durability: a newly issued key is in the
// file (written to a temporary file, fsynced, renamed) before ActiveKeyId returns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "keys/key_provider.h"

namespace verbund::keys {

class FileKeyProvider final : public KeyProvider {
 public:
  // Opens `path`, creating it (and its parent directory) with a fresh master key if missing.
  // Corruption if the file fails its checksum or authentication.
  static Result<std::unique_ptr<FileKeyProvider>> Open(const std::string& path);

  Result<KeyId> ActiveKeyId(std::string_view tenant) override;
  Result<DataKey> GetKey(KeyId id) override;

  // Issues a new active key for `tenant` (old keys stay readable).
  Result<KeyId> Rotate(std::string_view tenant);
  // Makes a tenant's keys unavailable (FailedPrecondition) until Unlock; models a tenant that
  // has not unlocked its KEK. In memory only.
  void Lock(std::string_view tenant);
  void Unlock(std::string_view tenant);

 private:
  struct Entry {
    KeyId id = 0;
    std::string tenant;
    DataKey key;
  };
  FileKeyProvider(std::string path, DataKey master) : path_(std::move(path)), master_(master) {}
  Status Load(std::string_view bytes);
  Status Save();  // requires mu_
  Result<KeyId> IssueLocked(std::string_view tenant);

  const std::string path_;
  const DataKey master_;
  std::mutex mu_;
  KeyId next_id_ = 1;                       // guarded by mu_
  std::map<KeyId, Entry> keys_;             // guarded by mu_
  std::map<std::string, KeyId, std::less<>> active_;  // guarded by mu_
  std::set<std::string, std::less<>> locked_;         // guarded by mu_
};

}  // namespace verbund::keys
