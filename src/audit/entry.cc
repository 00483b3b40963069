#include "audit/entry.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/coding.h"

namespace verbund::audit {
namespace {

constexpr const char* kKindNames[] = {nullptr,          "connect",      "connect_failed",
                                      "disconnect",     "subscribe",    "subscribe_denied",
                                      "publish_denied", "admin_change", "token_use",
                                      "query",          "write",        "session"};
constexpr uint16_t kLastKnownKind = 11;

void PutString(std::string* out, std::string_view s) { PutLengthPrefixed(out, s); }

// Reads a minimal varint (the canonical form: no redundant continuation bytes).
bool GetCanonicalVarint(std::string_view* in, uint64_t* v) {
  const size_t before = in->size();
  if (!GetVarint64(in, v)) return false;
  return before - in->size() == VarintLength(*v);
}

bool GetString(std::string_view* in, std::string_view* s) {
  uint64_t n = 0;
  if (!GetCanonicalVarint(in, &n) || n > kMaxStringBytes || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// The one parser behind DecodeEntry and CheckEntry; `out` may be null (check only).
Status Parse(std::string_view in, Entry* out) {
  if (in.size() > kMaxEntryBytes) return Malformed("audit entry larger than 1 MiB");
  if (in.size() < 12) return Malformed("audit entry truncated");
  const uint8_t version = static_cast<uint8_t>(in[0]);
  if (version != kEntryVersion) {
    return Malformed("audit entry version " + std::to_string(version) + " unknown");
  }
  const int64_t time_ns = static_cast<int64_t>(DecodeFixed64(in.data() + 1));
  const uint16_t kind = DecodeFixed16(in.data() + 9);
  const uint8_t outcome = static_cast<uint8_t>(in[11]);
  if (kind == 0) return Malformed("audit entry kind 0");
  if (outcome > static_cast<uint8_t>(Outcome::kError)) {
    return Malformed("audit entry outcome " + std::to_string(outcome) + " unknown");
  }
  in.remove_prefix(12);
  std::string_view tenant, principal, source, reason;
  if (!GetString(&in, &tenant) || !GetString(&in, &principal) || !GetString(&in, &source) ||
      !GetString(&in, &reason)) {
    return Malformed("audit entry string truncated, too long or not canonical");
  }
  uint64_t n = 0;
  if (!GetCanonicalVarint(&in, &n)) return Malformed("audit entry detail count truncated");
  if (n > kMaxDetails) return Malformed("audit entry has more than 256 details");
  if (out != nullptr) {
    out->time_ns = time_ns;
    out->kind = static_cast<EventKind>(kind);
    out->outcome = static_cast<Outcome>(outcome);
    out->tenant.assign(tenant);
    out->principal.assign(principal);
    out->source.assign(source);
    out->reason.assign(reason);
    out->details.clear();
    out->details.reserve(n);
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view k, v;
    if (!GetString(&in, &k) || !GetString(&in, &v)) {
      return Malformed("audit entry detail " + std::to_string(i) +
                       " truncated, too long or not canonical");
    }
    if (out != nullptr) out->details.emplace_back(std::string(k), std::string(v));
  }
  if (!in.empty()) {
    return Malformed("audit entry has " + std::to_string(in.size()) + " trailing bytes");
  }
  return Status::OK();
}

std::string FormatTime(TimestampNs ns) {
  const int64_t sec = ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  const int64_t frac = ns - sec * 1'000'000'000;
  const std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

}  // namespace

std::string EventKindName(EventKind kind) {
  const auto n = static_cast<uint16_t>(kind);
  if (n >= 1 && n <= kLastKnownKind) return kKindNames[n];
  return "kind_" + std::to_string(n);
}

bool ParseEventKind(std::string_view name, EventKind* kind) {
  for (uint16_t n = 1; n <= kLastKnownKind; ++n) {
    if (name == kKindNames[n]) {
      *kind = static_cast<EventKind>(n);
      return true;
    }
  }
  return false;
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kError:
      return "error";
  }
  return "unknown";
}

Status Validate(const Entry& e) {
  if (e.kind == static_cast<EventKind>(0)) return InvalidArgument("audit entry kind 0");
  if (static_cast<uint8_t>(e.outcome) > static_cast<uint8_t>(Outcome::kError)) {
    return InvalidArgument("audit entry outcome unknown");
  }
  for (const std::string* s : {&e.tenant, &e.principal, &e.source, &e.reason}) {
    if (s->size() > kMaxStringBytes) return InvalidArgument("audit entry string over 64 KiB");
  }
  if (e.details.size() > kMaxDetails) return InvalidArgument("audit entry over 256 details");
  size_t total = 32;
  for (const auto& [k, v] : e.details) {
    if (k.size() > kMaxStringBytes || v.size() > kMaxStringBytes) {
      return InvalidArgument("audit entry detail over 64 KiB");
    }
    total += k.size() + v.size() + 6;
  }
  total += e.tenant.size() + e.principal.size() + e.source.size() + e.reason.size();
  if (total > kMaxEntryBytes) return InvalidArgument("audit entry larger than 1 MiB");
  return Status::OK();
}

void EncodeEntry(const Entry& e, std::string* out) {
  out->push_back(static_cast<char>(kEntryVersion));
  PutFixed64(out, static_cast<uint64_t>(e.time_ns));
  PutFixed16(out, static_cast<uint16_t>(e.kind));
  out->push_back(static_cast<char>(e.outcome));
  PutString(out, e.tenant);
  PutString(out, e.principal);
  PutString(out, e.source);
  PutString(out, e.reason);
  PutVarint64(out, e.details.size());
  for (const auto& [k, v] : e.details) {
    PutString(out, k);
    PutString(out, v);
  }
}

std::string EncodeEntry(const Entry& e) {
  std::string out;
  EncodeEntry(e, &out);
  return out;
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  Entry e;
  RETURN_IF_ERROR(Parse(bytes, &e));
  return e;
}

Status CheckEntry(std::string_view bytes) { return Parse(bytes, nullptr); }

std::string EntryToJson(const Entry& e) {
  nlohmann::ordered_json j;
  j["time_ns"] = e.time_ns;
  j["time"] = FormatTime(e.time_ns);
  j["tenant"] = e.tenant;
  j["principal"] = e.principal;
  j["source"] = e.source;
  j["kind"] = EventKindName(e.kind);
  j["kind_id"] = static_cast<uint16_t>(e.kind);
  j["outcome"] = std::string(OutcomeName(e.outcome));
  j["reason"] = e.reason;
  nlohmann::ordered_json details = nlohmann::ordered_json::array();
  for (const auto& [k, v] : e.details) details.push_back({k, v});
  j["details"] = std::move(details);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace verbund::audit
