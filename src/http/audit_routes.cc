#include "http/audit_routes.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/entry.h"
#include "audit/log.h"
#include "audit/sth.h"
#include "audit/verify.h"
#include "core/logging.h"
#include "http/responses.h"
#include "query/json_format.h"

namespace verbund::http {
namespace {

Response BadRequest(std::string_view message) {
  return NativeError(400, "invalid_argument", message);
}
Response Missing(std::string_view message) { return NativeError(404, "not_found", message); }

Response FromStatus(const Status& st) { return NativeStatusError(st); }

// A non-negative integer parameter: `fallback` when absent (nullopt: required).
Result<uint64_t> UintParam(const Params& params, std::string_view name,
                           std::optional<uint64_t> fallback) {
  if (!params.Has(name)) {
    if (fallback) return *fallback;
    return InvalidArgument("parameter " + std::string(name) + " is required");
  }
  std::string_view text = params.Get(name);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return InvalidArgument("parameter " + std::string(name) +
                           " must be a non-negative integer, got '" + std::string(text) + "'");
  }
  return v;
}

std::string Num(uint64_t v) { return std::to_string(v); }

}  // namespace

AuditRoutes::AuditRoutes(const audit::AuditLog* log, const audit::SthSigner* signer,
                         AuditAuthorizeFn authorize)
    : log_(log), signer_(signer), authorize_(std::move(authorize)) {}

bool AuditRoutes::Allowed(const Request& req, std::string_view tenant) const {
  return !authorize_ || authorize_(req, tenant);
}

void AuditRoutes::Handle(const Request& req, std::string_view path, const Params& params,
                         const Reply& reply) const {
  if (path == "pubkey") return reply(Pubkey());
  if (path == "entries") return reply(Entries(req, params));
  // Tree heads and proofs are hashes only: whoever may read some entries needs them to check
  // those (`*`); the export is every tenant's entries ("").
  const bool tree = path == "sth" || path == "proof/inclusion" || path == "proof/consistency";
  if (!tree && path != "export") return reply(Missing("unknown audit route: " + std::string(path)));
  if (!Allowed(req, tree ? "*" : "")) {
    return reply(NativeError(403, "permission_denied", "not allowed to read the audit log"));
  }
  if (path == "sth") return reply(Sth(params));
  if (path == "proof/inclusion") return reply(Inclusion(params));
  if (path == "proof/consistency") return reply(Consistency(params));
  Export(reply);
}

Response AuditRoutes::Sth(const Params& params) const {
  if (params.Has("size")) {
    Result<uint64_t> size = UintParam(params, "size", std::nullopt);
    if (!size.ok()) return BadRequest(size.status().message());
    std::vector<audit::SignedTreeHead> history = signer_->History();
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      if (it->tree_size == *size) return Json(200, audit::SthToJson(*it) + "\n");
    }
    return Missing("no signed tree head of size " + std::to_string(*size));
  }
  std::optional<audit::SignedTreeHead> latest = signer_->Latest();
  if (!latest) return Missing("no signed tree head yet");
  return Json(200, audit::SthToJson(*latest) + "\n");
}

Response AuditRoutes::Entries(const Request& req, const Params& params) const {
  const bool filtered = params.Has("tenant");
  const std::string tenant(params.Get("tenant"));
  if (!Allowed(req, tenant)) {
    return NativeError(403, "permission_denied",
                       filtered ? "not allowed to read the audit entries of tenant '" + tenant + "'"
                                : std::string("not allowed to read the audit log"));
  }
  Result<uint64_t> start = UintParam(params, "start", 0);
  if (!start.ok()) return BadRequest(start.status().message());
  Result<uint64_t> count = UintParam(params, "count", 100);
  if (!count.ok()) return BadRequest(count.status().message());
  if (*count == 0) return BadRequest("count must be at least 1");
  const uint64_t size = log_->size();
  if (*start > size) {
    return Missing("start " + std::to_string(*start) + " is past the end of the log (" +
                   std::to_string(size) + " entries)");
  }
  const uint64_t n = std::min({*count, kMaxAuditEntriesPerRequest, size - *start});
  Result<std::vector<audit::Entry>> entries = log_->Read(*start, n);
  if (!entries.ok()) return FromStatus(entries.status());
  std::string out = "{\"tree_size\":" + Num(size) + ",\"start\":" + Num(*start) +
                    ",\"next\":" + Num(*start + n) + ",\"entries\":[";
  bool first = true;
  for (uint64_t i = 0; i < entries->size(); ++i) {
    const audit::Entry& e = (*entries)[i];
    if (filtered && e.tenant != tenant) continue;
    if (!first) out += ',';
    first = false;
    std::string json = audit::EntryToJson(e);  // {"time_ns":...}
    out += "{\"index\":" + Num(*start + i) + ",";
    out.append(json, 1, std::string::npos);
  }
  out += "]}\n";
  return Json(200, std::move(out));
}

