#include "audit/verify.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/file_io.h"
#include "audit/log.h"
#include "audit/merkle.h"
#include "audit/record.h"

namespace verbund::audit {
namespace {

constexpr uint64_t kExportBatch = 4096;  // entries read at once
constexpr size_t kExportChunkBytes = 1u << 20;

VerifyReport Fail(VerifyReport r, std::string check, std::string message, int64_t index,
                  uint64_t offset) {
  r.ok = false;
  r.check = std::move(check);
  r.message = std::move(message);
  r.index = index;
  r.offset = offset;
  return r;
}

}  // namespace

Status StreamExport(const AuditLog& log, const std::vector<SignedTreeHead>& sths,
                    const ExportSink& sink, std::optional<uint64_t> tree_size) {
  std::vector<SignedTreeHead> heads = sths;
  std::stable_sort(
      heads.begin(), heads.end(),
      [](const SignedTreeHead& a, const SignedTreeHead& b) { return a.tree_size < b.tree_size; });
  const uint64_t size = tree_size.value_or(heads.empty() ? 0 : heads.back().tree_size);
  if (size > log.size()) {
    return InvalidArgument("export size " + std::to_string(size) + " beyond log size " +
                           std::to_string(log.size()));
  }
  std::string out;
  AppendRecord(&out, RecordType::kExportHeader, EncodeExportHeader(0));
  size_t next_head = 0;
  auto put_heads = [&](uint64_t at) {
    for (; next_head < heads.size() && heads[next_head].tree_size == at; ++next_head) {
      AppendRecord(&out, RecordType::kTreeHead, EncodeSth(heads[next_head]));
    }
  };
  put_heads(0);
  for (uint64_t first = 0; first < size; first += kExportBatch) {
    const uint64_t n = std::min(kExportBatch, size - first);
    ASSIGN_OR_RETURN(std::vector<std::string> entries, log.ReadEncoded(first, n));
    for (uint64_t i = 0; i < n; ++i) {
      AppendRecord(&out, RecordType::kEntry, entries[i]);
      put_heads(first + i + 1);
      if (out.size() >= kExportChunkBytes) {
        RETURN_IF_ERROR(sink(out));
        out.clear();
      }
    }
  }
  return out.empty() ? Status::OK() : sink(out);
}

Status WriteExport(const AuditLog& log, const std::vector<SignedTreeHead>& sths,
                   const std::string& path, std::optional<uint64_t> tree_size) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  Status s = StreamExport(
      log, sths, [&](std::string_view chunk) { return WriteAll(fd, chunk, tmp); }, tree_size);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoStatus("fsync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoStatus("rename", tmp);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

VerifyReport VerifyExport(std::string_view bytes, const PublicKey& key,
                          const SignedTreeHead* saved) {
  VerifyReport r;
  Hasher hasher;
  CompactRange tree;
  if (saved != nullptr) {
    Status s = VerifySth(*saved, key);
    if (!s.ok()) return Fail(r, "saved_signature", s.message(), -1, 0);
    if (saved->tree_size == 0 && saved->root != EmptyRoot()) {
      return Fail(r, "saved_root",
                  "saved tree head of size 0 with a root that is not SHA-256(\"\")", 0, 0);
    }
  }
  Record rec;
  std::string why;
  size_t off = 0;
  bool header = false;
  uint64_t entries_since_head = 0;
  while (off < bytes.size()) {
    const DecodeOutcome o = DecodeRecord(bytes.substr(off), &rec, &why);
    const auto index = static_cast<int64_t>(tree.size());
    if (o != DecodeOutcome::kOk) {
      return Fail(r, header ? "record" : "export_header",
                  o == DecodeOutcome::kTruncated ? "truncated record (file cut short)" : why, index,
                  off);
    }
    if (!header) {
      if (rec.type != RecordType::kExportHeader) {
        return Fail(r, "export_header", "the file does not start with an export header", -1, 0);
      }
      Result<uint64_t> first = DecodeExportHeader(rec.payload);
      if (!first.ok()) return Fail(r, "export_header", first.status().message(), -1, 0);
      if (*first != 0) {
        return Fail(r, "export_header", "partial exports (not from entry 0) cannot be verified", -1,
                    0);
      }
      header = true;
    } else if (rec.type == RecordType::kEntry) {
      Status s = CheckEntry(rec.payload);
      if (!s.ok()) return Fail(r, "entry", s.message(), index, off);
      tree.Append(hasher.Leaf(rec.payload), hasher);
      ++entries_since_head;
      if (saved != nullptr && tree.size() == saved->tree_size && tree.Root(hasher) != saved->root) {
        return Fail(r, "saved_root",
                    "the root at size " + std::to_string(saved->tree_size) +
                        " differs from the saved tree head: history was rewritten",
                    static_cast<int64_t>(saved->tree_size), off);
      }
    } else if (rec.type == RecordType::kTreeHead) {
      Result<SignedTreeHead> sth = DecodeSth(rec.payload);
      if (!sth.ok()) return Fail(r, "tree_head", sth.status().message(), index, off);
      if (sth->tree_size != tree.size()) {
        return Fail(r, "tree_head",
                    "tree head of size " + std::to_string(sth->tree_size) + " placed after " +
                        std::to_string(tree.size()) + " entries",
                    index, off);
      }
      Status s = VerifySth(*sth, key);
      if (!s.ok()) return Fail(r, "signature", s.message(), index, off);
      if (r.latest && sth->timestamp_ns < r.latest->timestamp_ns) {
        return Fail(r, "order", "tree head older than the one before it", index, off);
      }
      if (sth->root != tree.Root(hasher)) {
        return Fail(r, "root",
                    "root recomputed from entries [0, " + std::to_string(tree.size()) +
                        ") differs from the signed tree head",
                    index, off);
      }
      r.latest = *sth;
      ++r.tree_heads;
      entries_since_head = 0;
    } else {
      return Fail(r, "record",
                  "unexpected record type " + std::to_string(static_cast<int>(rec.type)), index,
                  off);
    }
    off += rec.size;
  }
  r.entries = tree.size();
  r.root = tree.Root(hasher);
  if (!header) return Fail(r, "export_header", "empty file", -1, 0);
  if (!r.latest) return Fail(r, "unsigned", "the export has no signed tree head", -1, off);
  if (entries_since_head > 0) {
    return Fail(r, "unsigned",
                std::to_string(entries_since_head) + " entries after the last signed tree head",
                static_cast<int64_t>(r.latest->tree_size), off);
  }
  if (saved != nullptr && saved->tree_size > tree.size()) {
    return Fail(r, "saved_size",
                "the export has " + std::to_string(tree.size()) +
                    " entries, fewer than the saved tree head's " +
                    std::to_string(saved->tree_size) + ": entries were removed",
                static_cast<int64_t>(tree.size()), off);
  }
  r.ok = true;
  return r;
}

std::string ReportToJson(const VerifyReport& r) {
  nlohmann::ordered_json j;
  j["ok"] = r.ok;
  if (!r.ok) {
    j["check"] = r.check;
    j["message"] = r.message;
    j["index"] = r.index;
    j["offset"] = r.offset;
  }
  j["entries"] = r.entries;
  j["tree_heads"] = r.tree_heads;
  if (r.ok) j["root"] = HashHex(r.root);
  if (r.latest) j["latest"] = nlohmann::ordered_json::parse(SthToJson(*r.latest));
  return j.dump();
}

namespace {

nlohmann::ordered_json PathJson(const std::vector<Hash>& proof) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const Hash& h : proof) a.push_back(HashHex(h));
  return a;
}

bool GetU64(const nlohmann::json& j, const char* name, uint64_t* v) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  *v = it->get<uint64_t>();
  return true;
}

