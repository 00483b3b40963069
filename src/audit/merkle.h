// The Merkle tree of RFC 9162 (Certificate Transparency 2.0) section 2.1, over SHA-256:
// MerkleTree keeps every leaf hash and every perfect-subtree hash so roots at any size and
// proofs cost O(log n) lookups; CompactRange keeps only the O(log n) frontier (for streaming
// verification); VerifyInclusion/VerifyConsistency are the auditor's algorithms of sections
// 2.1.3.2 and 2.1.4.2, independent of both.
#pragma once

#include <cstdint>
#include <vector>

#include "audit/hash.h"
#include "core/status.h"

namespace verbund::audit {

// All interior nodes of complete subtrees, level by level: level k holds the hash of leaves
// [i * 2^k, (i + 1) * 2^k) at position i. Memory: about 64 bytes per leaf.
// Not thread-safe: the owner serialises appends against reads (AuditLog uses a shared mutex).
class MerkleTree {
 public:
  // Appends one leaf hash (Hasher::Leaf of the entry); amortised O(1), worst O(log n) hashes.
  void Append(const Hash& leaf_hash, Hasher& hasher);

  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  const Hash& LeafHash(uint64_t index) const { return levels_[0][index]; }

  // MTH(D[0:tree_size]); InvalidArgument past the current size.
  Result<Hash> Root(uint64_t tree_size, Hasher& hasher) const;
  // PATH(index, D[0:tree_size]) (RFC 9162 2.1.3.1), nearest sibling first.
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size,
                                           Hasher& hasher) const;
  // PROOF(first, D[0:second]) (RFC 9162 2.1.4.1); empty when first is 0 or equals second.
  Result<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second, Hasher& hasher) const;

 private:
  // MTH(D[begin:end]) for a range the RFC recursion reaches (begin aligned to a power of two
  // at least end - begin).
  Hash RangeHash(uint64_t begin, uint64_t end, Hasher& hasher) const;
  void Path(uint64_t m, uint64_t begin, uint64_t n, Hasher& hasher, std::vector<Hash>* out) const;
  void SubProof(uint64_t m, uint64_t begin, uint64_t n, bool whole, Hasher& hasher,
                std::vector<Hash>* out) const;

  std::vector<std::vector<Hash>> levels_;
};

// The roots of the perfect subtrees that make up a tree of `size()` leaves, left to right (the
// "frontier"): O(log n) memory, the streaming form a verifier uses.
class CompactRange {
 public:
  void Append(const Hash& leaf_hash, Hasher& hasher);
  uint64_t size() const { return size_; }
  Hash Root(Hasher& hasher) const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> frontier_;
};

// RFC 9162 2.1.3.2: OK if `proof` proves leaf `leaf_index` with hash `leaf_hash` is in the tree
// of `tree_size` leaves with root `root`. InvalidArgument on an impossible index, Corruption
// when the proof does not lead to the root.
Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 2.1.4.2: OK if `proof` proves the tree of `first` leaves (root `first_root`) is a
// prefix of the tree of `second` leaves (root `second_root`). first == second needs an empty
// proof and equal roots; first == 0 needs an empty proof.
Status VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                         const Hash& second_root, const std::vector<Hash>& proof);

}  // namespace verbund::audit
