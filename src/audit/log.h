// AuditLog: the durable, append-only, tamper-evident log of security events. Entries are
// framed records in segment files (audit_format.h); their leaf hashes form the RFC 9162 Merkle
// tree kept in memory (merkle.h), rebuilt from the files at open.
//
// Thread-safety: every method is safe from any thread. Submit order is log order: the index
// Submit returns is the entry's position in the log and the tree.
// Durability: Wait(index) returns OK once the entry is written and, under kAlways, fdatasynced
// (kInterval: written, synced within fsync_interval_ms; kNever: left to the OS). Submissions
// from many threads are written by one writer thread with one write() and share one fdatasync
// (group commit). After an I/O error the log is failed for good: later calls return the error.
// Recovery: a torn tail of the newest segment is cut off (it was never acknowledged); any other
// damage is Corruption naming the file and offset, nothing is skipped.
// Memory: about 72 bytes per entry (leaf hash, interior hashes, file offset).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/entry.h"
#include "audit/hash.h"
#include "audit/merkle.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/status.h"

namespace verbund::audit {

struct AuditLogOptions {
  std::string dir;  // created (mode 0700) if missing
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  uint32_t fsync_interval_ms = 100;
  uint64_t segment_bytes = 64ull << 20;      // start a new segment past this size
  uint64_t max_pending_bytes = 64ull << 20;  // Submit blocks while more is queued
  const Clock* clock = nullptr;              // nullptr: SystemClock::Default()
  // Opens the files without changing them (no truncation, no new segment); Submit fails.
  // For offline export and inspection; never while a hub writes the directory.
  bool read_only = false;
};

class AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> Open(const AuditLogOptions& options);
  ~AuditLog();  // writes and syncs what was submitted, then stops the writer thread
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `entry` and returns its index at once (encoding and leaf hashing happen on the
  // caller's thread). InvalidArgument if the entry breaks a limit, the log's error if failed.
  Result<uint64_t> Submit(const Entry& entry);
  // Like Submit, and calls done(status) once the entry is durable (OK) or the log failed: from
  // the writer thread, in log order, so `done` must be quick and must not call Wait or Sync.
  // `done` is called only if this returns an index. For event loops that must not block.
  using DoneFn = std::function<void(const Status&)>;
  Result<uint64_t> Submit(const Entry& entry, DoneFn done);
  // Blocks until entry `index` is durable under the policy.
  Status Wait(uint64_t index);
  // Submit + Wait: returns only when the entry is acknowledged ("on disk" under kAlways).
  Result<uint64_t> Append(const Entry& entry);

  // Makes everything submitted so far written and fdatasynced, whatever the policy.
  Status Sync();

  struct TreeHead {
    uint64_t size = 0;
    Hash root{};
  };
  // The largest prefix known to be fdatasynced, and its root: what a signed tree head may
  // cover (under kInterval/kNever call Sync() first to include everything).
  TreeHead SyncedHead() const;
  // Entries written (the tree's size; >= SyncedHead().size).
  uint64_t size() const;

  // Roots, proofs and reads over the written prefix; InvalidArgument outside it.
  Result<Hash> Root(uint64_t tree_size) const;
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t first, uint64_t second) const;
  Result<Hash> LeafHash(uint64_t index) const;
  // Canonical entry bytes of [first, first + count) (checksums re-checked: Corruption if the
  // disk changed under the log).
  Result<std::vector<std::string>> ReadEncoded(uint64_t first, uint64_t count) const;
  Result<std::vector<Entry>> Read(uint64_t first, uint64_t count) const;

  const std::string& dir() const { return options_.dir; }
  uint64_t fsyncs() const;
  struct Recovery {
    uint64_t entries = 0;          // entries found at open
    uint64_t segments = 0;         // segment files read
    uint64_t truncated_bytes = 0;  // torn tail cut off (or, read-only, ignored)
  };
  const Recovery& recovery() const { return recovery_; }

 private:
  explicit AuditLog(const AuditLogOptions& options);
  Result<uint64_t> Enqueue(const Entry& entry, DoneFn* done);
  Status Recover();
  Status OpenSegment(uint64_t segment, uint64_t first_index);  // requires file_mu_
  Status SyncLocked();                                         // requires file_mu_
  void Run();

  struct Segment {
    uint64_t first_index;
    uint64_t number;
  };

  const AuditLogOptions options_;
  const Clock* clock_;
  Recovery recovery_;

  mutable std::mutex mu_;  // guards the queue and acknowledgement state
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::condition_variable space_cv_;
  std::string pending_;               // framed records, in index order
  std::vector<Hash> pending_leaves_;  // their leaf hashes
  std::vector<uint32_t> pending_sizes_;
  std::vector<DoneFn> pending_done_;  // callbacks of the queued entries that have one
  uint64_t next_index_ = 0;  // index the next Submit gets
  uint64_t acked_ = 0;       // entries [0, acked_) are durable under the policy
  Status error_;
  bool stop_ = false;

  mutable std::mutex file_mu_;  // guards the file; the writer thread holds it per batch
  int fd_ = -1;
  uint64_t segment_ = 0;
  uint64_t segment_size_ = 0;
  uint64_t written_ = 0;  // entries written to the file
  bool dirty_ = false;
  int64_t last_sync_ns_ = 0;
  uint64_t fsyncs_ = 0;

  mutable std::shared_mutex tree_mu_;  // guards the tree, offsets, segments, synced size
  MerkleTree tree_;
  std::vector<uint64_t> offsets_;  // record offset of each entry in its segment
  std::vector<Segment> segments_;
  uint64_t synced_size_ = 0;

  std::thread thread_;
};

}  // namespace verbund::audit
