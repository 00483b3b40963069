// MQTT 3.1.1 / 5.0 wire codec. Layout and rules: doc/format/mqtt-wire.md.
#include "mqtt/codec/codec.h"

#include "mqtt/codec/topic_check.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <initializer_list>

namespace verbund::mqtt {
namespace {

// ---------------------------------------------------------------------------------------------
// Constants

constexpr uint32_t kMaxVarint = 268'435'455;  // 0xFF 0xFF 0xFF 0x7F
constexpr uint32_t kMaxString = 65'535;

// Property identifiers (5.0 section 2.2.2.2).
enum PropId : uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQos = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

constexpr uint64_t Bit(int id) { return uint64_t{1} << id; }

// Which properties each packet (or the will) may carry; 5.0 section 2.2.2.2 table.
constexpr uint64_t kUserMask = Bit(kUserProperty);
constexpr uint64_t kConnectMask = Bit(kSessionExpiryInterval) | Bit(kAuthenticationMethod) |
                                  Bit(kAuthenticationData) | Bit(kRequestProblemInformation) |
                                  Bit(kRequestResponseInformation) | Bit(kReceiveMaximum) |
                                  Bit(kTopicAliasMaximum) | Bit(kMaximumPacketSize) | kUserMask;
constexpr uint64_t kConnackMask =
    Bit(kSessionExpiryInterval) | Bit(kAssignedClientIdentifier) | Bit(kServerKeepAlive) |
    Bit(kAuthenticationMethod) | Bit(kAuthenticationData) | Bit(kResponseInformation) |
    Bit(kServerReference) | Bit(kReasonString) | Bit(kReceiveMaximum) | Bit(kTopicAliasMaximum) |
    Bit(kMaximumQos) | Bit(kRetainAvailable) | Bit(kMaximumPacketSize) |
    Bit(kWildcardSubscriptionAvailable) | Bit(kSubscriptionIdentifierAvailable) |
    Bit(kSharedSubscriptionAvailable) | kUserMask;
constexpr uint64_t kPublishMask = Bit(kPayloadFormatIndicator) | Bit(kMessageExpiryInterval) |
                                  Bit(kContentType) | Bit(kResponseTopic) |
                                  Bit(kCorrelationData) | Bit(kSubscriptionIdentifier) |
                                  Bit(kTopicAlias) | kUserMask;
constexpr uint64_t kWillMask = Bit(kPayloadFormatIndicator) | Bit(kMessageExpiryInterval) |
                               Bit(kContentType) | Bit(kResponseTopic) | Bit(kCorrelationData) |
                               Bit(kWillDelayInterval) | kUserMask;
constexpr uint64_t kAckMask = Bit(kReasonString) | kUserMask;  // PUBACK..PUBCOMP, SUBACK, UNSUBACK
constexpr uint64_t kSubscribeMask = Bit(kSubscriptionIdentifier) | kUserMask;
constexpr uint64_t kUnsubscribeMask = kUserMask;
constexpr uint64_t kDisconnectMask =
    Bit(kSessionExpiryInterval) | Bit(kServerReference) | Bit(kReasonString) | kUserMask;
constexpr uint64_t kAuthMask =
    Bit(kAuthenticationMethod) | Bit(kAuthenticationData) | Bit(kReasonString) | kUserMask;

// The spec (5.0 section 2.2.2.2) calls a property identifier that is not valid for its packet
// type a Malformed Packet.
constexpr ReasonCode kPropertyNotAllowed = ReasonCode::kMalformedPacket;

// A set of reason code values, for the per-packet allowed lists (5.0 section 2.4 table).
class ReasonSet {
 public:
  constexpr ReasonSet(std::initializer_list<uint8_t> codes) {
    for (uint8_t c : codes) bits_[c >> 6] |= uint64_t{1} << (c & 63);
  }
  constexpr bool Contains(uint8_t c) const { return (bits_[c >> 6] >> (c & 63)) & 1; }

