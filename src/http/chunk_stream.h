// A bounded hand-off of response chunks from a producer thread (a query worker) to the
// connection's I/O thread, which writes them with chunked transfer encoding.
//
// Thread-safety: Push/Finish from the producer, Take/SetNotify/Close from the consumer; all
// methods are safe to call concurrently. Push blocks while more than max_pending_bytes are
// queued, so a slow client slows its own query only.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace verbund::http {

class ChunkStream {
 public:
  explicit ChunkStream(size_t max_pending_bytes = 4 << 20) : max_pending_(max_pending_bytes) {}

  // Queues one chunk. False (chunk discarded) once the consumer has closed the stream.
  bool Push(std::string data);
  // Queues one chunk without waiting: kFull (chunk discarded) while more than
  // max_pending_bytes are queued, kClosed once the consumer has closed the stream.
  enum class TryResult { kQueued, kFull, kClosed };
  TryResult TryPush(std::string data);
  // No more chunks will come.
  void Finish();

  // `notify` runs (on the producer's thread) when data or the finish arrives after a Take that
  // found nothing. Set it before the first Take.
  void SetNotify(std::function<void()> notify);
  // Takes everything queued. *finished is true when Finish() was called and nothing remains.
  // When nothing is queued and not finished, arms the notify callback.
  std::vector<std::string> Take(bool* finished);
  // The consumer is gone: wakes and fails pending and future Pushes.
  void Close();
  // Whether Close was called (the producer may drop the stream without pushing).
  bool closed() const;

 private:
  TryResult Add(std::string data, bool wait);

  const size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable space_cv_;
  std::vector<std::string> queue_;  // guarded by mu_
  size_t pending_bytes_ = 0;        // guarded by mu_
  bool finished_ = false;           // guarded by mu_
  bool closed_ = false;             // guarded by mu_
  bool waiting_ = false;            // guarded by mu_
  std::function<void()> notify_;    // guarded by mu_
};

}  // namespace verbund::http
