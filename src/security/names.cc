#include "security/names.h"

#include <string>

namespace verbund::security {
namespace {

bool LowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool AlnumAscii(char c) { return LowerOrDigit(c) || (c >= 'A' && c <= 'Z'); }

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

}  // namespace

bool ValidTenantName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTenantName || !LowerOrDigit(name[0])) return false;
  for (char c : name) {
    if (!LowerOrDigit(c) && c != '-') return false;
  }
  return true;
}

bool ValidPrincipalName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPrincipalName || !AlnumAscii(name[0])) return false;
  for (char c : name) {
    if (!AlnumAscii(c) && c != '.' && c != '_' && c != '@' && c != '-') return false;
  }
  return true;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

bool ValidCertificateIdentity(std::string_view identity) {
  if (identity.empty() || identity.size() > kMaxCertificateIdentity) return false;
  for (char c : identity) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return ValidUtf8(identity);
}

Status CheckTenantName(std::string_view name) {
  if (ValidTenantName(name)) return Status::OK();
  return InvalidArgument("tenant name '" + Printable(name) +
                         "': must match [a-z0-9][a-z0-9-]{0,62}");
}

Status CheckPrincipalName(std::string_view name) {
  if (ValidPrincipalName(name)) return Status::OK();
  return InvalidArgument("principal name '" + Printable(name) +
                         "': must match [A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
}

Status CheckTenantOrOperator(std::string_view name) {
  if (name == kOperatorTenant) return Status::OK();
  return CheckTenantName(name);
}

bool TenantOwnsDatabase(std::string_view tenant, std::string_view db) {
  if (!ValidTenantName(tenant) || !db.starts_with(tenant)) return false;
  return db.size() == tenant.size() || db[tenant.size()] == '_';
}

std::optional<std::string_view> TenantOfDatabase(std::string_view db) {
  std::string_view tenant = db.substr(0, db.find('_'));
  if (!ValidTenantName(tenant)) return std::nullopt;
  return tenant;
}

std::optional<QualifiedName> SplitQualifiedName(std::string_view username) {
  size_t slash = username.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return QualifiedName{username.substr(0, slash), username.substr(slash + 1)};
}

}  // namespace verbund::security
