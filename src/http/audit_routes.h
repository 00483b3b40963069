// The audit log over HTTP, read-only (doc/api.md, "Audit log"): the signed tree heads, entries,
// inclusion and consistency proofs in the JSON `verbundctl audit verify-proof` reads, the export
// `verbundctl audit verify` checks, and the public key.
//
//   GET /api/v1/audit/sth[?size=N]                       newest signed tree head (of size N)
//   GET /api/v1/audit/entries?start=&count=[&tenant=]    entries with their index
//   GET /api/v1/audit/proof/inclusion?index=&size=       RFC 9162 inclusion proof with the entry
//   GET /api/v1/audit/proof/consistency?first=&second=   RFC 9162 consistency proof
//   GET /api/v1/audit/export                             chunked export up to the newest head
//   GET /api/v1/audit/pubkey                             the key tree heads are signed with
//
// Handlers read the log's files: call Handle on a worker thread, never on an I/O thread.
// Thread-safety: Handle may be called concurrently. The log and signer are borrowed.
#pragma once

#include <cstdint>
#include <string_view>

#include "http/api.h"
#include "http/deps.h"
#include "http/url.h"

namespace verbund::http {

// At most this many entries per /entries request.
inline constexpr uint64_t kMaxAuditEntriesPerRequest = 10000;

class AuditRoutes {
 public:
  // `authorize` empty: everything is allowed.
  AuditRoutes(const audit::AuditLog* log, const audit::SthSigner* signer,
              AuditAuthorizeFn authorize);

  // `path` is the request path below /api/v1/audit/ ("sth", "proof/inclusion", ...).
  void Handle(const Request& req, std::string_view path, const Params& params,
              const Reply& reply) const;

 private:
  Response Sth(const Params& params) const;
  Response Entries(const Request& req, const Params& params) const;
  Response Inclusion(const Params& params) const;
  Response Consistency(const Params& params) const;
  void Export(const Reply& reply) const;
  Response Pubkey() const;
  bool Allowed(const Request& req, std::string_view tenant) const;

  const audit::AuditLog* const log_;
  const audit::SthSigner* const signer_;
  const AuditAuthorizeFn authorize_;
};

}  // namespace verbund::http