Response AuditRoutes::Inclusion(const Params& params) const {
  Result<uint64_t> index = UintParam(params, "index", std::nullopt);
  if (!index.ok()) return BadRequest(index.status().message());
  std::optional<uint64_t> signed_size;
  if (auto latest = signer_->Latest()) signed_size = latest->tree_size;
  if (!params.Has("size") && !signed_size) return Missing("no signed tree head yet");
  Result<uint64_t> size = UintParam(params, "size", signed_size);
  if (!size.ok()) return BadRequest(size.status().message());
  if (*size > log_->size()) {
    return Missing("tree size " + std::to_string(*size) + " is larger than the log (" +
                   std::to_string(log_->size()) + " entries)");
  }
  if (*index >= *size) {
    return BadRequest("index " + std::to_string(*index) + " is outside the tree of size " +
                      std::to_string(*size));
  }
  audit::ProofOfInclusion p;
  p.leaf_index = *index;
  p.tree_size = *size;
  Result<audit::Hash> leaf = log_->LeafHash(*index);
  if (!leaf.ok()) return FromStatus(leaf.status());
  p.leaf_hash = *leaf;
  Result<std::vector<std::string>> bytes = log_->ReadEncoded(*index, 1);
  if (!bytes.ok()) return FromStatus(bytes.status());
  p.entry = std::move(bytes->front());
  Result<std::vector<audit::Hash>> proof = log_->InclusionProof(*index, *size);
  if (!proof.ok()) return FromStatus(proof.status());
  p.proof = std::move(*proof);
  return Json(200, audit::ToJson(p) + "\n");
}

Response AuditRoutes::Consistency(const Params& params) const {
  Result<uint64_t> first = UintParam(params, "first", std::nullopt);
  if (!first.ok()) return BadRequest(first.status().message());
  std::optional<uint64_t> signed_size;
  if (auto latest = signer_->Latest()) signed_size = latest->tree_size;
  if (!params.Has("second") && !signed_size) return Missing("no signed tree head yet");
  Result<uint64_t> second = UintParam(params, "second", signed_size);
  if (!second.ok()) return BadRequest(second.status().message());
  if (*first > *second) {
    return BadRequest("first (" + std::to_string(*first) + ") must not exceed second (" +
                      std::to_string(*second) + ")");
  }
  if (*second > log_->size()) {
    return Missing("tree size " + std::to_string(*second) + " is larger than the log (" +
                   std::to_string(log_->size()) + " entries)");
  }
  audit::ProofOfConsistency p;
  p.first = *first;
  p.second = *second;
  Result<std::vector<audit::Hash>> proof = log_->ConsistencyProof(*first, *second);
  if (!proof.ok()) return FromStatus(proof.status());
  p.proof = std::move(*proof);
  return Json(200, audit::ToJson(p) + "\n");
}

void AuditRoutes::Export(const Reply& reply) const {
  std::vector<audit::SignedTreeHead> sths = signer_->History();
  if (sths.empty()) return reply(Missing("no signed tree head yet: nothing to export"));
  auto stream = std::make_shared<ChunkStream>();
  Response r;
  r.status = 200;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"audit-export.bin\"");
  r.stream = stream;
  reply(std::move(r));
  Status st = audit::StreamExport(*log_, sths, [&](std::string_view chunk) -> Status {
    if (!stream->Push(std::string(chunk))) return Unavailable("client went away");
    return Status::OK();
  });
  if (st.ok()) return stream->Finish();
  // The 200 is out: end the connection without the last chunk, so the client sees a cut body.
  Logger("http")->warn("audit export failed: {}", st.ToString());
  stream->Close();
}

Response AuditRoutes::Pubkey() const {
  const audit::PublicKey& key = signer_->public_key();
  std::string out = "{\"algorithm\":\"ed25519\",\"hex\":";
  query::AppendJsonString(&out, key.Hex());
  out += ",\"pem\":";
  query::AppendJsonString(&out, key.Pem());
  out += "}\n";
  return Json(200, std::move(out));
}

}  // namespace verbund::http
