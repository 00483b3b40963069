// Helpers shared by the audit tests: scratch directories and sample entries.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "audit/entry.h"

namespace verbund::audit::testing {

inline std::string FreshDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("verbund_audit_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A query entry whose fields all depend on i.
inline Entry SampleEntry(uint64_t i) {
  Entry e;
  e.time_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1000;
  e.tenant = "tenant" + std::to_string(i % 5);
  e.principal = "user" + std::to_string(i % 17);
  e.source = "10.0.0." + std::to_string(i % 250) + ":5" + std::to_string(i % 1000);
  e.kind = EventKind::kQuery;
  e.outcome = i % 11 == 0 ? Outcome::kDenied : Outcome::kOk;
  e.Add("measurement", "cpu").Add("from", 0).Add("to", static_cast<int64_t>(i)).Add("rows", 42);
  return e;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace verbund::audit::testing
