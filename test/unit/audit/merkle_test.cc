// The Merkle tree against the RFC 6962 reference vectors (as used by google/certificate-
// transparency's merkle_tree_test.cc) and against a straightforward recursive computation of
// RFC 9162 section 2.1 for every tree size up to 64.
#include "audit/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

namespace verbund::audit {
namespace {

Hash H(const char* hex) {
  std::optional<Hash> h = HashFromHex(hex);
  EXPECT_TRUE(h.has_value()) << hex;
  return h.value_or(Hash{});
}

std::string Bytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The eight reference leaves.
std::vector<std::string> ReferenceLeaves() {
  std::vector<std::string> out;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    out.push_back(Bytes(hex));
  }
  return out;
}

const char* const kRoots[8] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                               "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                               "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                               "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                               "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                               "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                               "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

// ---- Reference: RFC 9162 2.1.1-2.1.4 written out as recursion over the leaves themselves.

Hash RefMth(const std::vector<std::string>& d, size_t begin, size_t end) {
  Hasher h;
  if (end == begin) return h.Plain("");
  if (end - begin == 1) return h.Leaf(d[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return h.Node(RefMth(d, begin, begin + k), RefMth(d, begin + k, end));
}

std::vector<Hash> RefPath(const std::vector<std::string>& d, size_t m, size_t begin, size_t end) {
  if (end - begin <= 1) return {};
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(d, m, begin, begin + k);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefPath(d, m - k, begin + k, end);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<Hash> RefSubproof(const std::vector<std::string>& d, size_t m, size_t begin, size_t end,
                              bool b) {
  const size_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {RefMth(d, begin, end)};
  }
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(d, m, begin, begin + k, b);
    out.push_back(RefMth(d, begin + k, end));
  } else {
    out = RefSubproof(d, m - k, begin + k, end, false);
    out.push_back(RefMth(d, begin, begin + k));
  }
  return out;
}

std::vector<Hash> RefConsistency(const std::vector<std::string>& d, size_t m, size_t n) {
  if (m == 0 || m == n) return {};
  return RefSubproof(d, m, 0, n, true);
}

MerkleTree BuildTree(const std::vector<std::string>& leaves) {
  MerkleTree t;
  Hasher h;
  for (const auto& l : leaves) t.Append(h.Leaf(l), h);
  return t;
}

TEST(MerkleTest, EmptyTreeRootIsSha256OfEmptyString) {
  MerkleTree t;
  Hasher h;
  EXPECT_EQ(HashHex(*t.Root(0, h)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(EmptyRoot(), *t.Root(0, h));
  CompactRange c;
  EXPECT_EQ(c.Root(h), EmptyRoot());
  EXPECT_FALSE(t.Root(1, h).ok());
}

TEST(MerkleTest, ReferenceRootsForSizes1To8) {
  const auto leaves = ReferenceLeaves();
  MerkleTree t;
  CompactRange c;
  Hasher h;
  for (size_t i = 0; i < leaves.size(); ++i) {
    t.Append(h.Leaf(leaves[i]), h);
    c.Append(h.Leaf(leaves[i]), h);
    EXPECT_EQ(HashHex(*t.Root(i + 1, h)), kRoots[i]) << "size " << i + 1;
    EXPECT_EQ(HashHex(c.Root(h)), kRoots[i]) << "size " << i + 1;
    for (size_t j = 0; j <= i; ++j) EXPECT_EQ(HashHex(*t.Root(j + 1, h)), kRoots[j]);
  }
}

// The reference audit paths; leaf numbers here are 0-based (the CT test numbers them from 1).
TEST(MerkleTest, ReferenceInclusionProofs) {
  struct Vector {
    uint64_t leaf, size;
    std::vector<const char*> path;
  };
  const std::vector<Vector> vectors = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const auto leaves = ReferenceLeaves();
  const MerkleTree t = BuildTree(leaves);
  Hasher h;
  for (const Vector& v : vectors) {
    std::vector<Hash> want;
    for (const char* p : v.path) want.push_back(H(p));
    auto got = t.InclusionProof(v.leaf, v.size, h);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << "leaf " << v.leaf << " size " << v.size;
    EXPECT_TRUE(
        VerifyInclusion(v.leaf, v.size, h.Leaf(leaves[v.leaf]), want, H(kRoots[v.size - 1])).ok());
  }
}

TEST(MerkleTest, ReferenceConsistencyProofs) {
  struct Vector {
    uint64_t first, second;
    std::vector<const char*> proof;
  };
  const std::vector<Vector> vectors = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  const MerkleTree t = BuildTree(ReferenceLeaves());
  Hasher h;
  for (const Vector& v : vectors) {
    std::vector<Hash> want;
    for (const char* p : v.proof) want.push_back(H(p));
    auto got = t.ConsistencyProof(v.first, v.second, h);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << v.first << " -> " << v.second;
    EXPECT_TRUE(
        VerifyConsistency(v.first, v.second, H(kRoots[v.first - 1]), H(kRoots[v.second - 1]), want)
            .ok());
  }
}

// Every leaf of every tree size up to 64, every pair m <= n, against the reference recursion;
// and every proof verifies while every single-bit or length change of it does not.
TEST(MerkleTest, AllProofsUpTo64MatchReferenceAndVerify) {
  std::vector<std::string> leaves;
  for (int i = 0; i < 64; ++i) leaves.push_back("leaf " + std::to_string(i * 7919));
  const MerkleTree t = BuildTree(leaves);
  Hasher h;
  std::vector<Hash> roots(65);
  for (size_t n = 0; n <= 64; ++n) {
    roots[n] = RefMth(leaves, 0, n);
    ASSERT_EQ(*t.Root(n, h), roots[n]) << "size " << n;
  }
  for (uint64_t n = 1; n <= 64; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = t.InclusionProof(i, n, h);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(*proof, RefPath(leaves, i, 0, n)) << "leaf " << i << " size " << n;
      const Hash leaf = h.Leaf(leaves[i]);
      ASSERT_TRUE(VerifyInclusion(i, n, leaf, *proof, roots[n]).ok()) << i << "/" << n;
      EXPECT_FALSE(VerifyInclusion(i, n, h.Leaf("other"), *proof, roots[n]).ok());
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion((i + 1) % n, n, leaf, *proof, roots[n]).ok()) << i << "/" << n;
      }
      // A wrong tree size of another depth (a size of the same depth can share the path).
      EXPECT_FALSE(VerifyInclusion(i, 2 * n, leaf, *proof, roots[n]).ok());
      if (n / 2 > i) {
        EXPECT_FALSE(VerifyInclusion(i, n / 2, leaf, *proof, roots[n]).ok());
      }
      for (size_t j = 0; j < proof->size(); ++j) {
        auto bad = *proof;
        bad[j][j % 32] ^= 1;
        EXPECT_FALSE(VerifyInclusion(i, n, leaf, bad, roots[n]).ok());
      }
      auto longer = *proof;
      longer.push_back(roots[n]);
      EXPECT_FALSE(VerifyInclusion(i, n, leaf, longer, roots[n]).ok());
      if (!proof->empty()) {
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(VerifyInclusion(i, n, leaf, shorter, roots[n]).ok());
      }
    }
    EXPECT_FALSE(t.InclusionProof(n, n, h).ok());
  }
  for (uint64_t n = 0; n <= 64; ++n) {
    for (uint64_t m = 0; m <= n; ++m) {
      auto proof = t.ConsistencyProof(m, n, h);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(*proof, RefConsistency(leaves, m, n)) << m << " -> " << n;
      ASSERT_TRUE(VerifyConsistency(m, n, roots[m], roots[n], *proof).ok()) << m << " -> " << n;
      if (m > 0 && m < n) {
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n - 1], *proof).ok());
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m - 1], roots[n], *proof).ok());
        for (size_t j = 0; j < proof->size(); ++j) {
          auto bad = *proof;
          bad[j][0] ^= 0x80;
          EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], bad).ok()) << m << "->" << n;
        }
        auto longer = *proof;
        longer.push_back(roots[n]);
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], longer).ok());
        auto shorter = *proof;
        shorter.pop_back();
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], shorter).ok());
        EXPECT_FALSE(VerifyConsistency(m, n, roots[m], roots[n], {}).ok());
      }
    }
    EXPECT_FALSE(t.ConsistencyProof(n + 1, n, h).ok());
  }
}

