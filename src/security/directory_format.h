// The directory file: what a Directory holds, its encoding and the file framing. Byte layout in
// doc/format/directory.md.
//
//   file   := header (32 bytes) body
//   header := magic "VBNDDIR\n" | version u16 | min_version u16 | flags u32 |
//             body_len u64 | body_crc u32 | header_crc u32          (little-endian)
//   body   := payload, or seal(kDirectoryAad, payload) when flags has kFlagSealed
//   payload:= record*      record := type u8 | varint len | bytes[len]
//
// The CRCs are masked CRC32C (core/crc32c.h) of the body and of the header's first 28 bytes.
// Record bodies are sequences of varints and length-prefixed strings; a decoder ignores bytes
// after the fields it knows (fields are only ever appended) and record types with bit 0x80 set
// it does not know; any other unknown type is Corruption.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"
#include "security/token.h"
#include "security/types.h"

namespace verbund::security {

inline constexpr std::string_view kDirectoryMagic = "VBNDDIR\n";
inline constexpr uint16_t kDirectoryVersion = 1;
inline constexpr uint16_t kDirectoryMinVersion = 1;
inline constexpr size_t kDirectoryHeaderBytes = 32;
inline constexpr uint32_t kFlagSealed = 1;
inline constexpr std::string_view kDirectoryAad = "verbund directory v1";

enum class DirectoryRecordType : uint8_t {
  kMeta = 1,
  kTenant = 2,
  kPrincipal = 3,
  kCertificate = 4,
  kToken = 5,
  kRule = 6,
};

struct TenantRecord {
  std::string name;
  Quotas quotas;
  bool operator==(const TenantRecord&) const = default;
};

struct PrincipalRecord {
  std::string tenant;
  std::string name;
  PrincipalKind kind = PrincipalKind::kDevice;
  bool tenant_admin = false;
  bool disabled = false;
  uint64_t generation = 0;
  std::string password_hash;  // keys::HashPassword encoding, or empty
  Quotas quotas;
  bool operator==(const PrincipalRecord&) const = default;
};

struct CertificateRecord {
  std::string identity;
  std::string tenant;
  std::string principal;
  bool operator==(const CertificateRecord&) const = default;
};

struct TokenRecord {
  std::string id;
  std::string tenant;
  std::string principal;
  Rights rights = 0;
  int64_t expires_ms = 0;  // unix ms, 0 = never
  int64_t created_ms = 0;
  SecretHash hash{};
  bool operator==(const TokenRecord&) const = default;
};

using PrincipalKey = std::pair<std::string, std::string>;  // (tenant, name)

// Everything a directory file holds. The operator pseudo-tenant has no TenantRecord.
struct DirectoryState {
  uint64_t version = 0;  // bumped by every mutation
  uint64_t next_rule_id = 1;
  uint64_t next_generation = 1;
  std::map<std::string, TenantRecord, std::less<>> tenants;
  std::map<PrincipalKey, PrincipalRecord, std::less<>> principals;
  std::map<std::string, CertificateRecord, std::less<>> certificates;  // by identity
  std::map<std::string, TokenRecord, std::less<>> tokens;              // by id
  std::map<uint64_t, Rule> rules;                                      // by id
  bool operator==(const DirectoryState&) const = default;
};

std::string EncodeDirectoryPayload(const DirectoryState& state);
// Corruption on any malformed record, bad name, dangling reference or duplicate.
Result<DirectoryState> DecodeDirectoryPayload(std::string_view payload);

std::string EncodeDirectoryFile(uint32_t flags, std::string_view body);
struct DirectoryFile {
  uint32_t flags = 0;
  std::string_view body;  // a view into the input
};
// Corruption for a bad magic, CRC or length; FailedPrecondition for a newer format.
Result<DirectoryFile> DecodeDirectoryFile(std::string_view bytes);

}  // namespace verbund::security
