// Export and offline verification of an audit log (doc/format/audit.md, "Export").
//
// An export is one file of framed records: an export header, every entry from index 0 in log
// order, and signed tree heads, each placed right after the entry that completes its tree
// size. The verifier needs only the export and the hub's pinned public key (and optionally a
// tree head the auditor saved earlier); it trusts nothing else in the file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/hash.h"
#include "audit/sth.h"
#include "core/status.h"

namespace verbund::audit {

class AuditLog;

// Streams the export of entries [0, tree_size) of `log` with the tree heads of `sths` whose
// size is at most tree_size (in size order) to `sink`, in chunks of about 1 MiB (an HTTP
// handler can send each as a chunk). tree_size defaults to the largest size among `sths`;
// entries past the newest signed head would not be covered. Stops at the first error, the
// sink's included.
using ExportSink = std::function<Status(std::string_view chunk)>;
Status StreamExport(const AuditLog& log, const std::vector<SignedTreeHead>& sths,
                    const ExportSink& sink, std::optional<uint64_t> tree_size = std::nullopt);

// StreamExport into the file `path` (via path.tmp, fsync and rename).
Status WriteExport(const AuditLog& log, const std::vector<SignedTreeHead>& sths,
                   const std::string& path, std::optional<uint64_t> tree_size = std::nullopt);

// The outcome of VerifyExport. `check` names the first check that failed:
//   "export_header"   the file does not start with a known export header
//   "record"          a record's framing or CRC32C is bad (also: a truncated file)
//   "entry"           an entry's bytes are not a canonical entry
//   "tree_head"       a tree head record is malformed or placed where its size is not
//   "signature"       a tree head's signature does not verify under the pinned key
//   "root"            a tree head's root differs from the root recomputed from the entries
//   "order"           tree heads go back in size or time
//   "unsigned"        the export has no tree head, or entries after the last one
//   "saved_signature" the saved tree head does not verify under the pinned key
//   "saved_size"      the export is shorter than the saved tree head (entries were removed)
//   "saved_root"      the export's root at the saved size differs (history was rewritten)
struct VerifyReport {
  bool ok = false;
  std::string check;     // "" when ok
  std::string message;   // human-readable reason
  int64_t index = -1;    // the entry (or tree size) where the check failed, -1 if none
  uint64_t offset = 0;   // byte offset of the failing record in the export
  uint64_t entries = 0;  // entries checked
  uint64_t tree_heads = 0;
  std::optional<SignedTreeHead> latest;  // the newest verified tree head
  Hash root{};                           // root over all entries checked
};

// Checks every record, every entry's encoding, every tree head's signature and root, the
// order of tree heads, and consistency with `saved` (if given). Never crashes on any input.
VerifyReport VerifyExport(std::string_view export_bytes, const PublicKey& key,
                          const SignedTreeHead* saved = nullptr);

// {"ok":true,"entries":..,"tree_heads":..,"root":"..","latest":{sth}} or with
// "check","message","index","offset" on failure.
std::string ReportToJson(const VerifyReport& report);

// Proofs as the hub hands them out (HTTP) and an auditor checks them (verbundctl), in JSON:
//   inclusion   {"leaf_index":i,"tree_size":n,"leaf_hash":"<hex>","entry":"<hex, optional>",
//                "proof":["<hex>",...]}
//   consistency {"first":m,"second":n,"proof":["<hex>",...]}
struct ProofOfInclusion {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  Hash leaf_hash{};
  std::string entry;  // the canonical entry bytes, if sent (then leaf_hash must be theirs)
  std::vector<Hash> proof;
};
struct ProofOfConsistency {
  uint64_t first = 0;
  uint64_t second = 0;
  std::vector<Hash> proof;
};
std::string ToJson(const ProofOfInclusion& p);
std::string ToJson(const ProofOfConsistency& p);
Result<ProofOfInclusion> InclusionFromJson(std::string_view json);
Result<ProofOfConsistency> ConsistencyFromJson(std::string_view json);

// OK if `sth` is signed by `key`, covers the proof's tree size, the entry (if given) hashes to
// the leaf hash, and the proof leads to the signed root.
Status VerifyInclusionProof(const ProofOfInclusion& p, const SignedTreeHead& sth,
                            const PublicKey& key);
// OK if both heads are signed by `key`, their sizes are the proof's, and the proof shows the
// older tree is a prefix of the newer.
Status VerifyConsistencyProof(const ProofOfConsistency& p, const SignedTreeHead& older,
                              const SignedTreeHead& newer, const PublicKey& key);

}  // namespace verbund::audit
