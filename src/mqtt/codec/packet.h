// In-memory form of every MQTT 3.1.1 and 5.0 control packet. The codec (codec.h) turns bytes
// into these and back; the broker never touches wire bytes otherwise.
// Version differences: fields that exist only in 5.0 (properties, reason codes) are ignored when
// encoding 3.1.1 and left default when decoding it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mqtt/codec/reason_code.h"

namespace verbund::mqtt {

enum class ProtocolVersion : uint8_t { kV311 = 4, kV5 = 5 };

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

using UserProperty = std::pair<std::string, std::string>;

// MQTT 5.0 properties (spec 2.2.2.2). Absent = std::nullopt / empty. Which properties a packet
// may carry is checked by the decoder: a property not allowed in a packet is a Malformed Packet
// (0x81, spec 2.2.2.2); one repeated where it may appear once is a Protocol Error (0x82).
struct Properties {
  std::optional<uint8_t> payload_format_indicator;        // 0x01
  std::optional<uint32_t> message_expiry_interval;        // 0x02
  std::optional<std::string> content_type;                // 0x03
  std::optional<std::string> response_topic;              // 0x08
  std::optional<std::string> correlation_data;            // 0x09 (binary)
  std::vector<uint32_t> subscription_identifiers;         // 0x0B (varint, may repeat in PUBLISH)
  std::optional<uint32_t> session_expiry_interval;        // 0x11
  std::optional<std::string> assigned_client_identifier;  // 0x12
  std::optional<uint16_t> server_keep_alive;              // 0x13
  std::optional<std::string> authentication_method;       // 0x15
  std::optional<std::string> authentication_data;         // 0x16 (binary)
  std::optional<uint8_t> request_problem_information;     // 0x17
  std::optional<uint32_t> will_delay_interval;            // 0x18
  std::optional<uint8_t> request_response_information;    // 0x19
  std::optional<std::string> response_information;        // 0x1A
  std::optional<std::string> server_reference;            // 0x1C
  std::optional<std::string> reason_string;               // 0x1F
  std::optional<uint16_t> receive_maximum;                // 0x21
  std::optional<uint16_t> topic_alias_maximum;            // 0x22
  std::optional<uint16_t> topic_alias;                    // 0x23
  std::optional<uint8_t> maximum_qos;                     // 0x24
  std::optional<uint8_t> retain_available;                // 0x25
  std::vector<UserProperty> user_properties;              // 0x26 (may repeat, order kept)
  std::optional<uint32_t> maximum_packet_size;            // 0x27
  std::optional<uint8_t> wildcard_subscription_available; // 0x28
  std::optional<uint8_t> subscription_identifier_available; // 0x29
  std::optional<uint8_t> shared_subscription_available;   // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // will properties (5.0)
  bool operator==(const Will&) const = default;
};

struct ConnectPacket {
  ProtocolVersion version = ProtocolVersion::kV311;
  std::string protocol_name = "MQTT";  // "MQTT", or "MQIsdp" for MQTT 3.1 (version is kV311)
  bool clean_start = true;             // 3.1.1: clean session
  uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties properties;
  bool operator==(const ConnectPacket&) const = default;
};

struct ConnackPacket {
  bool session_present = false;
  ReasonCode reason = ReasonCode::kSuccess;  // encoded as the 3.1.1 return code for v3.1.1
  Properties properties;
  bool operator==(const ConnackPacket&) const = default;
};

struct PublishPacket {
  std::string topic;         // may be empty in 5.0 when a topic alias is set
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;    // 0 for QoS 0
  Properties properties;
  bool operator==(const PublishPacket&) const = default;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP share one shape.
struct AckPacket {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const AckPacket&) const = default;
};

struct SubscriptionOptions {
  uint8_t max_qos = 0;
  bool no_local = false;            // 5.0
  bool retain_as_published = false; // 5.0
  uint8_t retain_handling = 0;      // 5.0: 0 send, 1 send if new, 2 don't send
  bool operator==(const SubscriptionOptions&) const = default;
};

struct Subscription {
  std::string filter;
  SubscriptionOptions options;
  bool operator==(const Subscription&) const = default;
};

struct SubscribePacket {
  uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;  // at least one
  Properties properties;
  bool operator==(const SubscribePacket&) const = default;
};

struct SubackPacket {
  uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;  // 3.1.1: 0x00/0x01/0x02/0x80
  Properties properties;
  bool operator==(const SubackPacket&) const = default;
};

struct UnsubscribePacket {
  uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties properties;
  bool operator==(const UnsubscribePacket&) const = default;
};

struct UnsubackPacket {
  uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;  // 5.0 only; empty for 3.1.1
  Properties properties;
  bool operator==(const UnsubackPacket&) const = default;
};

struct PingreqPacket {
  bool operator==(const PingreqPacket&) const = default;
};
struct PingrespPacket {
  bool operator==(const PingrespPacket&) const = default;
};

struct DisconnectPacket {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const DisconnectPacket&) const = default;
};

struct AuthPacket {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties properties;
  bool operator==(const AuthPacket&) const = default;
};

using Packet = std::variant<ConnectPacket, ConnackPacket, PublishPacket, AckPacket,
                            SubscribePacket, SubackPacket, UnsubscribePacket, UnsubackPacket,
                            PingreqPacket, PingrespPacket, DisconnectPacket, AuthPacket>;

PacketType TypeOf(const Packet& p);

}  // namespace verbund::mqtt