 private:
  std::array<uint64_t, 4> bits_{};
};

constexpr ReasonSet kConnackReasons = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                       0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
                                       0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
constexpr ReasonSet kPubackReasons = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
constexpr ReasonSet kPubrelReasons = {0x00, 0x92};  // also PUBCOMP
constexpr ReasonSet kSubackReasons = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                      0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
constexpr ReasonSet kUnsubackReasons = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
constexpr ReasonSet kDisconnectReasons = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89,
                                          0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
                                          0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D,
                                          0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
constexpr ReasonSet kAuthReasons = {0x00, 0x18, 0x19};

constexpr std::string_view kSharePrefix = "$share/";

size_t VarintSize(uint32_t v) {
  if (v < 128) return 1;
  if (v < 16'384) return 2;
  if (v < 2'097'152) return 3;
  return 4;
}

// Fixed-header flag rules (3.1.1 section 2.2.2, 5.0 section 2.1.3). nullptr = valid.
const char* CheckFlags(uint8_t first_byte) {
  const uint8_t type = first_byte >> 4;
  const uint8_t flags = first_byte & 0x0f;
  switch (static_cast<PacketType>(type)) {
    case PacketType::kPublish: {
      const uint8_t qos = (flags >> 1) & 3;
      if (qos == 3) return "PUBLISH with QoS 3";
      if (qos == 0 && (flags & 0x08)) return "PUBLISH QoS 0 with DUP set";
      return nullptr;
    }
    case PacketType::kPubrel:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
      return flags == 0x02 ? nullptr : "fixed header flags must be 0010";
    case PacketType::kConnect:
    case PacketType::kConnack:
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubcomp:
    case PacketType::kSuback:
    case PacketType::kUnsuback:
    case PacketType::kPingreq:
    case PacketType::kPingresp:
    case PacketType::kDisconnect:
    case PacketType::kAuth:
      return flags == 0 ? nullptr : "fixed header flags must be 0000";
  }
  return "reserved packet type 0";
}

// ---------------------------------------------------------------------------------------------
// Decoding

// Bounds-checked cursor over a packet body. Every read returns false on truncation.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }

  bool Byte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool U16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>((static_cast<uint8_t>(p_[0]) << 8) | static_cast<uint8_t>(p_[1]));
    p_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (remaining() < 4) return false;
    const auto* u = reinterpret_cast<const uint8_t*>(p_);
    *v = (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
    p_ += 4;
    return true;
  }
  // Variable Byte Integer: 1..4 bytes, minimal encoding (5.0 section 1.5.5).
  bool Varint(uint32_t* v) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = static_cast<uint8_t>(*p_++);
      value |= uint32_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) {
        if (i > 0 && b == 0) return false;  // not the minimal number of bytes
        *v = value;
        return true;
      }
    }
    return false;
  }
  // Two-byte length followed by that many bytes (UTF-8 string or binary data).
  bool Prefixed(std::string_view* v) {
    uint16_t n;
    if (!U16(&n) || remaining() < n) return false;
    *v = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Take(size_t n, std::string_view* v) {
    if (remaining() < n) return false;
    *v = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  std::string_view Rest() {
    std::string_view r(p_, remaining());
    p_ = end_;
    return r;
  }

 private:
  const char* p_;
  const char* end_;
};

// Collects the first error; helpers return false after calling Fail().
struct ErrorSink {
  CodecError error;
  bool Fail(ReasonCode reason, const char* message) {
    error.reason = reason;
    error.message = message;
    return false;
  }
  bool Malformed(const char* message) { return Fail(ReasonCode::kMalformedPacket, message); }
  bool Protocol(const char* message) { return Fail(ReasonCode::kProtocolError, message); }
};

bool ReadUtf8(Reader& r, std::string* out, ErrorSink& e, const char* what) {
  std::string_view s;
  if (!r.Prefixed(&s)) return e.Malformed(what);
  if (!IsValidUtf8(s)) return e.Malformed("invalid UTF-8 string");
  out->assign(s);
  return true;
}

bool ReadBinary(Reader& r, std::string* out, ErrorSink& e, const char* what) {
  std::string_view s;
  if (!r.Prefixed(&s)) return e.Malformed(what);
  out->assign(s);
  return true;
}

bool NotTwice(bool present, ErrorSink& e) {
  return present ? e.Protocol("property included more than once") : true;
}

bool ReadBoolByte(Reader& r, std::optional<uint8_t>* out, ErrorSink& e) {
  if (!NotTwice(out->has_value(), e)) return false;
  uint8_t v;
  if (!r.Byte(&v)) return e.Malformed("truncated property");
  if (v > 1) return e.Protocol("property value must be 0 or 1");
  *out = v;
  return true;
}

bool ReadU16Prop(Reader& r, std::optional<uint16_t>* out, ErrorSink& e) {
  if (!NotTwice(out->has_value(), e)) return false;
  uint16_t v;
  if (!r.U16(&v)) return e.Malformed("truncated property");
  *out = v;
  return true;
}

bool ReadU32Prop(Reader& r, std::optional<uint32_t>* out, ErrorSink& e) {
  if (!NotTwice(out->has_value(), e)) return false;
  uint32_t v;
  if (!r.U32(&v)) return e.Malformed("truncated property");
  *out = v;
  return true;
}

bool ReadStringProp(Reader& r, std::optional<std::string>* out, ErrorSink& e) {
  if (!NotTwice(out->has_value(), e)) return false;
  return ReadUtf8(r, &out->emplace(), e, "truncated property");
}

bool ReadBinaryProp(Reader& r, std::optional<std::string>* out, ErrorSink& e) {
  if (!NotTwice(out->has_value(), e)) return false;
  return ReadBinary(r, &out->emplace(), e, "truncated property");
}

// Reads Property Length and the properties (5.0 section 2.2.2). `mask` is the set of properties
// the packet may carry; Subscription Identifier may repeat only in PUBLISH.
bool ReadProperties(Reader& r, uint64_t mask, Properties* props, ErrorSink& e) {
  uint32_t len;
  if (!r.Varint(&len)) return e.Malformed("bad property length");
  std::string_view bytes;
  if (!r.Take(len, &bytes)) return e.Malformed("property length exceeds packet");
  Reader pr(bytes);
  const bool sub_id_may_repeat = mask == kPublishMask;
  while (!pr.empty()) {
    uint32_t id;
    if (!pr.Varint(&id)) return e.Malformed("bad property identifier");
    if (id >= 64 || (mask & Bit(static_cast<int>(id))) == 0) {
      return e.Fail(kPropertyNotAllowed, "property not allowed in this packet");
    }
    bool ok = true;
    switch (id) {
      case kPayloadFormatIndicator:
        ok = ReadBoolByte(pr, &props->payload_format_indicator, e);
        break;
      case kMessageExpiryInterval:
        ok = ReadU32Prop(pr, &props->message_expiry_interval, e);
        break;
      case kContentType:
        ok = ReadStringProp(pr, &props->content_type, e);
        break;
      case kResponseTopic:
        ok = ReadStringProp(pr, &props->response_topic, e);
        if (ok && !IsValidTopicName(*props->response_topic)) {
          ok = e.Protocol("response topic is not a valid topic name");
        }
        break;
      case kCorrelationData:
        ok = ReadBinaryProp(pr, &props->correlation_data, e);
        break;
      case kSubscriptionIdentifier: {
        if (!sub_id_may_repeat) ok = NotTwice(!props->subscription_identifiers.empty(), e);
        uint32_t v = 0;
        if (ok && !pr.Varint(&v)) ok = e.Malformed("bad subscription identifier");
        if (ok && v == 0) ok = e.Protocol("subscription identifier 0");
        if (ok) props->subscription_identifiers.push_back(v);
        break;
      }
      case kSessionExpiryInterval:
        ok = ReadU32Prop(pr, &props->session_expiry_interval, e);
        break;
      case kAssignedClientIdentifier:
        ok = ReadStringProp(pr, &props->assigned_client_identifier, e);
        break;
      case kServerKeepAlive:
        ok = ReadU16Prop(pr, &props->server_keep_alive, e);
        break;
      case kAuthenticationMethod:
        ok = ReadStringProp(pr, &props->authentication_method, e);
        break;
      case kAuthenticationData:
        ok = ReadBinaryProp(pr, &props->authentication_data, e);
        break;
      case kRequestProblemInformation:
        ok = ReadBoolByte(pr, &props->request_problem_information, e);
        break;
      case kWillDelayInterval:
        ok = ReadU32Prop(pr, &props->will_delay_interval, e);
        break;
      case kRequestResponseInformation:
        ok = ReadBoolByte(pr, &props->request_response_information, e);
        break;
      case kResponseInformation:
        ok = ReadStringProp(pr, &props->response_information, e);
        break;
      case kServerReference:
        ok = ReadStringProp(pr, &props->server_reference, e);
        break;
      case kReasonString:
        ok = ReadStringProp(pr, &props->reason_string, e);
        break;
      case kReceiveMaximum:
        ok = ReadU16Prop(pr, &props->receive_maximum, e);
        if (ok && *props->receive_maximum == 0) ok = e.Protocol("receive maximum 0");
        break;
      case kTopicAliasMaximum:
        ok = ReadU16Prop(pr, &props->topic_alias_maximum, e);
        break;
      case kTopicAlias:
        ok = ReadU16Prop(pr, &props->topic_alias, e);
        if (ok && *props->topic_alias == 0) {
          ok = e.Fail(ReasonCode::kTopicAliasInvalid, "topic alias 0");
        }
        break;
      case kMaximumQos:
        ok = ReadBoolByte(pr, &props->maximum_qos, e);
        break;
      case kRetainAvailable:
        ok = ReadBoolByte(pr, &props->retain_available, e);
        break;
      case kUserProperty: {
        auto& kv = props->user_properties.emplace_back();
        ok = ReadUtf8(pr, &kv.first, e, "truncated user property") &&
             ReadUtf8(pr, &kv.second, e, "truncated user property");
        break;
      }
      case kMaximumPacketSize:
        ok = ReadU32Prop(pr, &props->maximum_packet_size, e);
        if (ok && *props->maximum_packet_size == 0) ok = e.Protocol("maximum packet size 0");
        break;
      case kWildcardSubscriptionAvailable:
        ok = ReadBoolByte(pr, &props->wildcard_subscription_available, e);
        break;
      case kSubscriptionIdentifierAvailable:
        ok = ReadBoolByte(pr, &props->subscription_identifier_available, e);
        break;
      case kSharedSubscriptionAvailable:
        ok = ReadBoolByte(pr, &props->shared_subscription_available, e);
        break;
      default:
        ok = e.Fail(kPropertyNotAllowed, "unknown property");
        break;
    }
    if (!ok) return false;
  }
  if (props->authentication_data && !props->authentication_method) {
    return e.Protocol("authentication data without authentication method");
  }
  return true;
}

bool ReadPacketId(Reader& r, uint16_t* id, ErrorSink& e) {
  if (!r.U16(id)) return e.Malformed("truncated packet identifier");
  if (*id == 0) return e.Protocol("packet identifier 0");
  return true;
}

bool ReadReason(Reader& r, const ReasonSet& allowed, ReasonCode* out, ErrorSink& e) {
  uint8_t v;
  if (!r.Byte(&v)) return e.Malformed("truncated reason code");
  if (!allowed.Contains(v)) return e.Protocol("reason code not allowed in this packet");
  *out = static_cast<ReasonCode>(v);
  return true;
}

bool ExpectEnd(const Reader& r, ErrorSink& e) {
  return r.empty() ? true : e.Malformed("unexpected bytes after packet");
}

bool IsShared(std::string_view filter) {
  return filter.substr(0, kSharePrefix.size()) == kSharePrefix;
}

bool DecodeConnect(Reader& r, ConnectPacket* c, ErrorSink& e) {
  std::string_view name;
  if (!r.Prefixed(&name)) return e.Malformed("truncated protocol name");
  // "MQIsdp" level 3 is MQTT 3.1, served as 3.1.1 (its packets are a subset). Another name is
  // not MQTT: 3.1.1 MQTT-3.1.2-1 lets the server close without CONNACK, which it does.
  const bool v31 = name == kProtocolNameV31;
  if (!v31 && name != kProtocolName) return e.Protocol("unsupported protocol name");
  uint8_t level;
  if (!r.Byte(&level)) return e.Malformed("truncated protocol level");
  if (v31 ? level != 3 : level != 4 && level != 5) {
    return e.Fail(ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol level");
  }
  const bool v5 = level == 5;
  c->version = v5 ? ProtocolVersion::kV5 : ProtocolVersion::kV311;
  c->protocol_name = name;
  uint8_t flags;
  if (!r.Byte(&flags)) return e.Malformed("truncated connect flags");
  if (flags & 0x01) return e.Malformed("reserved connect flag set");
  c->clean_start = flags & 0x02;
  const bool will = flags & 0x04;
  const uint8_t will_qos = (flags >> 3) & 3;
  const bool will_retain = flags & 0x20;
  const bool has_password = flags & 0x40;
  const bool has_username = flags & 0x80;
  if (will_qos == 3) return e.Malformed("will QoS 3");
  if (!will && (will_qos != 0 || will_retain)) {
    return e.Malformed("will QoS or retain set without will flag");
  }
  if (!v5 && has_password && !has_username) {
    return e.Malformed("password without user name (3.1.1)");
  }
  if (!r.U16(&c->keep_alive)) return e.Malformed("truncated keep alive");
  if (v5 && !ReadProperties(r, kConnectMask, &c->properties, e)) return false;
  if (!ReadUtf8(r, &c->client_id, e, "truncated client identifier")) return false;
  if (will) {
    Will& w = c->will.emplace();
    w.qos = will_qos;
    w.retain = will_retain;
    if (v5 && !ReadProperties(r, kWillMask, &w.properties, e)) return false;
    if (!ReadUtf8(r, &w.topic, e, "truncated will topic")) return false;
    if (!IsValidTopicName(w.topic)) {
      return e.Fail(ReasonCode::kTopicNameInvalid, "invalid will topic");
    }
    if (!ReadBinary(r, &w.payload, e, "truncated will payload")) return false;
  }
  if (has_username && !ReadUtf8(r, &c->username.emplace(), e, "truncated user name")) {
    return false;
  }
  if (has_password && !ReadBinary(r, &c->password.emplace(), e, "truncated password")) {
    return false;
  }
  return ExpectEnd(r, e);
}

bool DecodeConnack(Reader& r, ProtocolVersion version, ConnackPacket* c, ErrorSink& e) {
  uint8_t ack_flags;
  if (!r.Byte(&ack_flags)) return e.Malformed("truncated connack flags");
  if (ack_flags & 0xFE) return e.Malformed("reserved connack flags set");
  c->session_present = ack_flags & 0x01;
  if (version == ProtocolVersion::kV311) {
    uint8_t rc;
    if (!r.Byte(&rc)) return e.Malformed("truncated return code");
    static constexpr ReasonCode kFromV311[] = {
        ReasonCode::kSuccess,           ReasonCode::kUnsupportedProtocolVersion,
        ReasonCode::kClientIdentifierNotValid, ReasonCode::kServerUnavailable,
        ReasonCode::kBadUserNameOrPassword,    ReasonCode::kNotAuthorized};
    if (rc > 5) return e.Malformed("reserved connack return code");
    c->reason = kFromV311[rc];
    return ExpectEnd(r, e);
  }
  if (!ReadReason(r, kConnackReasons, &c->reason, e)) return false;
  if (!ReadProperties(r, kConnackMask, &c->properties, e)) return false;
  return ExpectEnd(r, e);
}

bool DecodePublish(Reader& r, uint8_t flags, ProtocolVersion version, PublishPacket* p,
                   ErrorSink& e) {
  p->qos = (flags >> 1) & 3;
  p->retain = flags & 0x01;
  p->dup = flags & 0x08;
  std::string_view topic;
  if (!r.Prefixed(&topic)) return e.Malformed("truncated topic name");
  switch (CheckTopicName(topic)) {
    case TopicNameCheck::kOk:
      break;
    case TopicNameCheck::kInvalidUtf8:
      return e.Malformed("invalid UTF-8 string");
    case TopicNameCheck::kWildcard:
      return e.Fail(ReasonCode::kTopicNameInvalid, "wildcard in topic name");
  }
  if (p->qos > 0 && !ReadPacketId(r, &p->packet_id, e)) return false;
  if (version == ProtocolVersion::kV5) {
    if (!ReadProperties(r, kPublishMask, &p->properties, e)) return false;
  }
  if (topic.empty() && !p->properties.topic_alias) {
    return e.Protocol("empty topic name without topic alias");
  }
  p->topic.assign(topic);
  p->payload.assign(r.Rest());
  return true;
}

bool DecodeAck(Reader& r, ProtocolVersion version, AckPacket* a, ErrorSink& e) {
  if (!ReadPacketId(r, &a->packet_id, e)) return false;
  if (version == ProtocolVersion::kV311 || r.empty()) return ExpectEnd(r, e);
  const bool pub = a->type == PacketType::kPuback || a->type == PacketType::kPubrec;
  if (!ReadReason(r, pub ? kPubackReasons : kPubrelReasons, &a->reason, e)) return false;
  if (!r.empty() && !ReadProperties(r, kAckMask, &a->properties, e)) return false;
  return ExpectEnd(r, e);
}

bool DecodeSubscribe(Reader& r, ProtocolVersion version, SubscribePacket* s, ErrorSink& e) {
  const bool v5 = version == ProtocolVersion::kV5;
  if (!ReadPacketId(r, &s->packet_id, e)) return false;
  if (v5 && !ReadProperties(r, kSubscribeMask, &s->properties, e)) return false;
  if (r.empty()) return e.Protocol("SUBSCRIBE without subscriptions");
  while (!r.empty()) {
    Subscription& sub = s->subscriptions.emplace_back();
    if (!ReadUtf8(r, &sub.filter, e, "truncated topic filter")) return false;
    uint8_t o;
    if (!r.Byte(&o)) return e.Malformed("truncated subscription options");
    sub.options.max_qos = o & 3;
    if (sub.options.max_qos == 3) return e.Malformed("subscription QoS 3");
    if (!v5) {
      if (o & 0xFC) return e.Malformed("reserved subscription option bits set");
    } else {
      if (o & 0xC0) return e.Malformed("reserved subscription option bits set");
      sub.options.no_local = o & 0x04;
      sub.options.retain_as_published = o & 0x08;
      sub.options.retain_handling = (o >> 4) & 3;
      if (sub.options.retain_handling == 3) return e.Protocol("retain handling 3");
    }
    // Filter syntax is the broker's to judge: it answers 0x8F for that filter in SUBACK and
    // serves the packet's other filters (3.9.3), instead of dropping the connection.
    if (sub.options.no_local && IsShared(sub.filter)) {
      return e.Protocol("no local on a shared subscription");
    }
  }
  return true;
}

bool DecodeSuback(Reader& r, ProtocolVersion version, SubackPacket* s, ErrorSink& e) {
  if (!ReadPacketId(r, &s->packet_id, e)) return false;
  const bool v5 = version == ProtocolVersion::kV5;
  if (v5 && !ReadProperties(r, kAckMask, &s->properties, e)) return false;
  if (r.empty()) return e.Protocol("SUBACK without reason codes");
  std::string_view codes = r.Rest();
  s->reasons.reserve(codes.size());
  for (char ch : codes) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (v5) {
      if (!kSubackReasons.Contains(c)) return e.Protocol("reason code not allowed in SUBACK");
    } else if (c > 2 && c != 0x80) {
      return e.Malformed("reserved SUBACK return code");
    }
    s->reasons.push_back(static_cast<ReasonCode>(c));
  }
  return true;
}

bool DecodeUnsubscribe(Reader& r, ProtocolVersion version, UnsubscribePacket* u, ErrorSink& e) {
  if (!ReadPacketId(r, &u->packet_id, e)) return false;
  if (version == ProtocolVersion::kV5 &&
      !ReadProperties(r, kUnsubscribeMask, &u->properties, e)) {
    return false;
  }
  if (r.empty()) return e.Protocol("UNSUBSCRIBE without topic filters");
  while (!r.empty()) {
    std::string& f = u->filters.emplace_back();
    if (!ReadUtf8(r, &f, e, "truncated topic filter")) return false;  // syntax: the broker's
  }
  return true;
}

bool DecodeUnsuback(Reader& r, ProtocolVersion version, UnsubackPacket* u, ErrorSink& e) {
  if (!ReadPacketId(r, &u->packet_id, e)) return false;
  if (version == ProtocolVersion::kV311) return ExpectEnd(r, e);
  if (!ReadProperties(r, kAckMask, &u->properties, e)) return false;
  if (r.empty()) return e.Protocol("UNSUBACK without reason codes");
  std::string_view codes = r.Rest();
  u->reasons.reserve(codes.size());
  for (char ch : codes) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (!kUnsubackReasons.Contains(c)) return e.Protocol("reason code not allowed in UNSUBACK");
    u->reasons.push_back(static_cast<ReasonCode>(c));
  }
  return true;
}

