#include "http/chunk_stream.h"

namespace verbund::http {

bool ChunkStream::Push(std::string data) {
  return Add(std::move(data), true) == TryResult::kQueued;
}

ChunkStream::TryResult ChunkStream::TryPush(std::string data) {
  return Add(std::move(data), false);
}

ChunkStream::TryResult ChunkStream::Add(std::string data, bool wait) {
  std::function<void()> wake;
  {
    std::unique_lock lock(mu_);
    if (wait) space_cv_.wait(lock, [&] { return closed_ || pending_bytes_ < max_pending_; });
    if (closed_) return TryResult::kClosed;
    if (pending_bytes_ >= max_pending_) return TryResult::kFull;
    pending_bytes_ += data.size();
    queue_.push_back(std::move(data));
    if (waiting_) {
      waiting_ = false;
      wake = notify_;
    }
  }
  if (wake) wake();
  return TryResult::kQueued;
}

void ChunkStream::Finish() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    if (waiting_) {
      waiting_ = false;
      wake = notify_;
    }
  }
  if (wake) wake();
}

void ChunkStream::SetNotify(std::function<void()> notify) {
  std::lock_guard lock(mu_);
  notify_ = std::move(notify);
}

std::vector<std::string> ChunkStream::Take(bool* finished) {
  std::vector<std::string> out;
  {
    std::lock_guard lock(mu_);
    out.swap(queue_);
    pending_bytes_ = 0;
    *finished = finished_ && out.empty();
    if (out.empty() && !finished_) waiting_ = true;
  }
  space_cv_.notify_all();
  return out;
}

void ChunkStream::Close() {
  std::function<void()> notify;  // destroyed outside the lock: it may own the consumer
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
    pending_bytes_ = 0;
    notify.swap(notify_);
  }
  space_cv_.notify_all();
}

bool ChunkStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace verbund::http
