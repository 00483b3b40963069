#include "http/databases.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace verbund::http {

Result<std::unique_ptr<DatabaseRegistry>> DatabaseRegistry::Open(std::string path,
                                                                 storage::Engine* engine) {
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return IOError("databases: cannot create '" + p.parent_path().string() + "': " + ec.message());
  }
  std::unique_ptr<DatabaseRegistry> r(new DatabaseRegistry(std::move(path), engine));
  std::ifstream in(r->path_);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) r->created_.insert(line);
  }
  return r;
}

Status DatabaseRegistry::SaveLocked() {
  std::string body;
  for (const auto& n : created_) {
    body += n;
    body += '\n';
  }
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IOError("databases: open '" + tmp + "': " + std::strerror(errno));
  size_t off = 0;
  while (off < body.size()) {
    ssize_t n = ::write(fd, body.data() + off, body.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return IOError("databases: write '" + tmp + "': " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return IOError("databases: fsync '" + tmp + "': " + std::strerror(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    return IOError("databases: rename to '" + path_ + "': " + std::strerror(errno));
  }
  std::string dir = std::filesystem::path(path_).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

Status DatabaseRegistry::Create(std::string_view name) {
  if (name.empty()) return InvalidArgument("database name required");
  if (name.find('\n') != std::string_view::npos || name.find('\r') != std::string_view::npos) {
    return InvalidArgument("database name must not contain a newline");
  }
  std::lock_guard lock(mu_);
  if (created_.count(name)) return Status::OK();
  created_.emplace(name);
  Status st = SaveLocked();
  if (!st.ok()) created_.erase(created_.find(name));
  return st;
}

bool DatabaseRegistry::Exists(std::string_view name) {
  {
    std::lock_guard lock(mu_);
    if (created_.count(name) || seen_.count(name)) return true;
  }
  if (!engine_) return false;
  std::vector<std::string> tenants = engine_->Tenants();
  std::lock_guard lock(mu_);
  bool found = false;
  for (auto& t : tenants) {
    if (t == name) found = true;
    seen_.insert(std::move(t));
  }
  return found;
}

std::vector<std::string> DatabaseRegistry::List() {
  std::vector<std::string> tenants;
  if (engine_) tenants = engine_->Tenants();
  std::lock_guard lock(mu_);
  std::set<std::string> all(created_.begin(), created_.end());
  for (auto& t : tenants) {
    all.insert(t);
    seen_.insert(std::move(t));
  }
  return {all.begin(), all.end()};
}

}  // namespace verbund::http
