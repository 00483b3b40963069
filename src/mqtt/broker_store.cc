#include "mqtt/broker_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/coding.h"
#include "keys/aead.h"
#include "keys/key_provider.h"
#include "mqtt/codec/codec.h"

namespace verbund::mqtt {
namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr char kRetainedPrefix = 'r';
constexpr char kSessionPrefix = 's';
constexpr std::string_view kKeyTenant = "$broker";  // key-provider tenant of the hub's own state

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Corruption(std::string(what) + ": " + s.ToString());
  return IOError(std::string(what) + ": " + s.ToString());
}

uint8_t OptionBits(const SubscriptionOptions& o) {
  return static_cast<uint8_t>(o.max_qos | (o.no_local << 2) | (o.retain_as_published << 3) |
                              (o.retain_handling << 4));
}
SubscriptionOptions OptionsFrom(uint8_t b) {
  SubscriptionOptions o;
  o.max_qos = b & 3;
  o.no_local = b & 4;
  o.retain_as_published = b & 8;
  o.retain_handling = (b >> 4) & 3;
  return o;
}

// The message as a 5.0 PUBLISH with its remaining expiry as Message Expiry Interval.
std::string EncodePublishBytes(const Message& m, int64_t now_mono_ns) {
  PublishView v;
  v.topic = m.topic;
  v.payload = m.payload;
  v.qos = m.qos;
  v.retain = m.retain;
  v.packet_id = m.qos > 0 ? 1 : 0;
  v.properties = &m.properties;
  if (m.expiry_ns != 0) {
    int64_t left = std::max<int64_t>(m.expiry_ns - now_mono_ns, 1'000'000'000);
    v.message_expiry_interval = static_cast<uint32_t>(left / 1'000'000'000);
  }
  std::string out;
  EncodePublish(v, ProtocolVersion::kV5, &out);
  return out;
}

Result<MessagePtr> DecodePublishBytes(std::string_view bytes, int64_t now_mono_ns,
                                      std::string origin_client) {
  auto header = ParseFixedHeader(bytes, 0xffffffff);
  if (!header || std::holds_alternative<CodecError>(*header)) {
    return Corruption("stored message: bad fixed header");
  }
  const FixedHeader& fh = std::get<FixedHeader>(*header);
  if (fh.type() != PacketType::kPublish || fh.total_length() != bytes.size()) {
    return Corruption("stored message: not a PUBLISH");
  }
  auto decoded = DecodePacket(fh, bytes.substr(fh.header_length), ProtocolVersion::kV5);
  if (auto* err = std::get_if<CodecError>(&decoded)) {
    return Corruption("stored message: " + err->message);
  }
  auto& p = std::get<PublishPacket>(std::get<Packet>(decoded));
  auto msg = std::make_shared<Message>();
  msg->topic = std::move(p.topic);
  msg->payload = std::move(p.payload);
  msg->qos = p.qos;
  msg->retain = p.retain;
  if (p.properties.message_expiry_interval) {
    msg->expiry_ns =
        now_mono_ns + static_cast<int64_t>(*p.properties.message_expiry_interval) * 1'000'000'000;
    p.properties.message_expiry_interval.reset();
  }
  msg->properties = std::move(p.properties);
  msg->origin_client = std::move(origin_client);
  return MessagePtr(std::move(msg));
}

}  // namespace

std::string EncodeStoredMessage(const Outbound& out, int64_t now_mono_ns) {
  std::string s;
  s.push_back(static_cast<char>(out.qos));
  s.push_back(static_cast<char>(out.retain));
  PutVarint64(&s, out.sub_ids.size());
  for (uint32_t id : out.sub_ids) PutVarint64(&s, id);
  PutLengthPrefixed(&s, out.msg->origin_client);
  PutLengthPrefixed(&s, EncodePublishBytes(*out.msg, now_mono_ns));
  return s;
}

Result<Outbound> DecodeStoredMessage(std::string_view* in, int64_t now_mono_ns) {
  Outbound out;
  uint64_t n = 0;
  if (in->size() < 2) return Corruption("stored message: truncated");
  out.qos = static_cast<uint8_t>((*in)[0]);
  out.retain = (*in)[1] != 0;
  in->remove_prefix(2);
  if (out.qos > 2 || !GetVarint64(in, &n) || n > in->size()) return Corruption("stored message: bad header");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!GetVarint64(in, &id)) return Corruption("stored message: bad subscription id");
    out.sub_ids.push_back(static_cast<uint32_t>(id));
  }
  std::string_view origin, bytes;
  if (!GetLengthPrefixed(in, &origin) || !GetLengthPrefixed(in, &bytes)) {
    return Corruption("stored message: truncated");
  }
  ASSIGN_OR_RETURN(out.msg, DecodePublishBytes(bytes, now_mono_ns, std::string(origin)));
  return out;
}

