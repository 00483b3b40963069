// AuditRecorder: turns the broker's security events (mqtt/security_events.h) and the HTTP
// layer's request events (http/request_events.h) into audit entries (audit/entry.h) and
// submits them to the audit log without blocking the caller (doc/security.md, "Audit log").
//
// Entries: tenant "" (hub-wide, until tenants exist), principal as authenticated ("" when
// anonymous; the claimed user name for a failed connect), source the peer address, details as
// in doc/format/audit.md. Strings are clipped to the entry limits (statements to 4 KiB).
//
// Thread-safety: every method may be called from any thread. The log is borrowed and must
// outlive the recorder; events with a `done` have it called once the entry is durable under
// the log's fsync policy, or with the error when it cannot be recorded.
#pragma once

#include <string>
#include <string_view>

#include "audit/entry.h"
#include "audit/log.h"
#include "core/clock.h"
#include "http/caller.h"
#include "http/request_events.h"
#include "mqtt/security_events.h"

namespace verbund::server {

// The longest statement text a query entry keeps (bytes, cut at a UTF-8 boundary).
inline constexpr size_t kMaxAuditStatementBytes = 4096;

class AuditRecorder final : public mqtt::SecurityEvents, public http::RequestEvents {
 public:
  // `clock` may be null (system clock).
  AuditRecorder(audit::AuditLog* log, const Clock* clock);

  void Connected(const mqtt::ConnectedEvent& e, mqtt::SecurityEvents::Done done) override;
  void ConnectFailed(const mqtt::ConnectFailedEvent& e) override;
  void Disconnected(const mqtt::DisconnectedEvent& e) override;
  void Subscribed(const mqtt::SubscribedEvent& e) override;
  void PublishDenied(const mqtt::PublishDeniedEvent& e) override;

  void Write(const http::WriteEvent& e, http::RequestEvents::Done done) override;
  void Query(const http::QueryEvent& e, http::RequestEvents::Done done) override;
  void Session(const http::SessionEvent& e, http::RequestEvents::Done done) override;

  // An admin API call (http::AdminDeps::on_change): who changed what, and whether it was done.
  void AdminChange(const http::Caller& caller, std::string_view action, std::string_view tenant,
                   std::string_view target, const Status& outcome);

 private:
  audit::Entry NewEntry(audit::EventKind kind, std::string_view principal,
                        std::string_view source) const;
  // Submits; `done` (if set) gets the outcome, also when Submit itself fails.
  void Submit(const audit::Entry& entry, std::function<void(const Status&)> done);

  audit::AuditLog* const log_;
  const Clock* const clock_;
};

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string ClipUtf8(std::string_view s, size_t max);

}  // namespace verbund::server
