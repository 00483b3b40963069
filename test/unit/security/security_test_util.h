// Helpers for the security tests: a fresh directory file per test and rule builders.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "security/directory.h"

namespace verbund::security::testing {

inline std::filesystem::path TempRoot() {
  return std::filesystem::path(::testing::TempDir()) /
         ("verbund_security_" + std::to_string(::getpid()));
}

// Removes every file TempPath made when the test binary ends.
class TempRootCleaner : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(TempRoot(), ec);
  }
};

inline std::string TempPath(std::string_view name) {
  static std::atomic<int> counter{0};
  auto dir = TempRoot();
  std::filesystem::create_directories(dir);
  auto path = dir / (std::string(name) + "_" + std::to_string(counter++) + ".dir");
  std::filesystem::remove(path);
  return path.string();
}

inline Rule MakeRule(std::string tenant, Effect effect, Rights rights, std::string principal,
                     std::string pattern) {
  Rule r;
  r.tenant = std::move(tenant);
  r.effect = effect;
  r.rights = rights;
  r.principal = std::move(principal);
  r.pattern = std::move(pattern);
  return r;
}

inline constexpr Rights kPub = Bit(Right::kPublish);
inline constexpr Rights kSub = Bit(Right::kSubscribe);
inline constexpr Rights kWrite = Bit(Right::kWrite);
inline constexpr Rights kQuery = Bit(Right::kQuery);

inline std::unique_ptr<Directory> OpenPlain(const std::string& path) {
  DirectoryOptions o;
  o.path = path;
  auto d = Directory::Open(std::move(o));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(d).value() : nullptr;
}

// An identity as a certificate login would produce it (all rights).
inline Identity CertIdentity(const Snapshot& snap, std::string_view tenant, std::string_view name) {
  Identity id;
  id.tenant = std::string(tenant);
  id.principal = std::string(name);
  id.rights = kAllRights;
  id.method = AuthMethod::kCertificate;
  (void)snap;
  return id;
}

}  // namespace verbund::security::testing
