#include "ingest/pipeline.h"

#include "core/logging.h"

namespace verbund::ingest {

Pipeline::Pipeline(storage::Engine* engine, PipelineOptions options)
    : engine_(engine), options_(options), writer_([this] { Run(); }) {}

Pipeline::~Pipeline() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  writer_.join();
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
  idle_cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

void Pipeline::Run() {
  auto log = Logger("ingest");
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
    // One batch for all items when none fails; a failing merged write is retried item by item
    // so one producer's bad point does not fail the others.
    size_t total = 0;
    for (const Item& it : items) total += it.batch.size();
    Status merged_status;
    if (items.size() == 1) {
      merged_status = engine_->Write(items[0].batch);
    } else {
      storage::WriteBatch merged;
      merged.Reserve(total);
      for (Item& it : items) {
        for (auto& e : it.batch.entries()) {
          if (e.id != 0) merged.Add(e.id, e.ts, e.value);
          else
            merged.Add(it.batch.KeyOf(e), e.ts, e.value);
        }
      }
      merged_status = engine_->Write(merged);
    }
    for (Item& it : items) {
      Status st = merged_status;
      if (!merged_status.ok() && items.size() > 1) st = engine_->Write(it.batch);
      if (st.ok()) {
        metrics_.points_written.fetch_add(it.batch.size(), std::memory_order_relaxed);
      } else {
        metrics_.points_rejected.fetch_add(it.batch.size(), std::memory_order_relaxed);
        if (!it.done) log->warn("dropped {} points: {}", it.batch.size(), st.ToString());
      }
      if (it.done) it.done(st);
    }
    metrics_.batches.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      queued_points_ -= total;
      metrics_.pending_points.store(queued_points_, std::memory_order_relaxed);
      writing_ = false;
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }
}

}  // namespace verbund::ingest
