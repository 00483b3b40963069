// SecurityEvents: what the broker reports about who connects, subscribes and is refused, for
// the hub's audit log (server/audit_events.h). The broker knows nothing of the audit library;
// BrokerOptions::events is null when nothing is recorded.
//
// Threading: every method is called on the connection's I/O thread and must not block (queue
// the event and return). The string views are valid only for the call. `done`, where given,
// must be called exactly once, from any thread, when the event is durable (OK) or cannot be
// recorded (the error); the broker waits for it before it sends the CONNACK.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/status.h"
#include "mqtt/codec/reason_code.h"

namespace verbund::mqtt {

struct ConnectedEvent {
  std::string_view client_id;
  std::string_view principal;  // "" when anonymous
  std::string_view peer;       // "ip:port"
  std::string_view transport;  // tcp, tls, ws, wss
  std::string_view protocol;   // "3.1", "3.1.1" or "5.0"
  std::string_view tenant;     // the principal's tenant ("" on a single-tenant hub)
};

struct ConnectFailedEvent {
  std::string_view client_id;
  std::string_view username;  // as sent ("" when none)
  std::string_view peer;
  std::string_view transport;
  ReasonCode reason;  // the CONNACK reason (5.0 numbering)
};

// The connection is gone (client DISCONNECT, error, takeover, shutdown), with its traffic.
struct DisconnectedEvent {
  std::string_view client_id;
  std::string_view principal;
  std::string_view peer;
  std::string_view reason;   // why it was closed, as logged
  uint64_t messages_in = 0;  // PUBLISH packets received on this connection
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view tenant;  // the principal's tenant ("" on a single-tenant hub)
  uint64_t publishes_denied = 0;  // PUBLISHes refused as not authorized, reported or not
};

// One filter of a SUBSCRIBE: granted (reason is the granted QoS 0..2) or refused (>= 0x80:
// not authorized, quota exceeded, filter invalid).
struct SubscribedEvent {
  std::string_view client_id;
  std::string_view principal;
  std::string_view peer;
  std::string_view filter;
  ReasonCode reason;
  std::string_view tenant;  // the principal's tenant ("" on a single-tenant hub)
};

// A PUBLISH refused: not authorized (the first on each of up to 16 distinct topics per
// connection; all are counted in BrokerMetrics::publish_denied and in the DisconnectedEvent), or
// over a rate quota (the first on each connection; the others in BrokerMetrics::quota_refusals).
struct PublishDeniedEvent {
  std::string_view client_id;
  std::string_view principal;
  std::string_view peer;
  std::string_view topic;
  std::string_view tenant;  // the principal's tenant ("" on a single-tenant hub)
  ReasonCode reason = ReasonCode::kNotAuthorized;  // or kQuotaExceeded
};

class SecurityEvents {
 public:
  using Done = std::function<void(const Status&)>;
  virtual ~SecurityEvents() = default;

  // Authenticated and accepted, before the session is set up; the CONNACK waits for `done`
  // (an error refuses the client with Server Unavailable).
  virtual void Connected(const ConnectedEvent& e, Done done) = 0;
  // Refused at CONNECT (authentication, will topic not authorized, bad client id, ...).
  virtual void ConnectFailed(const ConnectFailedEvent& e) = 0;
  // Only for connections whose Connected was reported.
  virtual void Disconnected(const DisconnectedEvent& e) = 0;
  virtual void Subscribed(const SubscribedEvent& e) = 0;
  virtual void PublishDenied(const PublishDeniedEvent& e) = 0;
};

}  // namespace verbund::mqtt
