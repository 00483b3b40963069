#include "audit/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "audit/file_io.h"
#include "audit/record.h"
#include "core/coding.h"
#include "core/crc32c.h"

namespace verbund::audit {
namespace {

Hasher& ThreadHasher() {
  thread_local Hasher hasher;
  return hasher;
}

void StoreFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

// Frames `entry` as a kEntry record into *out (replacing its contents).
void FrameEntry(const Entry& entry, std::string* out) {
  out->assign(kRecordHeaderBytes, '\0');
  EncodeEntry(entry, out);
  const size_t len = out->size() - kRecordHeaderBytes;
  (*out)[8] = static_cast<char>(RecordType::kEntry);
  StoreFixed32(out->data() + 4, static_cast<uint32_t>(len));
  StoreFixed32(out->data(), crc32c::Mask(crc32c::Value(out->data() + 8, 1 + len)));
}

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

Status PreadAll(int fd, char* buf, size_t n, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("read", path);
    if (r == 0) return Corruption(path + " offset " + std::to_string(offset) + ": truncated");
    done += static_cast<size_t>(r);
  }
  return Status::OK();
}

}  // namespace

AuditLog::AuditLog(const AuditLogOptions& options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Default()) {}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditLogOptions& options) {
  if (options.dir.empty()) return InvalidArgument("audit log directory not set");
  if (!options.read_only) RETURN_IF_ERROR(MakeDirs(options.dir));
  std::unique_ptr<AuditLog> log(new AuditLog(options));
  RETURN_IF_ERROR(log->Recover());
  if (options.read_only) return log;
  {
    std::lock_guard lock(log->file_mu_);
    const uint64_t next = log->segments_.empty() ? 1 : log->segments_.back().number + 1;
    RETURN_IF_ERROR(log->OpenSegment(next, log->tree_.size()));
    RETURN_IF_ERROR(log->SyncLocked());
  }
  log->thread_ = std::thread([p = log.get()] { p->Run(); });
  return log;
}

Status AuditLog::Recover() {
  ASSIGN_OR_RETURN(std::vector<uint64_t> numbers, ListSegments(options_.dir));
  Hasher& hasher = ThreadHasher();
  for (size_t i = 0; i < numbers.size(); ++i) {
    const bool last = i + 1 == numbers.size();
    const std::string name = SegmentFileName(numbers[i]);
    const std::string path = options_.dir + "/" + name;
    ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
    const std::string_view bytes = file.bytes();
    const uint64_t first = tree_.size();
    auto fn = [&](uint64_t offset, const Record& r) -> Status {
      if (offset == 0) {
        if (r.type != RecordType::kSegmentHeader) return Corruption("missing segment header");
        ASSIGN_OR_RETURN(SegmentHeader h, DecodeSegmentHeader(r.payload));
        if (h.segment != numbers[i]) {
          return Corruption("header names segment " + std::to_string(h.segment));
        }
        if (h.first_index != first) {
          return Corruption("segment starts at entry " + std::to_string(h.first_index) +
                            ", expected " + std::to_string(first) + " (a segment is missing)");
        }
        return Status::OK();
      }
      if (r.type != RecordType::kEntry) {
        return Corruption("unexpected record type " + std::to_string(static_cast<int>(r.type)));
      }
      Status s = CheckEntry(r.payload);
      if (!s.ok()) {
        return Corruption("entry " + std::to_string(tree_.size()) + ": " + s.message());
      }
      tree_.Append(hasher.Leaf(r.payload), hasher);
      offsets_.push_back(offset);
      return Status::OK();
    };
    uint64_t valid = 0;
    RETURN_IF_ERROR(ScanRecords(bytes, "audit " + name, last, fn, &valid));
    ++recovery_.segments;
    if (valid < bytes.size()) {
      recovery_.truncated_bytes = bytes.size() - valid;
      if (!options_.read_only) {
        // Torn tail of the newest segment (a crash during a write): never acknowledged.
        if (valid == 0) {
          if (::unlink(path.c_str()) != 0) return ErrnoStatus("remove", path);
          continue;
        }
        if (::truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
          return ErrnoStatus("truncate", path);
        }
      }
      if (valid == 0) continue;
    }
    segments_.push_back({first, numbers[i]});
  }
  recovery_.entries = tree_.size();
  next_index_ = acked_ = written_ = synced_size_ = tree_.size();
  return Status::OK();
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(file_mu_);
  if (fd_ >= 0) {
    if (dirty_ && options_.fsync != FsyncPolicy::kNever) (void)::fdatasync(fd_);
    ::close(fd_);
  }
}

Status AuditLog::OpenSegment(uint64_t segment, uint64_t first_index) {
  const std::string path = options_.dir + "/" + SegmentFileName(segment);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("create", path);
  std::string header;
  AppendRecord(&header, RecordType::kSegmentHeader, EncodeSegmentHeader({segment, first_index}));
  Status s = WriteAll(fd, header, path);
  if (s.ok() && fd_ >= 0 && dirty_ && ::fdatasync(fd_) != 0) s = ErrnoStatus("fdatasync", path);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoStatus("fdatasync", path);
  if (s.ok()) s = SyncDir(options_.dir);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = segment;
  segment_size_ = header.size();
  dirty_ = false;
  {
    std::unique_lock tree_lock(tree_mu_);
    segments_.push_back({first_index, segment});
    synced_size_ = written_;  // the old segment was synced above
  }
  return Status::OK();
}