bool GetPath(const nlohmann::json& j, std::vector<Hash>* out) {
  auto it = j.find("proof");
  if (it == j.end() || !it->is_array() || it->size() > 128) return false;
  out->clear();
  for (const auto& e : *it) {
    if (!e.is_string()) return false;
    std::optional<Hash> h = HashFromHex(e.get<std::string>());
    if (!h) return false;
    out->push_back(*h);
  }
  return true;
}

}  // namespace

std::string ToJson(const ProofOfInclusion& p) {
  nlohmann::ordered_json j;
  j["leaf_index"] = p.leaf_index;
  j["tree_size"] = p.tree_size;
  j["leaf_hash"] = HashHex(p.leaf_hash);
  if (!p.entry.empty()) j["entry"] = HexEncode(p.entry);
  j["proof"] = PathJson(p.proof);
  return j.dump();
}

std::string ToJson(const ProofOfConsistency& p) {
  nlohmann::ordered_json j;
  j["first"] = p.first;
  j["second"] = p.second;
  j["proof"] = PathJson(p.proof);
  return j.dump();
}

Result<ProofOfInclusion> InclusionFromJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  ProofOfInclusion p;
  if (!j.is_object() || !GetU64(j, "leaf_index", &p.leaf_index) ||
      !GetU64(j, "tree_size", &p.tree_size) || !GetPath(j, &p.proof)) {
    return Malformed("inclusion proof: needs leaf_index, tree_size, leaf_hash and proof");
  }
  auto leaf = j.find("leaf_hash");
  std::optional<Hash> h;
  if (leaf != j.end() && leaf->is_string()) h = HashFromHex(leaf->get<std::string>());
  if (!h) return Malformed("inclusion proof: leaf_hash is not 64 hex digits");
  p.leaf_hash = *h;
  auto entry = j.find("entry");
  if (entry != j.end() &&
      (!entry->is_string() || !HexDecode(entry->get<std::string>(), &p.entry))) {
    return Malformed("inclusion proof: entry is not hex");
  }
  return p;
}

