// The one write path into storage, shared by MQTT ingest and HTTP /write: batches from many
// producers are merged and staged by a writer thread (so I/O threads never wait on fsync), and
// a completer thread tells each producer when its batch is durable under the WAL policy. The
// writer stages the next batches while the WAL syncs the previous ones (Engine::StageWrite /
// WaitDurable), so one fsync's latency does not stall the write path; acknowledgements keep
// the order of submission.
//
// Back-pressure instead of loss: Submit() (QoS 1/2, HTTP) never blocks the caller (an I/O
// thread); its acknowledgement simply comes later when storage is behind, and the producers'
// own windows bound what is queued (MQTT receive maximum, HTTP connections x body size). Only
// past a hard ceiling (4 x max_pending_points) is a batch refused with ResourceExhausted.
// TrySubmit() (QoS 0) drops and counts once max_pending_points are queued.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/status.h"
#include "storage/engine.h"

namespace verbund::ingest {

struct PipelineOptions {
  uint64_t max_pending_points = 1'000'000;
  size_t max_batch_points = 50'000;  // merged per engine write
};

struct PipelineMetrics {
  std::atomic<uint64_t> points_written{0};
  std::atomic<uint64_t> points_dropped{0};   // QoS 0 over the bound
  std::atomic<uint64_t> points_rejected{0};  // write failed (bad type, locked tenant)
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> pending_points{0};
};

class Pipeline {
 public:
  // `engine` is not owned and must outlive the pipeline.
  Pipeline(storage::Engine* engine, PipelineOptions options);
  ~Pipeline();  // finishes every queued batch, then stops

  // Queues a batch; `done` runs on the completer thread once it is durable (or failed).
  void Submit(storage::WriteBatch batch, std::function<void(Status)> done);
  // Queues without waiting; false (batch dropped and counted) when full.
  bool TrySubmit(storage::WriteBatch batch);
  // Blocks until everything queued so far is written and acknowledged.
  void Drain();

  const PipelineMetrics& metrics() const { return metrics_; }

 private:
  struct Item {
    storage::WriteBatch batch;
    std::function<void(Status)> done;
  };
  // Staged items waiting for the WAL: `status` is each item's staging result; `token` the
  // engine's durability token covering all of them.
  struct Staged {
    std::vector<Item> items;
    std::vector<Status> status;
    uint64_t token = 0;
    size_t points = 0;
  };
  void Run();
  void Complete();

  storage::Engine* engine_;
  PipelineOptions options_;
  PipelineMetrics metrics_;
  std::mutex mu_;
  std::condition_variable work_cv_;   // writer waits for items
  std::condition_variable idle_cv_;   // Drain waits for an empty queue
  std::condition_variable staged_cv_;  // completer waits for staged items
  std::deque<Item> queue_;            // GUARDED_BY(mu_)
  std::deque<Staged> staged_;         // GUARDED_BY(mu_)
  uint64_t queued_points_ = 0;        // GUARDED_BY(mu_): queued, staged or completing
  bool writing_ = false;              // GUARDED_BY(mu_)
  bool completing_ = false;           // GUARDED_BY(mu_)
  bool stop_ = false;                 // GUARDED_BY(mu_)
  bool writer_done_ = false;          // GUARDED_BY(mu_)
  std::thread writer_;
  std::thread completer_;
};

}  // namespace verbund::ingest
