// WalWriter: appends framed records to the current segment with group commit. Records submitted
// concurrently are written by one writer thread with one write() and share one fdatasync.
//
// Thread-safety: all methods are safe from any thread. Submit() order is log order.
// Durability: Wait(ticket) returns OK once the record is written and, under kAlways, fdatasynced
// (kInterval: synced within fsync_interval_ms; kNever: left to the OS). After an I/O error the
// writer is failed for good: every later Wait() returns that error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/status.h"
#include "storage/wal/wal_format.h"

namespace verbund::storage::wal {

struct WalWriterOptions {
  std::string dir;                     // the wal directory (must exist)
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  uint32_t fsync_interval_ms = 100;
  uint64_t segment_bytes = 64ull << 20;  // rotate when a segment grows past this
  const Clock* clock = nullptr;          // required
  metrics::Histogram* fsync_seconds = nullptr;  // not owned; fdatasync latency, if set
};

class WalWriter {
 public:
  // Starts a new segment numbered `first_segment` (callers pass one past the last existing).
  static Result<std::unique_ptr<WalWriter>> Open(const WalWriterOptions& options,
                                                 uint64_t first_segment);
  ~WalWriter();  // writes and syncs what was submitted, then stops the thread

  using Ticket = uint64_t;
  // Queues a framed record (see AppendRecord); returns its ticket at once.
  Ticket Submit(std::string framed);
  // Blocks until the record is durable under the policy.
  Status Wait(Ticket ticket);

  // Makes every submitted record durable now (fdatasync whatever the policy).
  Status Sync();
  // Closes the current segment and starts the next; returns the new segment's number. Records
  // submitted afterwards land in the new segment or later.
  Result<uint64_t> Rotate();
  // Number of the segment new records go to (a lower bound while a rotation is pending).
  uint64_t current_segment() const;
  uint64_t fsyncs() const;
  uint64_t bytes_written() const;

 private:
  explicit WalWriter(const WalWriterOptions& options);
  Status OpenSegment(uint64_t segment);      // requires file_mu_
  Status SyncLocked();                       // requires file_mu_
  void Run();

  const WalWriterOptions options_;

  mutable std::mutex mu_;                    // guards the queue and ticket state
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<std::string> queue_;
  Ticket next_ticket_ = 1;
  Ticket written_ = 0;                       // all tickets <= written_ are durable
  Status error_;
  bool stop_ = false;
  bool sync_requested_ = false;

  mutable std::mutex file_mu_;               // guards the file, taken by the writer thread
  int fd_ = -1;
  std::atomic<uint64_t> segment_{0};      // written under file_mu_, read without
  uint64_t segment_size_ = 0;
  bool dirty_ = false;                       // written but not synced
  int64_t last_sync_ns_ = 0;
  uint64_t fsyncs_ = 0;
  uint64_t bytes_ = 0;

  std::thread thread_;
};

}  // namespace verbund::storage::wal