bool DecodeDisconnect(Reader& r, ProtocolVersion version, DisconnectPacket* d, ErrorSink& e) {
  if (version == ProtocolVersion::kV311 || r.empty()) return ExpectEnd(r, e);
  if (!ReadReason(r, kDisconnectReasons, &d->reason, e)) return false;
  if (!r.empty() && !ReadProperties(r, kDisconnectMask, &d->properties, e)) return false;
  return ExpectEnd(r, e);
}

bool DecodeAuth(Reader& r, ProtocolVersion version, AuthPacket* a, ErrorSink& e) {
  if (version == ProtocolVersion::kV311) return e.Malformed("AUTH does not exist in 3.1.1");
  if (r.empty()) return true;
  if (!ReadReason(r, kAuthReasons, &a->reason, e)) return false;
  if (!ReadProperties(r, kAuthMask, &a->properties, e)) return false;
  return ExpectEnd(r, e);
}

// Decodes into alternative T of the result; on failure returns the error instead.
template <typename T, typename F>
CodecResult<Packet> DecodeInto(F&& decode) {
  CodecResult<Packet> result(std::in_place_index<0>, std::in_place_type<T>);
  ErrorSink e;
  if (!decode(std::get<T>(std::get<0>(result)), e)) result.template emplace<1>(std::move(e.error));
  return result;  // one returned object: no copy of the packet (NRVO)
}