Status AuditLog::SyncLocked() {
  if (dirty_) {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", SegmentFileName(segment_));
    dirty_ = false;
    ++fsyncs_;
  }
  last_sync_ns_ = clock_->MonotonicNs();
  std::unique_lock tree_lock(tree_mu_);
  synced_size_ = written_;
  return Status::OK();
}

Result<uint64_t> AuditLog::Submit(const Entry& entry) { return Enqueue(entry, nullptr); }

Result<uint64_t> AuditLog::Submit(const Entry& entry, DoneFn done) { return Enqueue(entry, &done); }

Result<uint64_t> AuditLog::Enqueue(const Entry& entry, DoneFn* done) {
  if (options_.read_only) return FailedPrecondition("audit log opened read-only");
  RETURN_IF_ERROR(Validate(entry));
  thread_local std::string frame;
  FrameEntry(entry, &frame);
  const Hash leaf = ThreadHasher().Leaf(std::string_view(frame).substr(kRecordHeaderBytes));
  std::unique_lock lock(mu_);
  space_cv_.wait(
      lock, [&] { return pending_.size() < options_.max_pending_bytes || stop_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  if (stop_) return Unavailable("audit log closing");
  const uint64_t index = next_index_++;
  pending_.append(frame);
  pending_leaves_.push_back(leaf);
  pending_sizes_.push_back(static_cast<uint32_t>(frame.size()));
  if (done != nullptr && *done) pending_done_.push_back(std::move(*done));
  lock.unlock();
  work_cv_.notify_one();
  return index;
}

Status AuditLog::Wait(uint64_t index) {
  std::unique_lock lock(mu_);
  if (index >= next_index_)
    return InvalidArgument("audit entry " + std::to_string(index) + " was never submitted");
  done_cv_.wait(lock, [&] { return acked_ > index || !error_.ok(); });
  if (acked_ > index) return Status::OK();
  return error_;
}

Result<uint64_t> AuditLog::Append(const Entry& entry) {
  ASSIGN_OR_RETURN(uint64_t index, Submit(entry));
  RETURN_IF_ERROR(Wait(index));
  return index;
}

Status AuditLog::Sync() {
  if (options_.read_only) return Status::OK();
  uint64_t next;
  {
    std::lock_guard lock(mu_);
    next = next_index_;
  }
  if (next > 0) RETURN_IF_ERROR(Wait(next - 1));
  std::lock_guard lock(file_mu_);
  return SyncLocked();
}

AuditLog::TreeHead AuditLog::SyncedHead() const {
  std::shared_lock lock(tree_mu_);
  TreeHead head;
  head.size = synced_size_;
  head.root = *tree_.Root(synced_size_, ThreadHasher());
  return head;
}

uint64_t AuditLog::size() const {
  std::shared_lock lock(tree_mu_);
  return tree_.size();
}

Result<Hash> AuditLog::Root(uint64_t tree_size) const {
  std::shared_lock lock(tree_mu_);
  return tree_.Root(tree_size, ThreadHasher());
}

Result<std::vector<Hash>> AuditLog::InclusionProof(uint64_t index, uint64_t tree_size) const {
  std::shared_lock lock(tree_mu_);
  return tree_.InclusionProof(index, tree_size, ThreadHasher());
}

Result<std::vector<Hash>> AuditLog::ConsistencyProof(uint64_t first, uint64_t second) const {
  std::shared_lock lock(tree_mu_);
  return tree_.ConsistencyProof(first, second, ThreadHasher());
}

Result<Hash> AuditLog::LeafHash(uint64_t index) const {
  std::shared_lock lock(tree_mu_);
  if (index >= tree_.size()) return InvalidArgument("no audit entry " + std::to_string(index));
  return tree_.LeafHash(index);
}

Result<std::vector<std::string>> AuditLog::ReadEncoded(uint64_t first, uint64_t count) const {
  // Runs of entries in one segment: [first entry, end entry) and where its bytes end (0: the
  // end of the file).
  struct Run {
    uint64_t segment, begin, end, end_offset;
  };
  std::vector<Run> runs;
  std::vector<uint64_t> offsets;
  {
    std::shared_lock lock(tree_mu_);
    if (first > tree_.size() || count > tree_.size() - first) {
      return InvalidArgument("audit entries [" + std::to_string(first) + ", +" +
                             std::to_string(count) + ") beyond log size " +
                             std::to_string(tree_.size()));
    }
    offsets.assign(offsets_.begin() + static_cast<ptrdiff_t>(first),
                   offsets_.begin() + static_cast<ptrdiff_t>(first + count));
    auto seg = std::upper_bound(segments_.begin(), segments_.end(), first,
                                [](uint64_t i, const Segment& s) { return i < s.first_index; });
    for (uint64_t i = first; i < first + count;) {
      const uint64_t number = std::prev(seg)->number;
      const uint64_t seg_end = seg == segments_.end() ? tree_.size() : seg->first_index;
      const uint64_t run_end = std::min(first + count, seg_end);
      // A segment opened and closed without entries gives an empty run: nothing to read.
      if (run_end > i)
        runs.push_back({number, i, run_end, run_end < seg_end ? offsets_[run_end] : 0});
      i = run_end;
      if (seg != segments_.end()) ++seg;
    }
  }
  std::vector<std::string> out;
  out.reserve(count);
  std::string buf;
  for (const Run& run : runs) {
    const std::string path = options_.dir + "/" + SegmentFileName(run.segment);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", path);
    const uint64_t begin_offset = offsets[run.begin - first];
    uint64_t end_offset = run.end_offset;
    if (end_offset == 0) {
      const off_t size = ::lseek(fd, 0, SEEK_END);
      end_offset = size > 0 ? static_cast<uint64_t>(size) : 0;
    }
    Status s = end_offset >= begin_offset
                   ? Status::OK()
                   : Corruption(path + ": shorter than the log's index of it");
    if (s.ok()) {
      buf.resize(end_offset - begin_offset);
      s = PreadAll(fd, buf.data(), buf.size(), begin_offset, path);
    }
    ::close(fd);
    RETURN_IF_ERROR(s);
    for (uint64_t i = run.begin; i < run.end; ++i) {
      const uint64_t at = offsets[i - first] - begin_offset;
      Record r;
      std::string why;
      if (at > buf.size() ||
          DecodeRecord(std::string_view(buf).substr(at), &r, &why) != DecodeOutcome::kOk ||
          r.type != RecordType::kEntry) {
        return Corruption(path + " offset " + std::to_string(offsets[i - first]) + ": " +
                          (why.empty() ? "not an entry record" : why));
      }
      out.emplace_back(r.payload);
    }
  }
  return out;
}

Result<std::vector<Entry>> AuditLog::Read(uint64_t first, uint64_t count) const {
  ASSIGN_OR_RETURN(std::vector<std::string> encoded, ReadEncoded(first, count));
  std::vector<Entry> out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    Result<Entry> e = DecodeEntry(encoded[i]);
    if (!e.ok())
      return Corruption("audit entry " + std::to_string(first + i) + ": " + e.status().message());
    out.push_back(std::move(e).value());
  }
  return out;
}

uint64_t AuditLog::fsyncs() const {
  std::lock_guard lock(file_mu_);
  return fsyncs_;
}

void AuditLog::Run() {
  std::string bytes;
  std::vector<Hash> leaves;
  std::vector<uint32_t> sizes;
  std::vector<DoneFn> done;
  const auto interval = std::chrono::milliseconds(options_.fsync_interval_ms);
  for (;;) {
    uint64_t last;
    {
      std::unique_lock lock(mu_);
      if (options_.fsync == FsyncPolicy::kInterval) {
        work_cv_.wait_for(lock, interval, [&] { return stop_ || !pending_.empty(); });
      } else {
        work_cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
      }
      if (pending_.empty() && stop_) return;
      bytes.swap(pending_);
      leaves.swap(pending_leaves_);
      sizes.swap(pending_sizes_);
      done.swap(pending_done_);
      last = next_index_;
    }
    space_cv_.notify_all();
    Status s;
    {
      std::lock_guard lock(file_mu_);
      if (!bytes.empty() && segment_size_ >= options_.segment_bytes) {
        s = OpenSegment(segment_ + 1, written_);
      }
      const uint64_t base = segment_size_;
      if (s.ok() && !bytes.empty()) {
        s = WriteAll(fd_, bytes, SegmentFileName(segment_));
        if (s.ok()) {
          segment_size_ += bytes.size();
          dirty_ = true;
          // Into the tree before acknowledging: an acknowledged entry is in every later root.
          std::unique_lock tree_lock(tree_mu_);
          Hasher& hasher = ThreadHasher();
          uint64_t off = base;
          for (size_t i = 0; i < leaves.size(); ++i) {
            tree_.Append(leaves[i], hasher);
            offsets_.push_back(off);
            off += sizes[i];
          }
          written_ = last;
        }
      }
      if (s.ok() && dirty_) {
        const bool sync_now = options_.fsync == FsyncPolicy::kAlways ||
                              (options_.fsync == FsyncPolicy::kInterval &&
                               clock_->MonotonicNs() - last_sync_ns_ >=
                                   static_cast<int64_t>(options_.fsync_interval_ms) * 1'000'000);
        if (sync_now) s = SyncLocked();
      }
    }
    bytes.clear();
    leaves.clear();
    sizes.clear();
    {
      std::lock_guard lock(mu_);
      if (s.ok()) {
        acked_ = last;
      } else if (error_.ok()) {
        error_ = s;
      }
    }
    done_cv_.notify_all();
    if (!s.ok()) space_cv_.notify_all();
    for (DoneFn& fn : done) fn(s);
    done.clear();
  }
}

}  // namespace verbund::audit
