// Decodes arbitrary bytes as an MQTT packet in both protocol versions, and re-encodes whatever
// decodes: the encoding must have the size EncodedSize() predicts and decode to an equal packet.
// Two framings per input: the bytes as a stream (fixed header, then exactly remaining_length
// body bytes), and the first byte as the packet type/flags with all remaining bytes as the body
// (so the fuzzer need not get the remaining length right to reach the body decoders).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mqtt/codec/codec.h"

namespace {

using namespace verbund::mqtt;

constexpr uint32_t kMaxPacketSize = 1 << 20;

[[noreturn]] void Fail(const char* what, ProtocolVersion v) {
  std::fprintf(stderr, "mqtt_packet_fuzz: %s (version %d)\n", what, static_cast<int>(v));
  std::abort();
}

void CheckRoundTrip(const Packet& packet, ProtocolVersion v) {
  std::string bytes;
  EncodePacket(packet, v, &bytes);
  if (bytes.size() != EncodedSize(packet, v)) Fail("EncodedSize differs from encoding", v);
  auto h = ParseFixedHeader(bytes, 0xFFFFFFFF);
  if (!h) Fail("re-encoded header incomplete", v);
  const auto* fh = std::get_if<FixedHeader>(&*h);
  if (fh == nullptr) Fail("re-encoded header rejected", v);
  if (fh->total_length() != bytes.size()) Fail("re-encoded length mismatch", v);
  auto again = DecodePacket(*fh, std::string_view(bytes).substr(fh->header_length), v);
  const auto* p = std::get_if<Packet>(&again);
  if (p == nullptr) {
    std::fprintf(stderr, "error: %s\n", std::get<CodecError>(again).message.c_str());
    Fail("re-encoded packet does not decode", v);
  }
  if (!(*p == packet)) Fail("round trip changed the packet", v);
  if (const auto* pub = std::get_if<PublishPacket>(&packet)) {
    PublishView view;
    view.topic = pub->topic;
    view.payload = pub->payload;
    view.qos = pub->qos;
    view.retain = pub->retain;
    view.dup = pub->dup;
    view.packet_id = pub->packet_id;
    view.properties = &pub->properties;
    std::string fast;
    EncodePublish(view, v, &fast);
    if (fast != bytes) Fail("EncodePublish differs from EncodePacket", v);
    if (EncodedPublishSize(view, v) != fast.size()) Fail("EncodedPublishSize wrong", v);
  }
}

void DecodeBoth(const FixedHeader& h, std::string_view body) {
  for (ProtocolVersion v : {ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    auto r = DecodePacket(h, body, v);
    if (const auto* p = std::get_if<Packet>(&r)) CheckRoundTrip(*p, v);
    // ConnectVersion reads any body safely and agrees with every CONNECT that decodes.
    const auto announced = ConnectVersion(body);
    if (const auto* c = std::get_if<ConnectPacket>(std::get_if<Packet>(&r))) {
      if (announced != c->version) Fail("ConnectVersion disagrees with the decoded CONNECT", v);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Stream framing.
  if (auto h = ParseFixedHeader(in, kMaxPacketSize)) {
    if (const auto* fh = std::get_if<FixedHeader>(&*h); fh && fh->total_length() <= in.size()) {
      DecodeBoth(*fh, in.substr(fh->header_length, fh->remaining_length));
    }
  }
  // Type byte + body framing.
  if (size >= 1 && size - 1 <= kMaxPacketSize) {
    FixedHeader h;
    h.first_byte = data[0];
    h.remaining_length = static_cast<uint32_t>(size - 1);
    h.header_length = 2;
    DecodeBoth(h, in.substr(1));
  }
  return 0;
}