// ---------------------------------------------------------------------------------------------
// Encoding. Each body is written by one template run twice: with SizeCounter to learn the
// remaining length, then with Appender to produce bytes (so sizes and bytes never disagree).

class SizeCounter {
 public:
  void Byte(uint8_t) { ++n_; }
  void U16(uint16_t) { n_ += 2; }
  void U32(uint32_t) { n_ += 4; }
  void Varint(uint32_t v) { n_ += VarintSize(v); }
  void Raw(std::string_view s) { n_ += s.size(); }
  void Prefixed(std::string_view s) { n_ += 2 + std::min<size_t>(s.size(), kMaxString); }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
};

class Appender {
 public:
  explicit Appender(std::string* out) : out_(out) {}
  void Byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void U16(uint16_t v) {
    const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out_->append(b, 2);
  }
  void U32(uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    out_->append(b, 4);
  }
  void Varint(uint32_t v) {
    char b[4];
    int n = 0;
    do {
      uint8_t d = v & 0x7f;
      v >>= 7;
      if (v != 0) d |= 0x80;
      b[n++] = static_cast<char>(d);
    } while (v != 0 && n < 4);
    out_->append(b, n);
  }
  void Raw(std::string_view s) { out_->append(s); }
  // Strings longer than 65535 bytes cannot be represented; they are cut so framing stays valid.
  void Prefixed(std::string_view s) {
    if (s.size() > kMaxString) s = s.substr(0, kMaxString);
    U16(static_cast<uint16_t>(s.size()));
    out_->append(s);
  }

