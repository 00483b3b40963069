#include "server/audit_events.h"

#include <cstdio>
#include <utility>

#include "core/logging.h"

namespace verbund::server {
namespace {

using audit::Entry;
using audit::EventKind;
using audit::Outcome;
using mqtt::ReasonCode;

// Reasons and error texts: enough to say why, bounded so an entry never exceeds its limits.
constexpr size_t kMaxReasonBytes = 1024;
// Any other string (client ids, topics, filters, names) is bounded by the entry format.
constexpr size_t kMaxFieldBytes = audit::kMaxStringBytes;

std::string Clip(std::string_view s) { return ClipUtf8(s, kMaxFieldBytes); }

// The tenant a refused login claimed with its `tenant/name` user name ("" without one): its
// administrators see attempts on its accounts, whether or not the name exists.
std::string ClaimedTenant(std::string_view username) {
  size_t slash = username.find('/');
  return slash == std::string_view::npos || slash == 0 ? "" : Clip(username.substr(0, slash));
}

std::string ReasonHex(ReasonCode code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(code));
  return buf;
}

// Refusals by policy (who may connect) are denials; malformed or unsupported requests errors.
Outcome ConnectOutcome(ReasonCode code) {
  switch (code) {
    case ReasonCode::kBadUserNameOrPassword:
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kBanned:
    case ReasonCode::kBadAuthenticationMethod:
      return Outcome::kDenied;
    default:
      return Outcome::kError;
  }
}

Outcome SubscribeOutcome(ReasonCode code) {
  switch (code) {
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kQuotaExceeded:
      return Outcome::kDenied;
    default:
      return Outcome::kError;
  }
}

std::string ProtocolName(std::string_view version) {
  if (version == "5.0") return "mqtt5";
  return "mqtt" + std::string(version);
}

Outcome HttpOutcome(unsigned status) {
  return status >= 200 && status < 300 ? Outcome::kOk : Outcome::kError;
}

}  // namespace

std::string ClipUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

AuditRecorder::AuditRecorder(audit::AuditLog* log, const Clock* clock)
    : log_(log), clock_(clock != nullptr ? clock : SystemClock::Default()) {}

Entry AuditRecorder::NewEntry(EventKind kind, std::string_view principal,
                              std::string_view source) const {
  Entry e;
  e.time_ns = clock_->NowNs();
  e.kind = kind;
  e.principal = Clip(principal);
  e.source = Clip(source);
  return e;
}

void AuditRecorder::Submit(const Entry& entry, std::function<void(const Status&)> done) {
  Result<uint64_t> index = done ? log_->Submit(entry, done) : log_->Submit(entry);
  if (index.ok()) return;
  static auto log = Logger("audit");
  log->error("audit entry ({}) not recorded: {}", audit::EventKindName(entry.kind),
             index.status().ToString());
  if (done) done(index.status());
}

