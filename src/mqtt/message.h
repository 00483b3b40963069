// A message as the router carries it: immutable once published, shared by every delivery.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mqtt/codec/packet.h"

namespace verbund::mqtt {

struct Message {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  // Forwarded properties (payload format, content type, response topic, correlation data,
  // user properties). Never a topic alias or subscription identifiers: those are per hop.
  Properties properties;
  int64_t expiry_ns = 0;        // monotonic deadline; 0 = never expires
  uint64_t origin_session = 0;  // session that published it (for No Local); 0 = the hub itself
  std::string origin_client;    // client id of the publisher ("" for the hub)
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace verbund::mqtt