 private:
  std::string* out_;
};

// Values that replace the message's own properties when a PUBLISH is delivered.
struct PropertyOverrides {
  const std::vector<uint32_t>* subscription_ids = nullptr;
  std::optional<uint16_t> topic_alias;
  std::optional<uint32_t> message_expiry_interval;
};

template <typename W>
void WritePropertyList(W& w, const Properties* p, uint64_t mask,
                       const PropertyOverrides* ov = nullptr) {
  static const Properties kEmpty;
  if (p == nullptr) p = &kEmpty;
  auto byte = [&](PropId id, const std::optional<uint8_t>& v) {
    if ((mask & Bit(id)) && v) {
      w.Byte(id);
      w.Byte(*v);
    }
  };
  auto u16 = [&](PropId id, const std::optional<uint16_t>& v) {
    if ((mask & Bit(id)) && v) {
      w.Byte(id);
      w.U16(*v);
    }
  };
  auto u32 = [&](PropId id, const std::optional<uint32_t>& v) {
    if ((mask & Bit(id)) && v) {
      w.Byte(id);
      w.U32(*v);
    }
  };
  auto str = [&](PropId id, const std::optional<std::string>& v) {
    if ((mask & Bit(id)) && v) {
      w.Byte(id);
      w.Prefixed(*v);
    }
  };
  byte(kPayloadFormatIndicator, p->payload_format_indicator);
  u32(kMessageExpiryInterval,
      ov && ov->message_expiry_interval ? ov->message_expiry_interval
                                        : p->message_expiry_interval);
  str(kContentType, p->content_type);
  str(kResponseTopic, p->response_topic);
  str(kCorrelationData, p->correlation_data);
  if (mask & Bit(kSubscriptionIdentifier)) {
    const std::vector<uint32_t>& ids =
        ov && ov->subscription_ids ? *ov->subscription_ids : p->subscription_identifiers;
    for (uint32_t id : ids) {
      if (id == 0 || id > kMaxVarint) continue;  // not representable
      w.Byte(kSubscriptionIdentifier);
      w.Varint(id);
      if (mask != kPublishMask) break;  // SUBSCRIBE carries at most one
    }
  }
  u32(kSessionExpiryInterval, p->session_expiry_interval);
  str(kAssignedClientIdentifier, p->assigned_client_identifier);
  u16(kServerKeepAlive, p->server_keep_alive);
  str(kAuthenticationMethod, p->authentication_method);
  str(kAuthenticationData, p->authentication_data);
  byte(kRequestProblemInformation, p->request_problem_information);
  u32(kWillDelayInterval, p->will_delay_interval);
  byte(kRequestResponseInformation, p->request_response_information);
  str(kResponseInformation, p->response_information);
  str(kServerReference, p->server_reference);
  str(kReasonString, p->reason_string);
  u16(kReceiveMaximum, p->receive_maximum);
  u16(kTopicAliasMaximum, p->topic_alias_maximum);
  u16(kTopicAlias, ov && ov->topic_alias ? ov->topic_alias : p->topic_alias);
  byte(kMaximumQos, p->maximum_qos);
  byte(kRetainAvailable, p->retain_available);
  if (mask & kUserMask) {
    for (const auto& [k, v] : p->user_properties) {
      w.Byte(kUserProperty);
      w.Prefixed(k);
      w.Prefixed(v);
    }
  }
  u32(kMaximumPacketSize, p->maximum_packet_size);
  byte(kWildcardSubscriptionAvailable, p->wildcard_subscription_available);
  byte(kSubscriptionIdentifierAvailable, p->subscription_identifier_available);
  byte(kSharedSubscriptionAvailable, p->shared_subscription_available);
}

