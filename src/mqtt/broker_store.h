// Durable broker state: retained messages (written through on every change) and persistent
// sessions with their queued and in-flight messages (written at shutdown), in a RocksDB
// database under <data_dir>/mqtt. Byte layout in doc/format/mqtt-state.md; messages are kept
// in their MQTT 5.0 PUBLISH encoding. Nothing is stored in clear: keys are keyed hashes of
// topics and client ids, values are sealed with AES-256-GCM (the key as associated data).
//
// Thread-safety: all methods are thread-safe (RocksDB is).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "mqtt/broker_internal.h"

namespace rocksdb {
class DB;
}

namespace verbund::keys {
class KeyProvider;
}

namespace verbund::mqtt {

class BrokerStore {
 public:
  // `keys` is not owned and must outlive the store; the hub's state uses tenant "$broker".
  static Result<std::unique_ptr<BrokerStore>> Open(const std::string& dir, keys::KeyProvider* keys);
  ~BrokerStore();

  Status PutRetained(const Message& msg, int64_t now_mono_ns);
  Status DeleteRetained(const std::string& topic);
  Status PutSession(const SessionSnapshot& snap, int64_t now_wall_ns, int64_t now_mono_ns);
  Status DeleteSession(const std::string& client_id);
  Status Sync();

  // Loaded messages get expiry deadlines relative to `now_mono_ns`.
  Result<std::vector<MessagePtr>> LoadRetained(int64_t now_mono_ns);
  struct StoredSession {
    SessionSnapshot snapshot;
    int64_t saved_at_ns = 0;  // wall clock
  };
  Result<std::vector<StoredSession>> LoadSessions(int64_t now_mono_ns);

 private:
  BrokerStore(rocksdb::DB* db, keys::KeyProvider* keys);
  std::string KeyFor(char prefix, std::string_view name) const;
  Status Put(const std::string& key, std::string_view record);
  // Opens every value under `prefix`; fn gets the plaintext record.
  Status ForEach(char prefix, const std::function<Status(const std::string& key, std::string_view record)>& fn);

  std::unique_ptr<rocksdb::DB> db_;
  keys::KeyProvider* keys_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> index_key_{};
};

// Exposed for golden tests (doc/format/mqtt-state.md).
std::string EncodeStoredMessage(const Outbound& out, int64_t now_mono_ns);
Result<Outbound> DecodeStoredMessage(std::string_view* in, int64_t now_mono_ns);
std::string EncodeSession(const SessionSnapshot& snap, int64_t now_wall_ns, int64_t now_mono_ns);
Result<BrokerStore::StoredSession> DecodeSession(std::string_view in, int64_t now_mono_ns);

}  // namespace verbund::mqtt
