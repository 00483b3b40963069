// Durable broker state: retained messages (written through on every change) and persistent
// sessions with their queued and in-flight messages (written at shutdown), in a RocksDB
// database under <data_dir>/mqtt. Byte layout in doc/format/mqtt-state.md; messages are kept
// in their MQTT 5.0 PUBLISH encoding.
//
// Thread-safety: all methods are thread-safe (RocksDB is).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "mqtt/broker_internal.h"

namespace rocksdb {
class DB;
}

namespace verbund::mqtt {

class BrokerStore {
 public:
  static Result<std::unique_ptr<BrokerStore>> Open(const std::string& dir);
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
  explicit BrokerStore(rocksdb::DB* db);
  std::unique_ptr<rocksdb::DB> db_;
};

// Exposed for golden tests (doc/format/mqtt-state.md).
std::string EncodeStoredMessage(const Outbound& out, int64_t now_mono_ns);
Result<Outbound> DecodeStoredMessage(std::string_view* in, int64_t now_mono_ns);
std::string EncodeSession(const SessionSnapshot& snap, int64_t now_wall_ns, int64_t now_mono_ns);
Result<BrokerStore::StoredSession> DecodeSession(std::string_view in, int64_t now_mono_ns);

}  // namespace verbund::mqtt