size_t PropertyListSize(const Properties* p, uint64_t mask,
                        const PropertyOverrides* ov = nullptr) {
  SizeCounter c;
  WritePropertyList(c, p, mask, ov);
  return c.size();
}

template <typename W>
void WriteProperties(W& w, const Properties& p, uint64_t mask) {
  const size_t n = PropertyListSize(&p, mask);
  w.Varint(static_cast<uint32_t>(n));
  WritePropertyList(w, &p, mask);
}

template <typename W>
void WriteConnect(W& w, const ConnectPacket& c) {
  const bool v5 = c.version == ProtocolVersion::kV5;
  w.Prefixed(c.protocol_name);
  w.Byte(c.protocol_name == kProtocolNameV31 ? 3 : static_cast<uint8_t>(c.version));
  uint8_t flags = c.clean_start ? 0x02 : 0;
  if (c.will) {
    flags |= 0x04 | ((c.will->qos & 3) << 3) | (c.will->retain ? 0x20 : 0);
  }
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  w.Byte(flags);
  w.U16(c.keep_alive);
  if (v5) WriteProperties(w, c.properties, kConnectMask);
  w.Prefixed(c.client_id);
  if (c.will) {
    if (v5) WriteProperties(w, c.will->properties, kWillMask);
    w.Prefixed(c.will->topic);
    w.Prefixed(c.will->payload);
  }
  if (c.username) w.Prefixed(*c.username);
  if (c.password) w.Prefixed(*c.password);
}

template <typename W>
void WriteConnack(W& w, const ConnackPacket& c, bool v5) {
  w.Byte(c.session_present ? 1 : 0);
  if (!v5) {
    w.Byte(ToV311ConnackCode(c.reason));
    return;
  }
  w.Byte(static_cast<uint8_t>(c.reason));
  WriteProperties(w, c.properties, kConnackMask);
}

// 5.0 reason code + properties tail shared by the acks, DISCONNECT and AUTH: omitted entirely
// when the reason is Success and there are no properties; properties omitted when empty unless
// `props_required` (AUTH has no one-byte form).
template <typename W>
void WriteReasonTail(W& w, ReasonCode reason, const Properties& props, uint64_t mask,
                     bool props_required) {
  const size_t n = PropertyListSize(&props, mask);
  if (reason == ReasonCode::kSuccess && n == 0) return;
  w.Byte(static_cast<uint8_t>(reason));
  if (n == 0 && !props_required) return;
  w.Varint(static_cast<uint32_t>(n));
  WritePropertyList(w, &props, mask);
}

template <typename W>
void WriteAck(W& w, const AckPacket& a, bool v5) {
  w.U16(a.packet_id);
  if (v5) WriteReasonTail(w, a.reason, a.properties, kAckMask, false);
}

