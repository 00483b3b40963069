#include "audit_commands.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "audit/file_io.h"
#include "audit/log.h"
#include "audit/sth.h"
#include "audit/verify.h"
#include "exit_codes.h"

namespace verbund::ctl {
namespace {

using namespace verbund::audit;

int IoError(const std::string& message, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["ok"] = false;
    j["error"] = message;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fprintf(stderr, "verbundctl: %s\n", message.c_str());
  }
  return kExitIoError;
}

// A key given as a file (hex or PEM) or as 64 hex digits on the command line.
Result<PublicKey> LoadPublicKey(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(arg));
    return PublicKey::Parse(file.bytes());
  }
  return PublicKey::Parse(arg);
}

// A saved tree head: its JSON (as `audit sth` prints) or its 113-byte encoding.
Result<SignedTreeHead> LoadSth(const std::string& path) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  const std::string_view bytes = file.bytes();
  if (bytes.size() == kSthBytes && bytes[0] == static_cast<char>(kSthVersion)) {
    return DecodeSth(bytes);
  }
  return SthFromJson(bytes);
}

struct VerifyArgs {
  std::string log;
  std::string pubkey;
  std::string sth;
  bool json = false;
};

int RunVerify(const VerifyArgs& a) {
  Result<PublicKey> key = LoadPublicKey(a.pubkey);
  if (!key.ok()) return IoError("public key " + a.pubkey + ": " + key.status().message(), a.json);
  std::optional<SignedTreeHead> saved;
  if (!a.sth.empty()) {
    Result<SignedTreeHead> sth = LoadSth(a.sth);
    if (!sth.ok())
      return IoError("saved tree head " + a.sth + ": " + sth.status().message(), a.json);
    saved = *sth;
  }
  Result<MappedFile> file = MappedFile::Open(a.log);
  if (!file.ok()) return IoError(file.status().message(), a.json);
  const VerifyReport r = VerifyExport(file->bytes(), *key, saved ? &*saved : nullptr);
  if (a.json) {
    std::printf("%s\n", ReportToJson(r).c_str());
  } else if (r.ok) {
    std::printf("OK: %llu entries, %llu signed tree heads, root %s\n",
                static_cast<unsigned long long>(r.entries),
                static_cast<unsigned long long>(r.tree_heads), HashHex(r.root).c_str());
    if (saved) {
      std::printf("consistent with the saved tree head of size %llu\n",
                  static_cast<unsigned long long>(saved->tree_size));
    }
  } else {
    std::printf("FAILED: check %s", r.check.c_str());
    if (r.index >= 0) std::printf(" at entry %lld", static_cast<long long>(r.index));
    std::printf(" (byte offset %llu): %s\n", static_cast<unsigned long long>(r.offset),
                r.message.c_str());
  }
  return r.ok ? kExitOk : kExitVerificationFailed;
}

struct ProofArgs {
  std::string pubkey;
  std::string sth;
  std::string old_sth;
  std::string inclusion;
  std::string consistency;
  bool json = false;
};

Result<std::string> ReadText(const std::string& path) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return std::string(file.bytes());
}

int RunVerifyProof(const ProofArgs& a) {
  if (a.inclusion.empty() == a.consistency.empty()) {
    std::fprintf(stderr, "verbundctl: give exactly one of --inclusion and --consistency\n");
    return kExitUsage;
  }
  if (!a.consistency.empty() && a.old_sth.empty()) {
    std::fprintf(stderr, "verbundctl: --consistency needs --old-sth\n");
    return kExitUsage;
  }
  Result<PublicKey> key = LoadPublicKey(a.pubkey);
  if (!key.ok()) return IoError("public key " + a.pubkey + ": " + key.status().message(), a.json);
  Result<SignedTreeHead> sth = LoadSth(a.sth);
  if (!sth.ok()) return IoError("tree head " + a.sth + ": " + sth.status().message(), a.json);
  Status verdict;
  if (!a.inclusion.empty()) {
    Result<std::string> text = ReadText(a.inclusion);
    if (!text.ok()) return IoError(text.status().message(), a.json);
    Result<ProofOfInclusion> p = InclusionFromJson(*text);
    if (!p.ok()) return IoError(a.inclusion + ": " + p.status().message(), a.json);
    verdict = VerifyInclusionProof(*p, *sth, *key);
  } else {
    Result<SignedTreeHead> old = LoadSth(a.old_sth);
    if (!old.ok()) return IoError("tree head " + a.old_sth + ": " + old.status().message(), a.json);
    Result<std::string> text = ReadText(a.consistency);
    if (!text.ok()) return IoError(text.status().message(), a.json);
    Result<ProofOfConsistency> p = ConsistencyFromJson(*text);
    if (!p.ok()) return IoError(a.consistency + ": " + p.status().message(), a.json);
    verdict = VerifyConsistencyProof(*p, *old, *sth, *key);
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["ok"] = verdict.ok();
    if (!verdict.ok()) j["message"] = verdict.message();
    std::printf("%s\n", j.dump().c_str());
  } else if (verdict.ok()) {
    std::printf("OK: the proof verifies against the signed tree head of size %llu\n",
                static_cast<unsigned long long>(sth->tree_size));
  } else {
    std::printf("FAILED: %s\n", verdict.message().c_str());
  }
  return verdict.ok() ? kExitOk : kExitVerificationFailed;
}

