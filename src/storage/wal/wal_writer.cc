#include "storage/wal/wal_writer.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/wal/wal_record.h"

namespace verbund::storage::wal {
namespace {

Status Errno(std::string_view what, const std::string& path) {
  return IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Errno("fsync", dir);
}

}  // namespace

WalWriter::WalWriter(const WalWriterOptions& options) : options_(options) {}

Result<std::unique_ptr<WalWriter>> WalWriter::Open(const WalWriterOptions& options,
                                                   uint64_t first_segment) {
  std::unique_ptr<WalWriter> w(new WalWriter(options));
  {
    std::lock_guard lock(w->file_mu_);
    RETURN_IF_ERROR(w->OpenSegment(first_segment));
    RETURN_IF_ERROR(w->SyncLocked());
    RETURN_IF_ERROR(SyncDir(options.dir));
  }
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

WalWriter::~WalWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(file_mu_);
  if (fd_ >= 0) {
    if (dirty_ && options_.fsync != FsyncPolicy::kNever) (void)::fdatasync(fd_);
    ::close(fd_);
  }
}

Status WalWriter::OpenSegment(uint64_t segment) {
  const std::string path = options_.dir + "/" + SegmentFileName(segment);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", path);
  std::string header;
  AppendRecord(&header, RecordType::kSegmentHeader, EncodeSegmentHeader(segment));
  if (::write(fd, header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
    Status s = Errno("write", path);
    ::close(fd);
    return s;
  }
  if (fd_ >= 0) {
    if (dirty_ && ::fdatasync(fd_) != 0) {
      ::close(fd);
      return Errno("fdatasync", "wal segment");
    }
    ::close(fd_);
  }
  fd_ = fd;
  segment_ = segment;
  segment_size_ = header.size();
  dirty_ = true;
  return Status::OK();
}

Status WalWriter::SyncLocked() {
  if (!dirty_) return Status::OK();
  int64_t start = options_.clock->MonotonicNs();
  if (::fdatasync(fd_) != 0) return Errno("fdatasync", SegmentFileName(segment_));
  dirty_ = false;
  ++fsyncs_;
  last_sync_ns_ = options_.clock->MonotonicNs();
  if (options_.fsync_seconds != nullptr) options_.fsync_seconds->Observe((last_sync_ns_ - start) / 1e9);
  return Status::OK();
}

WalWriter::Ticket WalWriter::Submit(std::string framed) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(framed));
  const Ticket t = next_ticket_++;
  work_cv_.notify_one();
  return t;
}

Status WalWriter::Wait(Ticket ticket) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return written_ >= ticket || !error_.ok(); });
  if (written_ >= ticket) return Status::OK();
  return error_;
}

Status WalWriter::Sync() {
  Ticket t;
  {
    std::lock_guard lock(mu_);
    t = next_ticket_ - 1;
  }
  RETURN_IF_ERROR(Wait(t));
  std::lock_guard lock(file_mu_);
  return SyncLocked();
}

Result<uint64_t> WalWriter::Rotate() {
  // Everything submitted before the rotation goes to the old segment.
  RETURN_IF_ERROR(Sync());
  std::lock_guard lock(file_mu_);
  RETURN_IF_ERROR(OpenSegment(segment_ + 1));
  RETURN_IF_ERROR(SyncLocked());
  RETURN_IF_ERROR(SyncDir(options_.dir));
  return segment_.load();
}

uint64_t WalWriter::current_segment() const { return segment_.load(); }

uint64_t WalWriter::fsyncs() const {
  std::lock_guard lock(file_mu_);
  return fsyncs_;
}

uint64_t WalWriter::bytes_written() const {
  std::lock_guard lock(file_mu_);
  return bytes_;
}

void WalWriter::Run() {
  std::vector<std::string> batch;
  std::vector<iovec> iov;
  for (;;) {
    Ticket last;
    {
      std::unique_lock lock(mu_);
      if (options_.fsync == FsyncPolicy::kInterval) {
        work_cv_.wait_for(lock, std::chrono::milliseconds(options_.fsync_interval_ms),
                          [&] { return stop_ || !queue_.empty(); });
      } else {
        work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      }
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
      last = next_ticket_ - 1;
    }
    Status s;
    {
      std::lock_guard lock(file_mu_);
      if (!batch.empty() && segment_size_ >= options_.segment_bytes) {
        s = OpenSegment(segment_ + 1);
        if (s.ok()) s = SyncDir(options_.dir);
      }
      size_t i = 0;
      while (s.ok() && i < batch.size()) {
        iov.clear();
        size_t total = 0;
        for (size_t j = i; j < batch.size() && iov.size() < 512; ++j) {
          iov.push_back({batch[j].data(), batch[j].size()});
          total += batch[j].size();
        }
        size_t done = 0;
        size_t k = 0;
        while (done < total) {
          ssize_t n = ::writev(fd_, iov.data() + k, static_cast<int>(iov.size() - k));
          if (n < 0) {
            if (errno == EINTR) continue;
            s = Errno("write", SegmentFileName(segment_));
            break;
          }
          done += static_cast<size_t>(n);
          size_t adv = static_cast<size_t>(n);
          while (k < iov.size() && adv >= iov[k].iov_len) adv -= iov[k++].iov_len;
          if (k < iov.size() && adv > 0) {
            iov[k].iov_base = static_cast<char*>(iov[k].iov_base) + adv;
            iov[k].iov_len -= adv;
          }
        }
        segment_size_ += done;
        bytes_ += done;
        dirty_ = dirty_ || done > 0;
        i += iov.size();
      }
      if (s.ok()) {
        const bool sync_now =
            options_.fsync == FsyncPolicy::kAlways ||
            (options_.fsync == FsyncPolicy::kInterval &&
             options_.clock->MonotonicNs() - last_sync_ns_ >=
                 static_cast<int64_t>(options_.fsync_interval_ms) * 1'000'000);
        if (sync_now) s = SyncLocked();
      }
    }
    batch.clear();
    {
      std::lock_guard lock(mu_);
      if (s.ok()) {
        written_ = last;
      } else if (error_.ok()) {
        error_ = s;
      }
    }
    done_cv_.notify_all();
  }
}

}  // namespace verbund::storage::wal