uint8_t SubscriptionOptionsByte(const SubscriptionOptions& o, bool v5) {
  uint8_t b = o.max_qos & 3;
  if (v5) {
    b |= (o.no_local ? 0x04 : 0) | (o.retain_as_published ? 0x08 : 0) |
         ((o.retain_handling & 3) << 4);
  }
  return b;
}

template <typename W>
void WriteSubscribe(W& w, const SubscribePacket& s, bool v5) {
  w.U16(s.packet_id);
  if (v5) WriteProperties(w, s.properties, kSubscribeMask);
  for (const Subscription& sub : s.subscriptions) {
    w.Prefixed(sub.filter);
    w.Byte(SubscriptionOptionsByte(sub.options, v5));
  }
}

template <typename W>
void WriteSuback(W& w, const SubackPacket& s, bool v5) {
  w.U16(s.packet_id);
  if (v5) WriteProperties(w, s.properties, kAckMask);
  for (ReasonCode r : s.reasons) {
    const uint8_t c = static_cast<uint8_t>(r);
    w.Byte(v5 ? c : (c < 0x80 ? c : 0x80));
  }
}

template <typename W>
void WriteUnsubscribe(W& w, const UnsubscribePacket& u, bool v5) {
  w.U16(u.packet_id);
  if (v5) WriteProperties(w, u.properties, kUnsubscribeMask);
  for (const std::string& f : u.filters) w.Prefixed(f);
}

template <typename W>
void WriteUnsuback(W& w, const UnsubackPacket& u, bool v5) {
  w.U16(u.packet_id);
  if (!v5) return;
  WriteProperties(w, u.properties, kAckMask);
  for (ReasonCode r : u.reasons) w.Byte(static_cast<uint8_t>(r));
}

uint8_t FirstByte(PacketType type) {
  const uint8_t t = static_cast<uint8_t>(type) << 4;
  switch (type) {
    case PacketType::kPubrel:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
      return t | 0x02;
    default:
      return t;
  }
}

// Writes the body of any packet except PUBLISH (which has its own fast path).
template <typename W>
void WriteBody(W& w, const Packet& packet, ProtocolVersion version) {
  const bool v5 = version == ProtocolVersion::kV5;
  switch (packet.index()) {
    case 0: WriteConnect(w, std::get<ConnectPacket>(packet)); break;
    case 1: WriteConnack(w, std::get<ConnackPacket>(packet), v5); break;
    case 3: WriteAck(w, std::get<AckPacket>(packet), v5); break;
    case 4: WriteSubscribe(w, std::get<SubscribePacket>(packet), v5); break;
    case 5: WriteSuback(w, std::get<SubackPacket>(packet), v5); break;
    case 6: WriteUnsubscribe(w, std::get<UnsubscribePacket>(packet), v5); break;
    case 7: WriteUnsuback(w, std::get<UnsubackPacket>(packet), v5); break;
    case 10: {
      const auto& d = std::get<DisconnectPacket>(packet);
      if (v5) WriteReasonTail(w, d.reason, d.properties, kDisconnectMask, false);
      break;
    }
    case 11: {
      const auto& a = std::get<AuthPacket>(packet);
      WriteReasonTail(w, a.reason, a.properties, kAuthMask, true);
      break;
    }
    default:  // PINGREQ, PINGRESP: no body
      break;
  }
}

PublishView ViewOf(const PublishPacket& p) {
  PublishView v;
  v.topic = p.topic;
  v.payload = p.payload;
  v.qos = p.qos;
  v.retain = p.retain;
  v.dup = p.dup;
  v.packet_id = p.packet_id;
  v.properties = &p.properties;
  return v;
}

struct PublishLayout {
  uint8_t first_byte;
  size_t properties_length;  // 5.0 only
  size_t body_length;
};

PublishLayout LayoutOf(const PublishView& v, ProtocolVersion version,
                       PropertyOverrides* ov) {
  const uint8_t qos = v.qos & 3;
  PublishLayout l;
  l.first_byte = 0x30 | (qos << 1) | (v.retain ? 0x01 : 0) | (v.dup && qos > 0 ? 0x08 : 0);
  l.body_length = 2 + std::min<size_t>(v.topic.size(), kMaxString) + (qos > 0 ? 2 : 0) +
                  v.payload.size();
  l.properties_length = 0;
  if (version == ProtocolVersion::kV5) {
    ov->subscription_ids = v.subscription_ids;
    ov->topic_alias = v.topic_alias;
    ov->message_expiry_interval = v.message_expiry_interval;
    l.properties_length = PropertyListSize(v.properties, kPublishMask, ov);
    l.body_length += VarintSize(static_cast<uint32_t>(l.properties_length)) + l.properties_length;
  }
  return l;
}

std::optional<CodecResult<FixedHeader>> HeaderError(ReasonCode reason, const char* message) {
  return std::optional<CodecResult<FixedHeader>>(std::in_place, std::in_place_index<1>,
                                                 CodecError{reason, message});
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API

std::optional<CodecResult<FixedHeader>> ParseFixedHeader(std::string_view buf,
                                                         uint32_t max_packet_size) {
  if (buf.empty()) return std::nullopt;
  FixedHeader h;
  h.first_byte = static_cast<uint8_t>(buf[0]);
  if (const char* err = CheckFlags(h.first_byte)) {
    return HeaderError(ReasonCode::kMalformedPacket, err);
  }
  uint32_t length = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (i + 1 >= buf.size()) return std::nullopt;
    const uint8_t b = static_cast<uint8_t>(buf[i + 1]);
    length |= uint32_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80) == 0) {
      if (i > 0 && b == 0) {
        return HeaderError(ReasonCode::kMalformedPacket, "remaining length not minimally encoded");
      }
      h.remaining_length = length;
      h.header_length = static_cast<uint8_t>(i + 2);
      if (h.total_length() > max_packet_size) {
        return HeaderError(ReasonCode::kPacketTooLarge, "packet exceeds maximum packet size");
      }
      return std::optional<CodecResult<FixedHeader>>(std::in_place, std::in_place_index<0>, h);
    }
  }
  return HeaderError(ReasonCode::kMalformedPacket, "remaining length longer than 4 bytes");
}

