// The set of InfluxDB databases the HTTP API knows: tenants that exist in the engine plus names
// created with CREATE DATABASE (which may still be empty). Created names are kept in a small text
// file (one name per line) under the data directory so they survive restarts.
//
// Thread-safety: every method may be called from any thread. Durability: Create returns after the
// file holding the new name was written, fsynced and renamed into place.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/engine.h"

namespace verbund::http {

class DatabaseRegistry {
 public:
  // `path` is the file (its directory is created); `engine` is not owned, may be null, and must
  // outlive the registry. Corruption-free by construction: unreadable lines are ignored.
  static Result<std::unique_ptr<DatabaseRegistry>> Open(std::string path, storage::Engine* engine);

  // Creates `name` (idempotent). InvalidArgument for an empty name or one with a newline.
  Status Create(std::string_view name);
  // True if the name was created or the engine has data for it.
  bool Exists(std::string_view name);
  // Created names and engine tenants, sorted, unique.
  std::vector<std::string> List();

  // Adapters for query::ExecutorOptions and http::ServerDeps.
  std::function<std::vector<std::string>()> ListFn() {
    return [this] { return List(); };
  }
  std::function<bool(std::string_view)> ExistsFn() {
    return [this](std::string_view n) { return Exists(n); };
  }
  std::function<Status(std::string_view)> CreateFn() {
    return [this](std::string_view n) { return Create(n); };
  }

 private:
  DatabaseRegistry(std::string path, storage::Engine* engine)
      : path_(std::move(path)), engine_(engine) {}
  Status SaveLocked();  // requires mu_

  const std::string path_;
  storage::Engine* const engine_;
  std::mutex mu_;
  std::set<std::string, std::less<>> created_;  // guarded by mu_; persisted
  std::set<std::string, std::less<>> seen_;     // guarded by mu_; engine tenants seen so far
};

}  // namespace verbund::http
