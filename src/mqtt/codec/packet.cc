#include "mqtt/codec/packet.h"

namespace verbund::mqtt {

PacketType TypeOf(const Packet& p) {
  struct Visitor {
    PacketType operator()(const ConnectPacket&) const { return PacketType::kConnect; }
    PacketType operator()(const ConnackPacket&) const { return PacketType::kConnack; }
    PacketType operator()(const PublishPacket&) const { return PacketType::kPublish; }
    PacketType operator()(const AckPacket& a) const { return a.type; }
    PacketType operator()(const SubscribePacket&) const { return PacketType::kSubscribe; }
    PacketType operator()(const SubackPacket&) const { return PacketType::kSuback; }
    PacketType operator()(const UnsubscribePacket&) const { return PacketType::kUnsubscribe; }
    PacketType operator()(const UnsubackPacket&) const { return PacketType::kUnsuback; }
    PacketType operator()(const PingreqPacket&) const { return PacketType::kPingreq; }
    PacketType operator()(const PingrespPacket&) const { return PacketType::kPingresp; }
    PacketType operator()(const DisconnectPacket&) const { return PacketType::kDisconnect; }
    PacketType operator()(const AuthPacket&) const { return PacketType::kAuth; }
  };
  return std::visit(Visitor{}, p);
}

}  // namespace verbund::mqtt