int RunPubkey(const std::string& dir, bool pem, bool json) {
  Result<SigningKey> key = SigningKey::Load(dir);
  if (!key.ok()) return IoError(key.status().message(), json);
  const PublicKey& pub = key->public_key();
  if (json) {
    nlohmann::ordered_json j;
    j["algorithm"] = "ed25519";
    j["hex"] = pub.Hex();
    j["pem"] = pub.Pem();
    std::printf("%s\n", j.dump().c_str());
  } else if (pem) {
    std::printf("%s", pub.Pem().c_str());
  } else {
    std::printf("%s\n", pub.Hex().c_str());
  }
  return kExitOk;
}

int RunSth(const std::string& dir) {
  Result<std::vector<SignedTreeHead>> heads = ReadSthLog(dir);
  if (!heads.ok()) return IoError(heads.status().message(), false);
  if (heads->empty()) return IoError("no signed tree head in " + dir, false);
  std::printf("%s\n", SthToJson(heads->back()).c_str());
  return kExitOk;
}

int RunExport(const std::string& dir, const std::string& out) {
  AuditLogOptions o;
  o.dir = dir;
  o.read_only = true;
  Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(o);
  if (!log.ok()) return IoError(log.status().ToString(), false);
  Result<std::vector<SignedTreeHead>> heads = ReadSthLog(dir);
  if (!heads.ok()) return IoError(heads.status().ToString(), false);
  if (heads->empty()) return IoError("no signed tree head in " + dir, false);
  Status s = WriteExport(**log, *heads, out);
  if (!s.ok()) return IoError(s.ToString(), false);
  std::printf("exported %llu entries and %zu signed tree heads to %s\n",
              static_cast<unsigned long long>(heads->back().tree_size), heads->size(), out.c_str());
  return kExitOk;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int* exit_code) {
  CLI::App* audit = app.add_subcommand(
      "audit", "The tamper-evident audit log: offline verification and the hub's signing key");
  audit->require_subcommand(1);
  audit->footer(kExitCodesHelp);

  auto verify_args = std::make_shared<VerifyArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Verify an exported audit log: every record's checksum and encoding, every signed tree "
      "head's signature and root, and consistency with a tree head saved earlier");
  verify->add_option("--log", verify_args->log, "the exported log (audit export, or the HTTP API)")
      ->required();
  verify
      ->add_option("--pubkey", verify_args->pubkey,
                   "the hub's pinned public key: a file (hex or PEM) or 64 hex digits")
      ->required();
  verify->add_option("--sth", verify_args->sth,
                     "a signed tree head saved earlier (JSON as `audit sth` prints, or 113 bytes)");
  verify->add_flag("--json", verify_args->json, "print the verdict as JSON");
  verify->footer(kExitCodesHelp);
  verify->callback([verify_args, exit_code] { *exit_code = RunVerify(*verify_args); });

  auto proof_args = std::make_shared<ProofArgs>();
  CLI::App* proof = audit->add_subcommand(
      "verify-proof",
      "Verify an inclusion proof (an entry is in the log) or a consistency proof (a newer log "
      "extends an older one) from the hub against signed tree heads");
  proof->add_option("--pubkey", proof_args->pubkey, "the hub's pinned public key (file or hex)")
      ->required();
  proof
      ->add_option("--sth", proof_args->sth,
                   "the signed tree head the proof is for (the newer "
                   "one for --consistency)")
      ->required();
  proof->add_option("--inclusion", proof_args->inclusion,
                    "an inclusion proof (JSON: leaf_index, tree_size, leaf_hash, [entry], proof)");
  proof->add_option("--consistency", proof_args->consistency,
                    "a consistency proof (JSON: first, second, proof)");
  proof->add_option("--old-sth", proof_args->old_sth,
                    "with --consistency: the older signed tree head (e.g. one saved earlier)");
  proof->add_flag("--json", proof_args->json, "print the verdict as JSON");
  proof->footer(kExitCodesHelp);
  proof->callback([proof_args, exit_code] { *exit_code = RunVerifyProof(*proof_args); });

  auto dir = std::make_shared<std::string>();
  auto pem = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  CLI::App* pubkey = audit->add_subcommand(
      "pubkey", "Print the hub's audit public key (Ed25519, raw 32 bytes as hex by default)");
  pubkey->add_option("--dir", *dir, "the hub's audit directory (<data_dir>/audit)")->required();
  pubkey->add_flag("--pem", *pem, "print a PEM SubjectPublicKeyInfo instead of hex");
  pubkey->add_flag("--json", *json, "print {\"algorithm\",\"hex\",\"pem\"}");
  pubkey->footer(kExitCodesHelp);
  pubkey->callback([dir, pem, json, exit_code] { *exit_code = RunPubkey(*dir, *pem, *json); });

  auto sth_dir = std::make_shared<std::string>();
  CLI::App* sth = audit->add_subcommand(
      "sth",
      "Print the newest signed tree head of an audit directory as JSON (to save for "
      "a later `audit verify --sth`)");
  sth->add_option("--dir", *sth_dir, "the hub's audit directory")->required();
  sth->footer(kExitCodesHelp);
  sth->callback([sth_dir, exit_code] { *exit_code = RunSth(*sth_dir); });

  auto export_dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* exp = audit->add_subcommand(
      "export",
      "Export an audit directory (read-only; the entries up to the newest signed "
      "tree head, and every tree head) for an auditor");
  exp->add_option("--dir", *export_dir, "the hub's audit directory")->required();
  exp->add_option("--out", *out, "the export file to write")->required();
  exp->footer(kExitCodesHelp);
  exp->callback([export_dir, out, exit_code] { *exit_code = RunExport(*export_dir, *out); });
}

}  // namespace verbund::ctl
