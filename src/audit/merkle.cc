#include "audit/merkle.h"

#include <bit>

namespace verbund::audit {
namespace {

// The largest power of two smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

void MerkleTree::Append(const Hash& leaf_hash, Hasher& hasher) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  for (size_t k = 0; levels_[k].size() % 2 == 0; ++k) {
    if (levels_.size() == k + 1) levels_.emplace_back();
    const std::vector<Hash>& level = levels_[k];
    const Hash parent = hasher.Node(level[level.size() - 2], level[level.size() - 1]);
    levels_[k + 1].push_back(parent);
  }
}

Hash MerkleTree::RangeHash(uint64_t begin, uint64_t end, Hasher& hasher) const {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n)) {
    const int k = std::countr_zero(n);
    return levels_[k][begin >> k];
  }
  const uint64_t split = SplitPoint(n);
  return hasher.Node(RangeHash(begin, begin + split, hasher),
                     RangeHash(begin + split, end, hasher));
}

Result<Hash> MerkleTree::Root(uint64_t tree_size, Hasher& hasher) const {
  if (tree_size > size()) {
    return InvalidArgument("tree size " + std::to_string(tree_size) + " beyond log size " +
                           std::to_string(size()));
  }
  if (tree_size == 0) return EmptyRoot();
  return RangeHash(0, tree_size, hasher);
}

void MerkleTree::Path(uint64_t m, uint64_t begin, uint64_t n, Hasher& hasher,
                      std::vector<Hash>* out) const {
  if (n == 1) return;
  const uint64_t k = SplitPoint(n);
  if (m < k) {
    Path(m, begin, k, hasher, out);
    out->push_back(RangeHash(begin + k, begin + n, hasher));
  } else {
    Path(m - k, begin + k, n - k, hasher, out);
    out->push_back(RangeHash(begin, begin + k, hasher));
  }
}

Result<std::vector<Hash>> MerkleTree::InclusionProof(uint64_t index, uint64_t tree_size,
                                                     Hasher& hasher) const {
  if (tree_size > size()) {
    return InvalidArgument("tree size " + std::to_string(tree_size) + " beyond log size " +
                           std::to_string(size()));
  }
  if (index >= tree_size) {
    return InvalidArgument("leaf " + std::to_string(index) + " not in a tree of " +
                           std::to_string(tree_size));
  }
  std::vector<Hash> proof;
  Path(index, 0, tree_size, hasher, &proof);
  return proof;
}

void MerkleTree::SubProof(uint64_t m, uint64_t begin, uint64_t n, bool whole, Hasher& hasher,
                          std::vector<Hash>* out) const {
  if (m == n) {
    if (!whole) out->push_back(RangeHash(begin, begin + n, hasher));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, k, whole, hasher, out);
    out->push_back(RangeHash(begin + k, begin + n, hasher));
  } else {
    SubProof(m - k, begin + k, n - k, false, hasher, out);
    out->push_back(RangeHash(begin, begin + k, hasher));
  }
}

Result<std::vector<Hash>> MerkleTree::ConsistencyProof(uint64_t first, uint64_t second,
                                                       Hasher& hasher) const {
  if (second > size()) {
    return InvalidArgument("tree size " + std::to_string(second) + " beyond log size " +
                           std::to_string(size()));
  }
  if (first > second) {
    return InvalidArgument("first size " + std::to_string(first) + " above second size " +
                           std::to_string(second));
  }
  std::vector<Hash> proof;
  if (first == 0 || first == second) return proof;
  SubProof(first, 0, second, true, hasher, &proof);
  return proof;
}

void CompactRange::Append(const Hash& leaf_hash, Hasher& hasher) {
  frontier_.push_back(leaf_hash);
  // Each trailing one bit of the old size is a perfect subtree the new leaf completes.
  for (uint64_t n = size_; n & 1; n >>= 1) {
    const Hash right = frontier_.back();
    frontier_.pop_back();
    frontier_.back() = hasher.Node(frontier_.back(), right);
  }
  ++size_;
}

Hash CompactRange::Root(Hasher& hasher) const {
  if (frontier_.empty()) return EmptyRoot();
  Hash r = frontier_.back();
  for (size_t i = frontier_.size() - 1; i-- > 0;) r = hasher.Node(frontier_[i], r);
  return r;
}

Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (leaf_index >= tree_size) {
    return InvalidArgument("leaf " + std::to_string(leaf_index) + " not in a tree of " +
                           std::to_string(tree_size));
  }
  Hasher hasher;
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Corruption("inclusion proof longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = hasher.Node(p, r);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = hasher.Node(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("inclusion proof shorter than the tree is deep");
  if (r != root) return Corruption("inclusion proof does not lead to the root");
  return Status::OK();
}

Status VerifyConsistency(uint64_t first, uint64_t second, const Hash& first_root,
                         const Hash& second_root, const std::vector<Hash>& proof) {
  if (first > second) {
    return InvalidArgument("first size " + std::to_string(first) + " above second size " +
                           std::to_string(second));
  }
  if (first == second) {
    if (!proof.empty()) return Corruption("consistency proof between equal sizes is not empty");
    if (first_root != second_root) return Corruption("equal tree sizes with different roots");
    return Status::OK();
  }
  if (first == 0) {
    if (!proof.empty()) return Corruption("consistency proof from the empty tree is not empty");
    return Status::OK();
  }
  // RFC 9162 2.1.4.2, steps 1-7.
  if (proof.empty()) return Corruption("consistency proof is empty");
  size_t next = 0;
  Hash fr, sr;
  if (std::has_single_bit(first)) {
    fr = sr = first_root;  // step 2: first_hash prepended
  } else {
    fr = sr = proof[next++];
  }
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hasher hasher;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return Corruption("consistency proof longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      fr = hasher.Node(c, fr);
      sr = hasher.Node(c, sr);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = hasher.Node(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Corruption("consistency proof shorter than the tree is deep");
  if (fr != first_root) return Corruption("consistency proof does not lead to the first root");
  if (sr != second_root) return Corruption("consistency proof does not lead to the second root");
  return Status::OK();
}

}  // namespace verbund::audit
