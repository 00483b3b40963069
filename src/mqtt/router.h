// The hub's spine: everything that publishes (MQTT sessions, HTTP, rules, the demo source)
// publishes into the Router; subscribers and taps receive from it. Nothing reaches around it.
#pragma once

#include <functional>

#include "core/status.h"
#include "mqtt/message.h"

namespace verbund::mqtt {

// Observes every accepted publish (ingest into storage, rules). Called on the publisher's I/O
// thread; must not block. `done`, when set (QoS 1/2), must be called exactly once, from any
// thread, when the tap has made the message durable (or failed): the publisher's PUBACK/PUBREC
// waits for it.
class Tap {
 public:
  virtual ~Tap() = default;
  virtual void OnPublish(const MessagePtr& message, std::function<void(Status)> done) = 0;
  // False for a tap that only watches (it stores nothing): it is always called with a null
  // `done`, after the message is routed, and acknowledgements never wait for it.
  virtual bool HoldsAcknowledgements() const { return true; }
};

class Router {
 public:
  virtual ~Router() = default;
  // Routes a message from inside the hub (not from a client). Thread-safe; `done` as for taps.
  virtual void Publish(MessagePtr message, std::function<void(Status)> done = nullptr) = 0;
  // Taps must be added before the hub starts serving; not owned, must outlive the router.
  virtual void AddTap(Tap* tap) = 0;
};

}  // namespace verbund::mqtt
