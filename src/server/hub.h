// The hub: assembles every subsystem from the configuration (the one place objects are wired
// together), runs them, and stops them in order.
#pragma once

#include <memory>
#include <vector>

#include "core/config.h"
#include "core/status.h"

namespace verbund::server {

// `verbund --init-admin`: creates the operator `_hub/<name>` in the hub's directory (which the
// hub must not be running on: the directory file has one writer) and an API token with every
// right for it, returned once. AlreadyExists when that operator exists.
Result<std::string> InitAdmin(const Config& config, const std::string& name);

class Hub {
 public:
  explicit Hub(Config config);
  ~Hub();

  // Opens storage, restores state, binds every listener. Errors name what failed.
  Status Start();
  // Blocks until SIGTERM or SIGINT, then stops gracefully (in-flight work finished, state
  // persisted).
  void RunUntilSignal();
  void Stop();

  // Bound ports (after Start), for logs and tests.
  struct Ports {
    uint16_t mqtt = 0, mqtts = 0, ws = 0, wss = 0, http = 0;
  };
  Ports ports() const;

 private:
  Status StartAudit();
  void StopAudit();  // after the broker and HTTP server: their last events are in the log
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace verbund::server