std::string EncodeSession(const SessionSnapshot& snap, int64_t now_wall_ns, int64_t now_mono_ns) {
  std::string s;
  s.push_back(static_cast<char>(kFormatVersion));
  s.push_back(static_cast<char>(snap.version));
  PutFixed32(&s, snap.expiry_s);
  PutFixed64(&s, static_cast<uint64_t>(now_wall_ns));
  PutLengthPrefixed(&s, snap.client_id);
  PutVarint64(&s, snap.subscriptions.size());
  for (const auto& [filter, rec] : snap.subscriptions) {
    PutLengthPrefixed(&s, filter);
    s.push_back(static_cast<char>(OptionBits(rec.options)));
    PutVarint64(&s, rec.subscription_id);
  }
  PutVarint64(&s, snap.inflight.size());
  for (const InflightEntry& e : snap.inflight) {
    PutFixed16(&s, e.packet_id);
    s.push_back(static_cast<char>(e.awaiting_pubcomp));
    s += EncodeStoredMessage(e.out, now_mono_ns);
  }
  PutVarint64(&s, snap.queue.size());
  for (const Outbound& o : snap.queue) s += EncodeStoredMessage(o, now_mono_ns);
  PutVarint64(&s, snap.incoming_qos2.size());
  for (uint16_t id : snap.incoming_qos2) PutFixed16(&s, id);
  PutFixed16(&s, snap.next_packet_id);
  return s;
}

Result<BrokerStore::StoredSession> DecodeSession(std::string_view in, int64_t now_mono_ns) {
  BrokerStore::StoredSession out;
  SessionSnapshot& snap = out.snapshot;
  if (in.size() < 14) return Corruption("stored session: truncated");
  if (static_cast<uint8_t>(in[0]) != kFormatVersion) {
    return Corruption("stored session: unknown format version " + std::to_string(uint8_t(in[0])));
  }
  uint8_t version = static_cast<uint8_t>(in[1]);
  if (version != 4 && version != 5) return Corruption("stored session: bad protocol version");
  snap.version = static_cast<ProtocolVersion>(version);
  in.remove_prefix(2);
  uint32_t expiry = 0;
  uint64_t saved = 0, n = 0;
  std::string_view client;
  if (!GetFixed32(&in, &expiry) || !GetFixed64(&in, &saved) || !GetLengthPrefixed(&in, &client)) {
    return Corruption("stored session: truncated header");
  }
  snap.expiry_s = expiry;
  out.saved_at_ns = static_cast<int64_t>(saved);
  snap.client_id = std::string(client);
  if (!GetVarint64(&in, &n) || n > in.size()) return Corruption("stored session: bad count");
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view filter;
    uint64_t sub_id = 0;
    if (!GetLengthPrefixed(&in, &filter) || in.empty()) return Corruption("stored session: bad subscription");
    uint8_t bits = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (!GetVarint64(&in, &sub_id)) return Corruption("stored session: bad subscription id");
    snap.subscriptions[std::string(filter)] = SubRecord{OptionsFrom(bits), static_cast<uint32_t>(sub_id)};
  }
  if (!GetVarint64(&in, &n) || n > in.size()) return Corruption("stored session: bad count");
  for (uint64_t i = 0; i < n; ++i) {
    if (in.size() < 3) return Corruption("stored session: truncated inflight");
    InflightEntry e;
    e.packet_id = DecodeFixed16(in.data());
    e.awaiting_pubcomp = in[2] != 0;
    in.remove_prefix(3);
    ASSIGN_OR_RETURN(e.out, DecodeStoredMessage(&in, now_mono_ns));
    snap.inflight.push_back(std::move(e));
  }
  if (!GetVarint64(&in, &n) || n > in.size()) return Corruption("stored session: bad count");
  for (uint64_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(Outbound o, DecodeStoredMessage(&in, now_mono_ns));
    snap.queue.push_back(std::move(o));
  }
  if (!GetVarint64(&in, &n) || n * 2 > in.size()) return Corruption("stored session: bad count");
  for (uint64_t i = 0; i < n; ++i) {
    snap.incoming_qos2.insert(DecodeFixed16(in.data()));
    in.remove_prefix(2);
  }
  if (in.size() != 2) return Corruption("stored session: trailing bytes");
  snap.next_packet_id = DecodeFixed16(in.data());
  return out;
}

BrokerStore::BrokerStore(rocksdb::DB* db, keys::KeyProvider* keys) : db_(db), keys_(keys) {}
BrokerStore::~BrokerStore() = default;

