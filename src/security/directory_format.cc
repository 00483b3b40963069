#include "security/directory_format.h"

#include "core/coding.h"
#include "core/crc32c.h"
#include "security/names.h"
#include "security/pattern.h"

namespace verbund::security {
namespace {

constexpr size_t kMaxHashBytes = 512;

void PutQuotas(std::string* out, const Quotas& q) {
  PutVarint64(out, q.max_connections);
  PutVarint64(out, q.messages_per_s);
  PutVarint64(out, q.bytes_per_s);
  PutVarint64(out, q.max_series);
  PutVarint64(out, q.max_stored_bytes);
}

void PutRecord(std::string* out, DirectoryRecordType type, std::string_view body) {
  out->push_back(static_cast<char>(type));
  PutLengthPrefixed(out, body);
}

// Reads fields from one record body; any shortfall is remembered and reported once.
class FieldReader {
 public:
  explicit FieldReader(std::string_view in) : in_(in) {}
  uint64_t Varint() {
    uint64_t v = 0;
    if (ok_ && !GetVarint64(&in_, &v)) ok_ = false;
    return v;
  }
  std::string String() {
    std::string_view s;
    if (ok_ && !GetLengthPrefixed(&in_, &s)) ok_ = false;
    return ok_ ? std::string(s) : std::string();
  }
  Quotas ReadQuotas() {
    Quotas q;
    q.max_connections = Varint();
    q.messages_per_s = Varint();
    q.bytes_per_s = Varint();
    q.max_series = Varint();
    q.max_stored_bytes = Varint();
    return q;
  }
  bool ok() const { return ok_; }

