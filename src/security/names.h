// Name rules for tenants, principals, certificate identities and the databases a tenant owns.
//
// A tenant name is `[a-z0-9][a-z0-9-]{0,62}`: it is a topic mount point and a database-name
// prefix, so it never holds `_ / + # .` or upper case. A tenant owns the databases named exactly
// `<tenant>` or `<tenant>_<anything>`; since `_` never occurs in a tenant name, the owner of a
// database is the text before its first `_` and no two tenants can claim one database.
// A principal name is `[A-Za-z0-9][A-Za-z0-9._@-]{0,127}` (never `/ + # %`, NUL or spaces).
// Operators live in the pseudo-tenant `_hub`, which is not a valid tenant name.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "core/status.h"

namespace verbund::security {

inline constexpr std::string_view kOperatorTenant = "_hub";
inline constexpr size_t kMaxTenantName = 63;
inline constexpr size_t kMaxPrincipalName = 128;
inline constexpr size_t kMaxCertificateIdentity = 1024;

bool ValidTenantName(std::string_view name);
bool ValidPrincipalName(std::string_view name);
// Non-empty, at most kMaxCertificateIdentity bytes, valid UTF-8 without control characters.
bool ValidCertificateIdentity(std::string_view identity);
// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool ValidUtf8(std::string_view s);

// InvalidArgument naming what is wrong ("tenant name 'a/b': ...").
Status CheckTenantName(std::string_view name);
Status CheckPrincipalName(std::string_view name);
// A tenant name or kOperatorTenant.
Status CheckTenantOrOperator(std::string_view name);

bool TenantOwnsDatabase(std::string_view tenant, std::string_view db);
// The tenant owning `db`, or nullopt when the prefix before the first `_` is no tenant name.
std::optional<std::string_view> TenantOfDatabase(std::string_view db);

// Splits "tenant/name" at the first '/'; nullopt when there is none.
struct QualifiedName {
  std::string_view tenant;
  std::string_view name;
};
std::optional<QualifiedName> SplitQualifiedName(std::string_view username);

}  // namespace verbund::security
