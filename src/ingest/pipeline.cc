#include "ingest/pipeline.h"

#include <algorithm>
#include <vector>

#include "core/logging.h"

namespace verbund::ingest {

Pipeline::Pipeline(storage::Engine* engine, PipelineOptions options)
    : engine_(engine),
      options_(options),
      writer_([this] { Run(); }),
      completer_([this] { Complete(); }) {}

Pipeline::~Pipeline() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  writer_.join();
  {
    std::lock_guard lock(mu_);
    writer_done_ = true;
  }
  staged_cv_.notify_all();
  completer_.join();
}

void Pipeline::Submit(storage::WriteBatch batch, std::function<void(Status)> done) {
  size_t n = batch.size();
  std::unique_lock lock(mu_);
  if (stop_ || (queued_points_ > 0 && queued_points_ + n > 4 * options_.max_pending_points)) {
    lock.unlock();
    metrics_.points_rejected.fetch_add(n, std::memory_order_relaxed);
    if (done) done(ResourceExhausted("storage is behind: write not accepted, try again"));
    return;
  }
  queued_points_ += n;
  metrics_.pending_points.store(queued_points_, std::memory_order_relaxed);
  queue_.push_back(Item{std::move(batch), std::move(done)});
  lock.unlock();
  work_cv_.notify_one();
}

bool Pipeline::TrySubmit(storage::WriteBatch batch) {
  size_t n = batch.size();
  std::unique_lock lock(mu_);
  if (stop_ || (queued_points_ > 0 && queued_points_ + n > options_.max_pending_points)) {
    lock.unlock();
    metrics_.points_dropped.fetch_add(n, std::memory_order_relaxed);
    return false;
  }
  queued_points_ += n;
  metrics_.pending_points.store(queued_points_, std::memory_order_relaxed);
  queue_.push_back(Item{std::move(batch), nullptr});
  lock.unlock();
  work_cv_.notify_one();
  return true;
}

void Pipeline::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock,
                [&] { return queue_.empty() && !writing_ && staged_.empty() && !completing_; });
}

void Pipeline::Run() {
  std::vector<Item> items;
  while (true) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      // Take as many queued batches as fit one engine write.
      size_t points = 0;
      items.clear();
      while (!queue_.empty() && (items.empty() || points + queue_.front().batch.size() <=
                                                      options_.max_batch_points)) {
        points += queue_.front().batch.size();
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writing_ = true;
    }
    // One batch for all items when none fails; a merged batch that fails validation is staged
    // again item by item so one producer's bad point does not fail the others (StageWrite
    // writes nothing of a batch it refuses).
    Staged st;
    for (const Item& it : items) st.points += it.batch.size();
    st.status.assign(items.size(), Status::OK());
    Result<uint64_t> merged = uint64_t{0};
    if (items.size() == 1) {
      merged = engine_->StageWrite(items[0].batch);
    } else {
      storage::WriteBatch batch;
      batch.Reserve(st.points);
      for (Item& it : items) {
        for (auto& e : it.batch.entries()) {
          if (e.id != 0)
            batch.Add(e.id, e.ts, e.value);
          else
            batch.Add(it.batch.KeyOf(e), e.ts, e.value);
        }
      }
      merged = engine_->StageWrite(batch);
    }
    if (merged.ok()) {
      st.token = *merged;
    } else if (items.size() == 1) {
      st.status[0] = merged.status();
    } else {
      for (size_t i = 0; i < items.size(); ++i) {
        Result<uint64_t> one = engine_->StageWrite(items[i].batch);
        if (one.ok()) {
          st.token = std::max(st.token, *one);
        } else {
          st.status[i] = one.status();
        }
      }
    }
    st.items = std::move(items);
    items = {};
    {
      std::lock_guard lock(mu_);
      staged_.push_back(std::move(st));
      writing_ = false;
    }
    staged_cv_.notify_one();
  }
}

void Pipeline::Complete() {
  auto log = Logger("ingest");
  while (true) {
    Staged st;
    {
      std::unique_lock lock(mu_);
      staged_cv_.wait(lock, [&] { return writer_done_ || !staged_.empty(); });
      if (staged_.empty()) return;  // (writer_done_: nothing more can be staged)
      st = std::move(staged_.front());
      staged_.pop_front();
      completing_ = true;
    }
    const Status durable = engine_->WaitDurable(st.token);
    for (size_t i = 0; i < st.items.size(); ++i) {
      Item& it = st.items[i];
      const Status s = st.status[i].ok() ? durable : st.status[i];
      if (s.ok()) {
        metrics_.points_written.fetch_add(it.batch.size(), std::memory_order_relaxed);
      } else {
        metrics_.points_rejected.fetch_add(it.batch.size(), std::memory_order_relaxed);
        if (!it.done) log->warn("dropped {} points: {}", it.batch.size(), s.ToString());
      }
      if (it.done) it.done(s);
    }
    metrics_.batches.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      queued_points_ -= st.points;
      metrics_.pending_points.store(queued_points_, std::memory_order_relaxed);
      completing_ = false;
      if (queue_.empty() && !writing_ && staged_.empty()) idle_cv_.notify_all();
    }
  }
}

}  // namespace verbund::ingest