void AuditRecorder::Connected(const mqtt::ConnectedEvent& e, mqtt::SecurityEvents::Done done) {
  Entry entry = NewEntry(EventKind::kConnect, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.Add("client_id", Clip(e.client_id))
      .Add("protocol", ProtocolName(e.protocol))
      .Add("transport", std::string(e.transport));
  Submit(entry, std::move(done));
}

void AuditRecorder::ConnectFailed(const mqtt::ConnectFailedEvent& e) {
  Entry entry = NewEntry(EventKind::kConnectFailed, e.username, e.peer);
  entry.tenant = ClaimedTenant(e.username);
  entry.outcome = ConnectOutcome(e.reason);
  entry.reason = std::string(mqtt::ReasonCodeName(e.reason));
  entry.Add("client_id", Clip(e.client_id))
      .Add("transport", std::string(e.transport))
      .Add("reason_code", ReasonHex(e.reason));
  Submit(entry, nullptr);
}

void AuditRecorder::Disconnected(const mqtt::DisconnectedEvent& e) {
  Entry entry = NewEntry(EventKind::kDisconnect, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.reason = ClipUtf8(e.reason, kMaxReasonBytes);
  entry.Add("client_id", Clip(e.client_id))
      .Add("messages_in", static_cast<int64_t>(e.messages_in))
      .Add("messages_out", static_cast<int64_t>(e.messages_out))
      .Add("bytes_in", static_cast<int64_t>(e.bytes_in))
      .Add("bytes_out", static_cast<int64_t>(e.bytes_out));
  if (e.publishes_denied > 0)
    entry.Add("publishes_denied", static_cast<int64_t>(e.publishes_denied));
  Submit(entry, nullptr);
}

void AuditRecorder::Subscribed(const mqtt::SubscribedEvent& e) {
  const bool granted = static_cast<uint8_t>(e.reason) < 0x80;
  Entry entry =
      NewEntry(granted ? EventKind::kSubscribe : EventKind::kSubscribeDenied, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.Add("client_id", Clip(e.client_id)).Add("filter", Clip(e.filter));
  if (granted) {
    entry.Add("qos", static_cast<int64_t>(e.reason));
  } else {
    entry.outcome = SubscribeOutcome(e.reason);
    entry.reason = std::string(mqtt::ReasonCodeName(e.reason));
    entry.Add("reason_code", ReasonHex(e.reason));
  }
  Submit(entry, nullptr);
}

void AuditRecorder::PublishDenied(const mqtt::PublishDeniedEvent& e) {
  Entry entry = NewEntry(EventKind::kPublishDenied, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.outcome = Outcome::kDenied;
  entry.reason = std::string(mqtt::ReasonCodeName(e.reason));
  entry.Add("client_id", Clip(e.client_id)).Add("topic", Clip(e.topic));
  Submit(entry, nullptr);
}

void AuditRecorder::Session(const http::SessionEvent& e, http::RequestEvents::Done done) {
  Entry entry = NewEntry(EventKind::kSession, e.principal, e.peer);
  entry.tenant = e.ok ? Clip(e.tenant) : ClaimedTenant(e.principal);
  entry.outcome = e.ok ? Outcome::kOk : Outcome::kDenied;
  entry.reason = ClipUtf8(e.error, kMaxReasonBytes);
  entry.Add("action", std::string(e.action)).Add("method", std::string(e.method));
  Submit(entry, std::move(done));
}

void AuditRecorder::Write(const http::WriteEvent& e, http::RequestEvents::Done done) {
  Entry entry = NewEntry(EventKind::kWrite, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.outcome = HttpOutcome(e.status);
  entry.reason = ClipUtf8(e.error, kMaxReasonBytes);
  entry.Add("database", Clip(e.database))
      .Add("measurements", static_cast<int64_t>(e.measurements))
      .Add("points", static_cast<int64_t>(e.points));
  if (e.rejected > 0) entry.Add("rejected", static_cast<int64_t>(e.rejected));
  entry.Add("status", static_cast<int64_t>(e.status));
  Submit(entry, std::move(done));
}

void AuditRecorder::Query(const http::QueryEvent& e, http::RequestEvents::Done done) {
  Entry entry = NewEntry(EventKind::kQuery, e.principal, e.peer);
  entry.tenant = Clip(e.tenant);
  entry.outcome =
      HttpOutcome(e.status) == Outcome::kOk && e.error.empty() ? Outcome::kOk : Outcome::kError;
  entry.reason = ClipUtf8(e.error, kMaxReasonBytes);
  entry.Add("database", Clip(e.database))
      .Add("statement", ClipUtf8(e.statement, kMaxAuditStatementBytes));
  if (e.statement.size() > kMaxAuditStatementBytes) {
    entry.Add("statement_bytes", static_cast<int64_t>(e.statement.size()));  // it was cut
  }
  if (!e.measurements.empty()) entry.Add("measurements", Clip(e.measurements));
  if (e.from) entry.Add("from", *e.from);
  if (e.to) entry.Add("to", *e.to);
  entry.Add("rows", static_cast<int64_t>(e.rows)).Add("status", static_cast<int64_t>(e.status));
  Submit(entry, std::move(done));
}

}  // namespace verbund::server

namespace verbund::server {

void AuditRecorder::AdminChange(const http::Caller& caller, std::string_view action,
                                std::string_view tenant, std::string_view target,
                                const Status& outcome) {
  Entry entry = NewEntry(EventKind::kAdminChange,
                         caller.identity ? caller.identity->FullName() : "", caller.peer);
  entry.tenant = Clip(tenant);
  if (!outcome.ok()) {
    const StatusCode c = outcome.code();
    entry.outcome = c == StatusCode::kPermissionDenied || c == StatusCode::kUnauthenticated
                        ? audit::Outcome::kDenied
                        : audit::Outcome::kError;
    entry.reason = ClipUtf8(outcome.message(), kMaxReasonBytes);
  }
  entry.Add("action", Clip(action));
  if (!target.empty()) entry.Add("target", Clip(target));
  Submit(entry, nullptr);
}

}  // namespace verbund::server