 private:
  std::string_view in_;
  bool ok_ = true;
};

Status Bad(std::string_view what) { return Corruption("directory: " + std::string(what)); }

}  // namespace

std::string EncodeDirectoryPayload(const DirectoryState& s) {
  std::string out;
  std::string body;
  PutVarint64(&body, s.version);
  PutVarint64(&body, s.next_rule_id);
  PutVarint64(&body, s.next_generation);
  PutRecord(&out, DirectoryRecordType::kMeta, body);
  for (const auto& [name, t] : s.tenants) {
    body.clear();
    PutLengthPrefixed(&body, t.name);
    PutQuotas(&body, t.quotas);
    PutRecord(&out, DirectoryRecordType::kTenant, body);
  }
  for (const auto& [key, p] : s.principals) {
    body.clear();
    PutLengthPrefixed(&body, p.tenant);
    PutLengthPrefixed(&body, p.name);
    PutVarint64(&body, static_cast<uint64_t>(p.kind));
    PutVarint64(&body, (p.tenant_admin ? 1u : 0u) | (p.disabled ? 2u : 0u));
    PutVarint64(&body, p.generation);
    PutLengthPrefixed(&body, p.password_hash);
    PutQuotas(&body, p.quotas);
    PutRecord(&out, DirectoryRecordType::kPrincipal, body);
  }
  for (const auto& [identity, c] : s.certificates) {
    body.clear();
    PutLengthPrefixed(&body, c.identity);
    PutLengthPrefixed(&body, c.tenant);
    PutLengthPrefixed(&body, c.principal);
    PutRecord(&out, DirectoryRecordType::kCertificate, body);
  }
  for (const auto& [id, t] : s.tokens) {
    body.clear();
    PutLengthPrefixed(&body, t.id);
    PutLengthPrefixed(&body, t.tenant);
    PutLengthPrefixed(&body, t.principal);
    PutVarint64(&body, t.rights);
    PutVarint64(&body, ZigZagEncode(t.expires_ms));
    PutVarint64(&body, ZigZagEncode(t.created_ms));
    PutLengthPrefixed(
        &body, std::string_view(reinterpret_cast<const char*>(t.hash.data()), t.hash.size()));
    PutRecord(&out, DirectoryRecordType::kToken, body);
  }
  for (const auto& [id, r] : s.rules) {
    body.clear();
    PutLengthPrefixed(&body, r.tenant);
    PutVarint64(&body, r.id);
    PutVarint64(&body, static_cast<uint64_t>(r.effect));
    PutVarint64(&body, r.rights);
    PutLengthPrefixed(&body, r.principal);
    PutLengthPrefixed(&body, r.pattern);
    PutRecord(&out, DirectoryRecordType::kRule, body);
  }
  return out;
}

Result<DirectoryState> DecodeDirectoryPayload(std::string_view payload) {
  DirectoryState s;
  bool have_meta = false;
  while (!payload.empty()) {
    auto type = static_cast<uint8_t>(payload[0]);
    payload.remove_prefix(1);
    std::string_view body;
    if (!GetLengthPrefixed(&payload, &body)) return Bad("truncated record");
    FieldReader r(body);
    if (!have_meta && type != static_cast<uint8_t>(DirectoryRecordType::kMeta)) {
      return Bad("first record is not the meta record");
    }
    switch (static_cast<DirectoryRecordType>(type)) {
      case DirectoryRecordType::kMeta: {
        if (have_meta) return Bad("second meta record");
        have_meta = true;
        s.version = r.Varint();
        s.next_rule_id = r.Varint();
        s.next_generation = r.Varint();
        if (!r.ok()) return Bad("bad meta record");
        break;
      }
      case DirectoryRecordType::kTenant: {
        TenantRecord t;
        t.name = r.String();
        t.quotas = r.ReadQuotas();
        if (!r.ok()) return Bad("bad tenant record");
        if (!ValidTenantName(t.name)) return Bad("bad tenant name");
        std::string name = t.name;
        if (!s.tenants.emplace(std::move(name), std::move(t)).second)
          return Bad("duplicate tenant");
        break;
      }
      case DirectoryRecordType::kPrincipal: {
        PrincipalRecord p;
        p.tenant = r.String();
        p.name = r.String();
        uint64_t kind = r.Varint();
        uint64_t flags = r.Varint();
        p.generation = r.Varint();
        p.password_hash = r.String();
        p.quotas = r.ReadQuotas();
        if (!r.ok()) return Bad("bad principal record");
        if (kind < 1 || kind > 4) return Bad("bad principal kind");
        p.kind = static_cast<PrincipalKind>(kind);
        if (flags > 3) return Bad("bad principal flags");
        p.tenant_admin = flags & 1;
        p.disabled = flags & 2;
        if (!ValidPrincipalName(p.name)) return Bad("bad principal name");
        if ((p.tenant == kOperatorTenant) != (p.kind == PrincipalKind::kOperator)) {
          return Bad("operator outside _hub or non-operator in _hub");
        }
        if (p.password_hash.size() > kMaxHashBytes ||
            (!p.password_hash.empty() && !p.password_hash.starts_with("$scrypt$"))) {
          return Bad("bad password hash");
        }
        PrincipalKey key{p.tenant, p.name};
        if (!s.principals.emplace(std::move(key), std::move(p)).second) {
          return Bad("duplicate principal");
        }
        break;
      }
      case DirectoryRecordType::kCertificate: {
        CertificateRecord c;
        c.identity = r.String();
        c.tenant = r.String();
        c.principal = r.String();
        if (!r.ok()) return Bad("bad certificate record");
        if (!ValidCertificateIdentity(c.identity)) return Bad("bad certificate identity");
        std::string identity = c.identity;
        if (!s.certificates.emplace(std::move(identity), std::move(c)).second) {
          return Bad("duplicate certificate identity");
        }
        break;
      }
      case DirectoryRecordType::kToken: {
        TokenRecord t;
        t.id = r.String();
        t.tenant = r.String();
        t.principal = r.String();
        uint64_t rights = r.Varint();
        t.expires_ms = ZigZagDecode(r.Varint());
        t.created_ms = ZigZagDecode(r.Varint());
        std::string hash = r.String();
        if (!r.ok()) return Bad("bad token record");
        if (!ValidTokenId(t.id)) return Bad("bad token id");
        if (rights == 0 || (rights & ~uint64_t{kAllRights}) != 0) return Bad("bad token rights");
        t.rights = static_cast<Rights>(rights);
        if (t.expires_ms < 0 || hash.size() != t.hash.size()) return Bad("bad token record");
        for (size_t i = 0; i < hash.size(); ++i) t.hash[i] = static_cast<uint8_t>(hash[i]);
        std::string id = t.id;
        if (!s.tokens.emplace(std::move(id), std::move(t)).second) return Bad("duplicate token");
        break;
      }
      case DirectoryRecordType::kRule: {
        Rule rule;
        rule.tenant = r.String();
        rule.id = r.Varint();
        uint64_t effect = r.Varint();
        uint64_t rights = r.Varint();
        rule.principal = r.String();
        rule.pattern = r.String();
        if (!r.ok()) return Bad("bad rule record");
        if (effect < 1 || effect > 2 || rights > kAllRights) return Bad("bad rule record");
        rule.effect = static_cast<Effect>(effect);
        rule.rights = static_cast<Rights>(rights);
        if (!CheckRule(rule).ok()) return Bad("bad rule " + std::to_string(rule.id));
        uint64_t id = rule.id;
        if (id == 0 || !s.rules.emplace(id, std::move(rule)).second)
          return Bad("duplicate rule id");
        break;
      }
      default:
        if ((type & 0x80) == 0) return Bad("unknown record type " + std::to_string(type));
        break;
    }
  }
  if (!have_meta) return Bad("no meta record");
  // References.
  for (const auto& [key, p] : s.principals) {
    if (p.tenant != kOperatorTenant && !s.tenants.contains(p.tenant)) {
      return Bad("principal of unknown tenant");
    }
    if (p.generation >= s.next_generation) return Bad("principal generation out of range");
  }
  for (const auto& [identity, c] : s.certificates) {
    if (!s.principals.contains(PrincipalKey{c.tenant, c.principal})) {
      return Bad("certificate identity of unknown principal");
    }
  }
  for (const auto& [id, t] : s.tokens) {
    if (!s.principals.contains(PrincipalKey{t.tenant, t.principal})) {
      return Bad("token of unknown principal");
    }
  }
  for (const auto& [id, rule] : s.rules) {
    if (!s.tenants.contains(rule.tenant)) return Bad("rule of unknown tenant");
    if (id >= s.next_rule_id) return Bad("rule id out of range");
  }
  return s;
}

std::string EncodeDirectoryFile(uint32_t flags, std::string_view body) {
  std::string out(kDirectoryMagic);
  PutFixed16(&out, kDirectoryVersion);
  PutFixed16(&out, kDirectoryMinVersion);
  PutFixed32(&out, flags);
  PutFixed64(&out, body.size());
  PutFixed32(&out, crc32c::Mask(crc32c::Value(body)));
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  out.append(body);
  return out;
}

Result<DirectoryFile> DecodeDirectoryFile(std::string_view bytes) {
  if (bytes.size() < kDirectoryHeaderBytes || !bytes.starts_with(kDirectoryMagic)) {
    return Corruption("directory: not a directory file (bad magic or too short)");
  }
  const char* h = bytes.data();
  if (crc32c::Unmask(DecodeFixed32(h + 28)) != crc32c::Value(h, 28)) {
    return Corruption("directory: header checksum mismatch");
  }
  uint16_t min_version = DecodeFixed16(h + 10);
  if (min_version > kDirectoryVersion) {
    return FailedPrecondition("directory: file needs format version " +
                              std::to_string(min_version) + ", this build reads " +
                              std::to_string(kDirectoryVersion));
  }
  DirectoryFile f;
  f.flags = DecodeFixed32(h + 12);
  uint64_t body_len = DecodeFixed64(h + 16);
  if (body_len != bytes.size() - kDirectoryHeaderBytes) {
    return Corruption("directory: length mismatch (truncated or extended file)");
  }
  f.body = bytes.substr(kDirectoryHeaderBytes);
  if (crc32c::Unmask(DecodeFixed32(h + 24)) != crc32c::Value(f.body)) {
    return Corruption("directory: body checksum mismatch");
  }
  if ((f.flags & ~kFlagSealed) != 0) return Corruption("directory: unknown flags");
  return f;
}

}  // namespace verbund::security