std::optional<ProtocolVersion> ConnectVersion(std::string_view body) {
  Reader r(body);
  std::string_view name;
  uint8_t level;
  if (!r.Prefixed(&name) || !r.Byte(&level)) return std::nullopt;
  if (name == kProtocolNameV31 && level == 3) return ProtocolVersion::kV311;
  if (name != kProtocolName || (level != 4 && level != 5)) return std::nullopt;
  return static_cast<ProtocolVersion>(level);
}

CodecResult<Packet> DecodePacket(const FixedHeader& header, std::string_view body,
                                 ProtocolVersion version) {
  if (const char* err = CheckFlags(header.first_byte)) {
    return CodecError{ReasonCode::kMalformedPacket, err};
  }
  if (body.size() != header.remaining_length) {
    return CodecError{ReasonCode::kMalformedPacket, "body size differs from remaining length"};
  }
  Reader r(body);
  const uint8_t flags = header.flags();
  switch (header.type()) {
    case PacketType::kPublish:
      return DecodeInto<PublishPacket>([&](PublishPacket& p, ErrorSink& e) {
        return DecodePublish(r, flags, version, &p, e);
      });
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return DecodeInto<AckPacket>([&](AckPacket& a, ErrorSink& e) {
        a.type = header.type();
        return DecodeAck(r, version, &a, e);
      });
    case PacketType::kConnect:
      return DecodeInto<ConnectPacket>(
          [&](ConnectPacket& c, ErrorSink& e) { return DecodeConnect(r, &c, e); });
    case PacketType::kConnack:
      return DecodeInto<ConnackPacket>(
          [&](ConnackPacket& c, ErrorSink& e) { return DecodeConnack(r, version, &c, e); });
    case PacketType::kSubscribe:
      return DecodeInto<SubscribePacket>(
          [&](SubscribePacket& s, ErrorSink& e) { return DecodeSubscribe(r, version, &s, e); });
    case PacketType::kSuback:
      return DecodeInto<SubackPacket>(
          [&](SubackPacket& s, ErrorSink& e) { return DecodeSuback(r, version, &s, e); });
    case PacketType::kUnsubscribe:
      return DecodeInto<UnsubscribePacket>([&](UnsubscribePacket& u, ErrorSink& e) {
        return DecodeUnsubscribe(r, version, &u, e);
      });
    case PacketType::kUnsuback:
      return DecodeInto<UnsubackPacket>(
          [&](UnsubackPacket& u, ErrorSink& e) { return DecodeUnsuback(r, version, &u, e); });
    case PacketType::kPingreq:
      if (!body.empty()) return CodecError{ReasonCode::kMalformedPacket, "PINGREQ with body"};
      return Packet(PingreqPacket{});
    case PacketType::kPingresp:
      if (!body.empty()) return CodecError{ReasonCode::kMalformedPacket, "PINGRESP with body"};
      return Packet(PingrespPacket{});
    case PacketType::kDisconnect:
      return DecodeInto<DisconnectPacket>([&](DisconnectPacket& d, ErrorSink& e) {
        return DecodeDisconnect(r, version, &d, e);
      });
    case PacketType::kAuth:
      return DecodeInto<AuthPacket>(
          [&](AuthPacket& a, ErrorSink& e) { return DecodeAuth(r, version, &a, e); });
  }
  return CodecError{ReasonCode::kMalformedPacket, "reserved packet type 0"};
}

void EncodePublish(const PublishView& view, ProtocolVersion version, std::string* out) {
  PropertyOverrides ov;
  const PublishLayout l = LayoutOf(view, version, &ov);
  out->reserve(out->size() + 1 + VarintSize(static_cast<uint32_t>(l.body_length)) +
               l.body_length);
  Appender w(out);
  w.Byte(l.first_byte);
  w.Varint(static_cast<uint32_t>(l.body_length));
  w.Prefixed(view.topic);
  if (view.qos & 3) w.U16(view.packet_id);
  if (version == ProtocolVersion::kV5) {
    w.Varint(static_cast<uint32_t>(l.properties_length));
    WritePropertyList(w, view.properties, kPublishMask, &ov);
  }
  w.Raw(view.payload);
}

size_t EncodedPublishSize(const PublishView& view, ProtocolVersion version) {
  PropertyOverrides ov;
  const PublishLayout l = LayoutOf(view, version, &ov);
  return 1 + VarintSize(static_cast<uint32_t>(l.body_length)) + l.body_length;
}

void EncodePacket(const Packet& packet, ProtocolVersion version, std::string* out) {
  if (const auto* p = std::get_if<PublishPacket>(&packet)) {
    EncodePublish(ViewOf(*p), version, out);
    return;
  }
  SizeCounter counter;
  WriteBody(counter, packet, version);
  const size_t body = counter.size();
  out->reserve(out->size() + 1 + VarintSize(static_cast<uint32_t>(body)) + body);
  Appender w(out);
  w.Byte(FirstByte(TypeOf(packet)));
  w.Varint(static_cast<uint32_t>(body));
  WriteBody(w, packet, version);
}

size_t EncodedSize(const Packet& packet, ProtocolVersion version) {
  if (const auto* p = std::get_if<PublishPacket>(&packet)) {
    return EncodedPublishSize(ViewOf(*p), version);
  }
  SizeCounter counter;
  WriteBody(counter, packet, version);
  return 1 + VarintSize(static_cast<uint32_t>(counter.size())) + counter.size();
}

}  // namespace verbund::mqtt
