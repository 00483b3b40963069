// MQTT 3.1.1 / 5.0 wire codec. Decoding is two-step so no allocation happens before the size
// check: ParseFixedHeader() on the first bytes of the stream, then, once the whole packet has
// arrived, DecodePacket() on the body.
//
// Every violation of the specifications is an error carrying the 5.0 reason code the broker must
// answer with (0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet Too Large, 0x90 Topic Name
// Invalid, 0x8F Topic Filter Invalid, 0x84 Unsupported Protocol Version, ...). The codec never
// crashes, never reads out of bounds and never allocates more than the packet's size, whatever
// the bytes are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mqtt/codec/packet.h"

namespace verbund::mqtt {

struct CodecError {
  ReasonCode reason = ReasonCode::kMalformedPacket;
  std::string message;  // for the log; short, no payload bytes
};

template <typename T>
using CodecResult = std::variant<T, CodecError>;

struct FixedHeader {
  uint8_t first_byte = 0;          // packet type (high nibble) and flags (low nibble)
  uint32_t remaining_length = 0;   // body length
  uint8_t header_length = 0;       // 2..5 bytes
  PacketType type() const { return static_cast<PacketType>(first_byte >> 4); }
  uint8_t flags() const { return first_byte & 0x0f; }
  size_t total_length() const { return header_length + static_cast<size_t>(remaining_length); }
};

// Parses the fixed header at the start of `buf`. nullopt: need more bytes. Errors: malformed
// remaining length (more than 4 bytes), reserved packet type 0, wrong fixed flags for the type,
// or total size > max_packet_size (kPacketTooLarge).
std::optional<CodecResult<FixedHeader>> ParseFixedHeader(std::string_view buf,
                                                         uint32_t max_packet_size);

// Decodes one complete packet's body (remaining_length bytes after the fixed header). `version`
// is the connection's negotiated version; for CONNECT it is ignored (the packet carries it).
// Client-to-server and server-to-client packets are both decodable (the bench client and the
// tests decode what the broker sends).
CodecResult<Packet> DecodePacket(const FixedHeader& header, std::string_view body,
                                 ProtocolVersion version);

// Protocol names: "MQTT" (3.1.1, 5.0) and "MQIsdp" (3.1, level 3, decoded as 3.1.1).
inline constexpr std::string_view kProtocolName = "MQTT";
inline constexpr std::string_view kProtocolNameV31 = "MQIsdp";

// The version a CONNECT body announces, read from its protocol name and level alone, when they
// are ones this codec speaks. For answering a CONNECT that fails to decode in its own version
// (a 5.0 CONNECT's errors get a 5.0 CONNACK, 3.1.2.2).
std::optional<ProtocolVersion> ConnectVersion(std::string_view body);

// Appends the encoded packet to *out. For 3.1.1, 5.0-only fields are omitted. The caller keeps
// packets within the peer's maximum packet size (EncodedSize tells the size first).
void EncodePacket(const Packet& packet, ProtocolVersion version, std::string* out);
size_t EncodedSize(const Packet& packet, ProtocolVersion version);

// Fast path for delivery: encodes a PUBLISH from views without building a PublishPacket (the
// router shares one message among many subscribers; each gets its own packet id, QoS, flags,
// subscription identifiers and topic alias). `topic` may be empty when an alias is given.
struct PublishView {
  std::string_view topic;
  std::string_view payload;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;
  const Properties* properties = nullptr;          // message properties to forward (may be null)
  const std::vector<uint32_t>* subscription_ids = nullptr;  // replaces the message's ids
  std::optional<uint16_t> topic_alias;             // overrides any alias in properties
  std::optional<uint32_t> message_expiry_interval; // overrides (remaining lifetime)
};
void EncodePublish(const PublishView& view, ProtocolVersion version, std::string* out);
size_t EncodedPublishSize(const PublishView& view, ProtocolVersion version);

// Topic name / filter validation (spec 4.7): UTF-8 well-formed, no U+0000, wildcards only as whole
// levels in filters ('#' last), none in names; length and level limits from the broker.
bool IsValidUtf8(std::string_view s);  // also rejects U+0000 and surrogates (spec 1.5.4)
bool IsValidTopicName(std::string_view topic);
bool IsValidTopicFilter(std::string_view filter);

}  // namespace verbund::mqtt
