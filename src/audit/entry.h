// One audit entry: who did what, where from, with which outcome, in a canonical, versioned
// binary encoding (doc/format/audit.md, "Entry"). The encoding is the Merkle leaf: the same
// entry always encodes to the same bytes, and the strict decoder accepts only such bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace verbund::audit {

// What happened. Fixed numbers, never renumbered (they are hashed into the log). Ranges are
// kept for later issues: 100.. key operations, 200.. incidents, 300.. contracts, 400..
// data-subject requests, 500.. lawful access. Decoders accept numbers they do not know.
enum class EventKind : uint16_t {
  kConnect = 1,
  kConnectFailed = 2,
  kDisconnect = 3,
  kSubscribe = 4,
  kSubscribeDenied = 5,
  kPublishDenied = 6,
  kAdminChange = 7,
  kTokenUse = 8,
  kQuery = 9,
  kWrite = 10,
  kSession = 11,  // a console login (or failed login) or logout
};

// "connect", "connect_failed", ...; "kind_<n>" for a number this build does not know.
std::string EventKindName(EventKind kind);
// Parses a name EventKindName gives for a known kind.
bool ParseEventKind(std::string_view name, EventKind* kind);

enum class Outcome : uint8_t {
  kOk = 0,
  kDenied = 1,  // refused by policy (authentication, ACL, quota)
  kError = 2,   // failed for another reason (malformed request, internal error)
};
std::string_view OutcomeName(Outcome o);

// Limits the decoder enforces (and Validate checks before an append).
inline constexpr size_t kMaxStringBytes = 65535;
inline constexpr size_t kMaxDetails = 256;
inline constexpr size_t kMaxEntryBytes = 1u << 20;
inline constexpr uint8_t kEntryVersion = 1;

struct Entry {
  TimestampNs time_ns = 0;  // unix nanoseconds
  std::string tenant;       // "" = hub-wide
  std::string principal;    // who ("" when unknown, e.g. a failed connect without a name)
  std::string source;       // address, "ip:port" or "unix"
  EventKind kind = EventKind::kConnect;
  Outcome outcome = Outcome::kOk;
  std::string reason;  // why (a denial's rule, an error message); may be empty
  // Ordered key/value pairs (e.g. {"measurement","cpu"}, {"rows","42"}); keys may repeat.
  std::vector<std::pair<std::string, std::string>> details;

  Entry& Add(std::string key, std::string value) {
    details.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  Entry& Add(std::string key, int64_t value) { return Add(std::move(key), std::to_string(value)); }

  bool operator==(const Entry&) const = default;
};

// InvalidArgument when the entry exceeds a limit (it could not be decoded again).
Status Validate(const Entry& e);
// Appends the canonical encoding of `e` (which must be valid) to *out.
void EncodeEntry(const Entry& e, std::string* out);
std::string EncodeEntry(const Entry& e);

// Strict decoding: Malformed on truncation, trailing bytes, a non-minimal varint, an unknown
// version or outcome, kind 0, or a limit exceeded. Never crashes.
Result<Entry> DecodeEntry(std::string_view bytes);
// The same checks without building an Entry (no allocation): the verifier's fast path.
Status CheckEntry(std::string_view bytes);

// JSON for HTTP and the CLI: {"time_ns":..,"time":"2026-..Z","tenant":..,"principal":..,
// "source":..,"kind":"connect","kind_id":1,"outcome":"ok","reason":..,"details":[[k,v],...]}.
// Bytes that are not UTF-8 are replaced by U+FFFD (the binary encoding is the evidence).
std::string EntryToJson(const Entry& e);

}  // namespace verbund::audit
