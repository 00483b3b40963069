// The few POSIX file operations the audit log needs, with Status errors: durable small-file
// writes, directory syncs and read-only mappings of whole files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verbund::audit {

// IOError "<what> <path>: <strerror(errno)>".
Status ErrnoStatus(std::string_view what, const std::string& path);
Status SyncDir(const std::string& dir);
// Creates `dir` (and parents) with mode 0700 if missing.
Status MakeDirs(const std::string& dir);
// Writes `bytes` to path.tmp, fsyncs, renames over `path` and syncs the directory.
Status WriteFileDurably(const std::string& path, std::string_view bytes, int mode);
// Writes all of `bytes` at the fd's position, retrying on EINTR and short writes.
Status WriteAll(int fd, std::string_view bytes, const std::string& path);

// A read-only mapping of a whole file (empty files map to an empty view). Move-only.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  ~MappedFile();

  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace verbund::audit