TEST(MerkleTest, CompactRangeMatchesTreeAtEverySize) {
  MerkleTree t;
  CompactRange c;
  Hasher h;
  for (int i = 0; i < 1000; ++i) {
    const Hash leaf = h.Leaf(std::to_string(i));
    t.Append(leaf, h);
    c.Append(leaf, h);
    ASSERT_EQ(c.Root(h), *t.Root(t.size(), h)) << i;
  }
}

TEST(MerkleTest, VerifyConsistencyEdgeCases) {
  const Hash a = EmptyRoot();
  Hash b = a;
  b[0] ^= 1;
  EXPECT_TRUE(VerifyConsistency(0, 0, a, a, {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 5, a, b, {}).ok());
  EXPECT_TRUE(VerifyConsistency(3, 3, b, b, {}).ok());
  EXPECT_FALSE(VerifyConsistency(3, 3, a, b, {}).ok());
  EXPECT_FALSE(VerifyConsistency(3, 3, b, b, {b}).ok());
  EXPECT_FALSE(VerifyConsistency(4, 3, b, b, {}).ok());
  EXPECT_FALSE(VerifyConsistency(1, 2, a, b, {}).ok());
  EXPECT_FALSE(VerifyInclusion(0, 0, a, {}, a).ok());
}

}  // namespace
}  // namespace verbund::audit
