#include "storage/wal/wal_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace verbund::storage::wal {
namespace {

Status Errno(std::string_view what, const std::string& path) {
  return IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

Result<std::string> ReadAll(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string out;
  off_t size = ::lseek(fd, 0, SEEK_END);
  ::lseek(fd, 0, SEEK_SET);
  out.resize(size > 0 ? static_cast<size_t>(size) : 0);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

}  // namespace

Result<std::vector<uint64_t>> ListSegments(const std::string& dir) {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t seg = 0;
    if (ParseSegmentFileName(e.path().filename().string(), &seg)) out.push_back(seg);
  }
  if (ec) return IOError("list " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Status ScanSegment(std::string_view bytes, uint64_t segment, bool last, const RecordFn& fn,
                   uint64_t* valid_bytes, uint64_t* records) {
  const std::string file = SegmentFileName(segment);
  size_t off = 0;
  *valid_bytes = 0;
  while (off < bytes.size()) {
    Record r;
    std::string why;
    DecodeOutcome o = DecodeRecord(bytes.substr(off), &r, &why);
    if (o != DecodeOutcome::kOk) {
      // A tear can only be at the very end of the newest segment.
      if (last && !ValidRecordFollows(bytes.substr(off + 1))) {
        *valid_bytes = off;
        return Status::OK();
      }
      if (o == DecodeOutcome::kTruncated) why = "truncated record";
      return Corruption("wal " + file + " offset " + std::to_string(off) + ": " + why);
    }
    if (off == 0) {
      uint64_t n = 0;
      if (r.type != RecordType::kSegmentHeader) {
        return Corruption("wal " + file + " offset 0: missing segment header");
      }
      Status s = DecodeSegmentHeader(r.payload, &n);
      if (!s.ok()) return s.Annotate("wal " + file + " offset 0");
      if (n != segment) {
        return Corruption("wal " + file + " offset 0: header names segment " + std::to_string(n));
      }
    } else if (r.type == RecordType::kSegmentHeader) {
      return Corruption("wal " + file + " offset " + std::to_string(off) +
                        ": segment header inside segment");
    } else {
      Status s = fn(segment, off, r);
      if (!s.ok()) return s.Annotate("wal " + file + " offset " + std::to_string(off));
      ++*records;
    }
    off += r.size;
    *valid_bytes = off;
  }
  return Status::OK();
}

Result<ReplayResult> ReplayWal(const std::string& dir, const RecordFn& fn) {
  ReplayResult result;
  ASSIGN_OR_RETURN(std::vector<uint64_t> segments, ListSegments(dir));
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    const std::string path = dir + "/" + SegmentFileName(segments[i]);
    ASSIGN_OR_RETURN(std::string bytes, ReadAll(path));
    uint64_t valid = 0;
    RETURN_IF_ERROR(ScanSegment(bytes, segments[i], last, fn, &valid, &result.records));
    if (valid < bytes.size()) {
      // Torn tail of the newest segment: cut it off so new segments follow a clean log.
      if (::truncate(path.c_str(), static_cast<off_t>(valid)) != 0) return Errno("truncate", path);
      result.truncated_bytes = bytes.size() - valid;
    }
    result.last_segment = segments[i];
  }
  return result;
}

}  // namespace verbund::storage::wal
