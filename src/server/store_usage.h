// The tenant quotas on stored data - series and stored bytes - between the storage engine and
// security::Usage: the engine asks AdmitSeries before it creates series (EngineOptions::
// admit_series), ingest and /write ask AdmitWrite before they store, and Refresh, run every few
// seconds on an I/O thread, hands the engine's per-database figures, summed per tenant (the
// owner of `<tenant>` and `<tenant>_*`), to Usage.
//
// Thread-safety: every method may be called from any thread. AdmitSeries runs while the engine
// creates series (it may read Engine::Usage, and must not create series).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string_view>

#include "core/status.h"
#include "security/directory.h"
#include "security/usage.h"
#include "storage/engine.h"

namespace verbund::server {

class StoreUsage {
 public:
  // Not owned; each must outlive this.
  StoreUsage(storage::Engine* engine, security::Directory* directory, security::Usage* usage)
      : engine_(engine), directory_(directory), usage_(usage) {}

  // ResourceExhausted when `n` new series of `database` would take its tenant past its quota.
  Status AdmitSeries(std::string_view database, size_t n) const;
  // ResourceExhausted while the tenant owning `database` is at its stored-bytes quota.
  Status AdmitWrite(std::string_view database) const;
  void Refresh();

  // Refresh now and every `interval` on `ctx`'s thread, until Stop (called on that thread).
  void Start(boost::asio::io_context& ctx, std::chrono::milliseconds interval);
  void Stop();

 private:
  void Schedule();

  storage::Engine* engine_;
  security::Directory* directory_;
  security::Usage* usage_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds interval_{0};
};

}  // namespace verbund::server