Result<ProofOfConsistency> ConsistencyFromJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  ProofOfConsistency p;
  if (!j.is_object() || !GetU64(j, "first", &p.first) || !GetU64(j, "second", &p.second) ||
      !GetPath(j, &p.proof)) {
    return Malformed("consistency proof: needs first, second and proof");
  }
  return p;
}

Status VerifyInclusionProof(const ProofOfInclusion& p, const SignedTreeHead& sth,
                            const PublicKey& key) {
  RETURN_IF_ERROR(VerifySth(sth, key));
  if (sth.tree_size != p.tree_size) {
    return InvalidArgument("proof is for tree size " + std::to_string(p.tree_size) +
                           ", the tree head's size is " + std::to_string(sth.tree_size));
  }
  if (!p.entry.empty()) {
    RETURN_IF_ERROR(CheckEntry(p.entry));
    Hasher hasher;
    if (hasher.Leaf(p.entry) != p.leaf_hash) return Corruption("entry does not hash to leaf_hash");
  }
  return VerifyInclusion(p.leaf_index, p.tree_size, p.leaf_hash, p.proof, sth.root);
}

Status VerifyConsistencyProof(const ProofOfConsistency& p, const SignedTreeHead& older,
                              const SignedTreeHead& newer, const PublicKey& key) {
  RETURN_IF_ERROR(VerifySth(older, key).Annotate("older tree head"));
  RETURN_IF_ERROR(VerifySth(newer, key).Annotate("newer tree head"));
  if (older.tree_size != p.first || newer.tree_size != p.second) {
    return InvalidArgument("proof is for sizes " + std::to_string(p.first) + " -> " +
                           std::to_string(p.second) + ", the tree heads have " +
                           std::to_string(older.tree_size) + " -> " +
                           std::to_string(newer.tree_size));
  }
  return VerifyConsistency(p.first, p.second, older.root, newer.root, p.proof);
}

}  // namespace verbund::audit
