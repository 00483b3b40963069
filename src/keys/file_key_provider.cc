#include "keys/file_key_provider.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/coding.h"
#include "core/crc32c.h"

namespace verbund::keys {
namespace {

constexpr std::string_view kMagic = "VBKEYF01";
constexpr uint16_t kVersion = 1;
constexpr uint16_t kMinCompatible = 1;
// magic(8) version(2) min_compat(2) master(32) body_len(4)
constexpr size_t kHeaderBytes = 8 + 2 + 2 + kKeyBytes + 4;

std::string WrapAad(KeyId id, std::string_view tenant) {
  std::string aad = "verbund key v1";
  PutFixed32(&aad, id);
  aad.append(tenant);
  return aad;
}

Status Errno(std::string_view what, const std::string& path) {
  return IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Errno("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::unique_ptr<FileKeyProvider>> FileKeyProvider::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, ec);
      if (ec) return IOError("create " + parent.string() + ": " + ec.message());
    }
    ASSIGN_OR_RETURN(DataKey master, GenerateKey());
    std::unique_ptr<FileKeyProvider> p(new FileKeyProvider(path, master));
    std::lock_guard lock(p->mu_);
    RETURN_IF_ERROR(p->Save());
    return p;
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  if (bytes.size() < kHeaderBytes + 4 || std::string_view(bytes).substr(0, 8) != kMagic) {
    return Corruption("key file " + path + ": bad magic or too short");
  }
  const size_t crc_at = bytes.size() - 4;
  if (crc32c::Unmask(DecodeFixed32(bytes.data() + crc_at)) != crc32c::Value(bytes.data(), crc_at)) {
    return Corruption("key file " + path + ": checksum mismatch");
  }
  if (DecodeFixed16(bytes.data() + 10) > kVersion) {
    return FailedPrecondition("key file " + path + ": needs a newer version of verbund");
  }
  DataKey master;
  std::memcpy(master.bytes.data(), bytes.data() + 12, kKeyBytes);
  std::unique_ptr<FileKeyProvider> p(new FileKeyProvider(path, master));
  Status s = p->Load(std::string_view(bytes).substr(0, crc_at));
  if (!s.ok()) return s.Annotate("key file " + path);
  return p;
}

Status FileKeyProvider::Load(std::string_view bytes) {
  const uint32_t body_len = DecodeFixed32(bytes.data() + 44);
  if (bytes.size() != kHeaderBytes + body_len) return Corruption("body length mismatch");
  ASSIGN_OR_RETURN(std::string body,
                   Aead::Open(master_, bytes.substr(0, 12), bytes.substr(kHeaderBytes)));
  std::string_view in(body);
  uint64_t next = 0, n = 0;
  if (!GetVarint64(&in, &next) || !GetVarint64(&in, &n)) return Corruption("bad body");
  std::lock_guard lock(mu_);
  next_id_ = static_cast<KeyId>(next);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    std::string_view tenant, wrapped;
    if (!GetVarint64(&in, &id) || !GetLengthPrefixed(&in, &tenant) ||
        !GetLengthPrefixed(&in, &wrapped)) {
      return Corruption("bad key entry");
    }
    ASSIGN_OR_RETURN(std::string raw,
                     Aead::Open(master_, WrapAad(static_cast<KeyId>(id), tenant), wrapped));
    if (raw.size() != kKeyBytes) return Corruption("bad key length");
    Entry e;
    e.id = static_cast<KeyId>(id);
    e.tenant = std::string(tenant);
    std::memcpy(e.key.bytes.data(), raw.data(), kKeyBytes);
    active_[e.tenant] = e.id;  // entries are in id order: the last one of a tenant is active
    keys_[e.id] = std::move(e);
  }
  return Status::OK();
}

Status FileKeyProvider::Save() {
  std::string body;
  PutVarint64(&body, next_id_);
  PutVarint64(&body, keys_.size());
  for (const auto& [id, e] : keys_) {
    PutVarint64(&body, id);
    PutLengthPrefixed(&body, e.tenant);
    std::string_view raw(reinterpret_cast<const char*>(e.key.bytes.data()), kKeyBytes);
    ASSIGN_OR_RETURN(std::string wrapped, Aead::Seal(master_, WrapAad(id, e.tenant), raw));
    PutLengthPrefixed(&body, wrapped);
  }
  std::string file(kMagic);
  PutFixed16(&file, kVersion);
  PutFixed16(&file, kMinCompatible);
  file.append(reinterpret_cast<const char*>(master_.bytes.data()), kKeyBytes);
  ASSIGN_OR_RETURN(std::string sealed, Aead::Seal(master_, std::string_view(file).substr(0, 12), body));
  PutFixed32(&file, static_cast<uint32_t>(sealed.size()));
  file.append(sealed);
  PutFixed32(&file, crc32c::Mask(crc32c::Value(file)));

  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open", tmp);
  Status s = WriteAll(fd, file, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return Errno("rename", tmp);
  auto dir = std::filesystem::path(path_).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

Result<KeyId> FileKeyProvider::IssueLocked(std::string_view tenant) {
  ASSIGN_OR_RETURN(DataKey key, GenerateKey());
  Entry e;
  e.id = next_id_++;
  e.tenant = std::string(tenant);
  e.key = key;
  const KeyId id = e.id;
  const auto prev = active_.find(tenant);
  const KeyId prev_id = prev == active_.end() ? 0 : prev->second;  // 0: none
  keys_[id] = std::move(e);
  active_[std::string(tenant)] = id;
  if (Status s = Save(); !s.ok()) {
    keys_.erase(id);
    if (prev_id != 0) {
      active_[std::string(tenant)] = prev_id;
    } else {
      active_.erase(std::string(tenant));
    }
    return s;
  }
  return id;
}

Result<KeyId> FileKeyProvider::ActiveKeyId(std::string_view tenant) {
  std::lock_guard lock(mu_);
  if (locked_.count(tenant) != 0) return FailedPrecondition("tenant key locked");
  if (auto it = active_.find(tenant); it != active_.end()) return it->second;
  return IssueLocked(tenant);
}

Result<DataKey> FileKeyProvider::GetKey(KeyId id) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return NotFound("no key with id " + std::to_string(id));
  if (locked_.count(it->second.tenant) != 0) {
    return FailedPrecondition("key " + std::to_string(id) + " is locked");
  }
  return it->second.key;
}

Result<KeyId> FileKeyProvider::Rotate(std::string_view tenant) {
  std::lock_guard lock(mu_);
  if (locked_.count(tenant) != 0) return FailedPrecondition("tenant key locked");
  return IssueLocked(tenant);
}

void FileKeyProvider::Lock(std::string_view tenant) {
  std::lock_guard lock(mu_);
  locked_.emplace(tenant);
}

void FileKeyProvider::Unlock(std::string_view tenant) {
  std::lock_guard lock(mu_);
  if (auto it = locked_.find(tenant); it != locked_.end()) locked_.erase(it);
}

}  // namespace verbund::keys