Result<std::unique_ptr<BrokerStore>> BrokerStore::Open(const std::string& dir,
                                                       keys::KeyProvider* keys) {
  ASSIGN_OR_RETURN(keys::KeyId id, keys->ActiveKeyId(kKeyTenant));
  ASSIGN_OR_RETURN(keys::DataKey key, keys->GetKey(id));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.keep_log_file_num = 2;
  options.max_manifest_file_size = 4 << 20;
  rocksdb::DB* db = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &db), "open " + dir));
  std::unique_ptr<BrokerStore> store(new BrokerStore(db, keys));
  store->key_id_ = id;
  keys::DataKey index = keys::DeriveKey(key, "verbund broker state index");
  store->index_key_ = index.bytes;
  return store;
}

std::string BrokerStore::KeyFor(char prefix, std::string_view name) const {
  keys::DataKey k;
  k.bytes = index_key_;
  auto mac = keys::HmacSha256(k, name);
  std::string key(1, prefix);
  key.append(reinterpret_cast<const char*>(mac.data()), 16);
  return key;
}

Status BrokerStore::Put(const std::string& key, std::string_view record) {
  ASSIGN_OR_RETURN(keys::DataKey data_key, keys_->GetKey(key_id_));
  std::string value;
  PutFixed32(&value, key_id_);
  RETURN_IF_ERROR(keys::Aead::SealTo(data_key, key, record, &value));
  return FromRocks(db_->Put(rocksdb::WriteOptions(), key, value), "put");
}

Status BrokerStore::ForEach(
    char prefix, const std::function<Status(const std::string&, std::string_view)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::string p(1, prefix);
  std::string record;
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    std::string key = it->key().ToString();
    std::string_view v(it->value().data(), it->value().size());
    uint32_t id = 0;
    if (!GetFixed32(&v, &id)) return Corruption("broker state: value without key id");
    ASSIGN_OR_RETURN(keys::DataKey data_key, keys_->GetKey(id));
    RETURN_IF_ERROR(keys::Aead::OpenTo(data_key, key, v, &record).Annotate("broker state"));
    RETURN_IF_ERROR(fn(key, record));
  }
  return FromRocks(it->status(), "scan");
}

Status BrokerStore::PutRetained(const Message& msg, int64_t now_mono_ns) {
  Outbound out{std::make_shared<Message>(msg), msg.qos, true, {}};
  return Put(KeyFor(kRetainedPrefix, msg.topic), EncodeStoredMessage(out, now_mono_ns));
}

Status BrokerStore::DeleteRetained(const std::string& topic) {
  return FromRocks(db_->Delete(rocksdb::WriteOptions(), KeyFor(kRetainedPrefix, topic)),
                   "retained delete");
}

Status BrokerStore::PutSession(const SessionSnapshot& snap, int64_t now_wall_ns,
                               int64_t now_mono_ns) {
  return Put(KeyFor(kSessionPrefix, snap.client_id), EncodeSession(snap, now_wall_ns, now_mono_ns));
}

Status BrokerStore::DeleteSession(const std::string& client_id) {
  return FromRocks(db_->Delete(rocksdb::WriteOptions(), KeyFor(kSessionPrefix, client_id)),
                   "session delete");
}

Status BrokerStore::Sync() { return FromRocks(db_->FlushWAL(true), "sync"); }

Result<std::vector<MessagePtr>> BrokerStore::LoadRetained(int64_t now_mono_ns) {
  std::vector<MessagePtr> out;
  std::vector<std::pair<std::string, MessagePtr>> stale;
  RETURN_IF_ERROR(ForEach(kRetainedPrefix, [&](const std::string& key, std::string_view record) {
    auto msg = DecodeStoredMessage(&record, now_mono_ns);
    if (!msg.ok()) return msg.status().Annotate("retained message");
    // Written under an earlier index key (key rotation): moved under the current one.
    if (key != KeyFor(kRetainedPrefix, msg->msg->topic)) stale.emplace_back(key, msg->msg);
    out.push_back(msg->msg);
    return Status::OK();
  }));
  for (const auto& [key, msg] : stale) {
    RETURN_IF_ERROR(PutRetained(*msg, now_mono_ns));
    RETURN_IF_ERROR(FromRocks(db_->Delete(rocksdb::WriteOptions(), key), "retained move"));
  }
  return out;
}

Result<std::vector<BrokerStore::StoredSession>> BrokerStore::LoadSessions(int64_t now_mono_ns) {
  std::vector<StoredSession> out;
  RETURN_IF_ERROR(ForEach(kSessionPrefix, [&](const std::string& key, std::string_view record) {
    auto s = DecodeSession(record, now_mono_ns);
    if (!s.ok()) return s.status();
    if (key != KeyFor(kSessionPrefix, s->snapshot.client_id)) {
      (void)db_->Delete(rocksdb::WriteOptions(), key);  // rewritten at the next shutdown
    }
    out.push_back(std::move(*s));
    return Status::OK();
  }));
  return out;
}

}  // namespace verbund::mqtt
