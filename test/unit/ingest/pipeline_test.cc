#include "ingest/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

namespace verbund::ingest {
namespace {

// Records writes; can be made to block or fail.
class RecordingEngine : public storage::Engine {
 public:
  Status Write(const storage::WriteBatch& batch) override {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return !blocked; });
    for (const auto& e : batch.entries()) {
      if (std::holds_alternative<std::string>(e.value) && std::get<std::string>(e.value) == "bad") {
        return InvalidArgument("bad point");
      }
    }
    written += batch.size();
    ++writes;
    return Status::OK();
  }
  std::vector<std::string> Tenants() override { return {}; }
  std::vector<storage::SeriesInfo> FindSeries(std::string_view, std::string_view) override { return {}; }
  Result<storage::SampleRun> Read(storage::SeriesId, TimestampNs, TimestampNs, storage::ScanOrder, size_t) override {
    return Unimplemented("");
  }
  Result<std::optional<storage::Sample>> Latest(storage::SeriesId) override { return Unimplemented(""); }
  Result<std::vector<storage::AggState>> Aggregate(storage::SeriesId, TimestampNs, TimestampNs, int64_t, int64_t) override {
    return Unimplemented("");
  }
  Status DeleteRange(std::string_view, std::span<const storage::SeriesId>, TimestampNs, TimestampNs) override {
    return Status::OK();
  }
  Status SetRetention(std::string_view, std::string_view, int64_t) override { return Status::OK(); }
  Status Flush() override { return Status::OK(); }
  Status Compact() override { return Status::OK(); }
  storage::EngineStats Stats() override { return {}; }

  void Block(bool b) {
    {
      std::lock_guard lock(mu);
      blocked = b;
    }
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool blocked = false;
  size_t written = 0;
  size_t writes = 0;
};

storage::WriteBatch Batch(int n, storage::Value v = 1.0) {
  storage::WriteBatch b;
  for (int i = 0; i < n; ++i) b.Add(storage::SeriesKey{"t", "m", {}, "f"}, i, v);
  return b;
}

TEST(PipelineTest, SubmitAcknowledgesAfterWrite) {
  RecordingEngine engine;
  Pipeline p(&engine, {});
  std::promise<Status> done;
  p.Submit(Batch(3), [&](Status st) { done.set_value(st); });
  EXPECT_TRUE(done.get_future().get().ok());
  std::lock_guard lock(engine.mu);
  EXPECT_EQ(engine.written, 3u);
}

TEST(PipelineTest, OneBadBatchDoesNotFailOthersMergedWithIt) {
  RecordingEngine engine;
  Pipeline p(&engine, {});
  engine.Block(true);
  std::promise<Status> first;
  p.Submit(Batch(1), [&](Status st) { first.set_value(st); });  // taken alone, then blocks
  std::promise<Status> good, bad;
  p.Submit(Batch(2), [&](Status st) { good.set_value(st); });
  p.Submit(Batch(1, std::string("bad")), [&](Status st) { bad.set_value(st); });
  engine.Block(false);
  EXPECT_TRUE(first.get_future().get().ok());
  EXPECT_TRUE(good.get_future().get().ok());
  EXPECT_EQ(bad.get_future().get().code(), StatusCode::kInvalidArgument);
  p.Drain();
  EXPECT_EQ(p.metrics().points_rejected.load(), 1u);
}

TEST(PipelineTest, QosZeroIsDroppedAndCountedWhenFull) {
  RecordingEngine engine;
  PipelineOptions o;
  o.max_pending_points = 10;
  Pipeline p(&engine, o);
  engine.Block(true);
  EXPECT_TRUE(p.TrySubmit(Batch(5)));
  // The writer may have taken the first batch already; fill until refused.
  int accepted = 0;
  while (p.TrySubmit(Batch(5)) && accepted < 10) ++accepted;
  EXPECT_LT(accepted, 10);
  EXPECT_GE(p.metrics().points_dropped.load(), 5u);
  engine.Block(false);
  p.Drain();
}

TEST(PipelineTest, DestructorFinishesQueuedWork) {
  RecordingEngine engine;
  {
    Pipeline p(&engine, {});
    for (int i = 0; i < 10; ++i) p.TrySubmit(Batch(10));
  }
  EXPECT_EQ(engine.written, 100u);
}

// Stages at once; a staged batch becomes durable only when the test says so (or the WAL fails).
class StagedEngine : public RecordingEngine {
 public:
  Result<uint64_t> StageWrite(const storage::WriteBatch& batch) override {
    std::lock_guard lock(mu);
    written += batch.size();
    return ++staged;
  }
  Status WaitDurable(uint64_t token) override {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return durable >= token || !wal_status.ok(); });
    return durable >= token ? Status::OK() : wal_status;
  }
  void MakeDurable(uint64_t upto) {
    {
      std::lock_guard lock(mu);
      durable = upto;
    }
    cv.notify_all();
  }
  void FailWal() {
    {
      std::lock_guard lock(mu);
      wal_status = Internal("disk gone");
    }
    cv.notify_all();
  }
  uint64_t Staged() {
    std::lock_guard lock(mu);
    return staged;
  }
  uint64_t staged = 0;
  uint64_t durable = 0;
  Status wal_status;
};

// The writer stages the next batch while the previous one waits for the WAL, and no batch is
// acknowledged before it is durable.
TEST(PipelineTest, StagesTheNextBatchWhileTheWalSyncs) {
  StagedEngine engine;
  Pipeline p(&engine, {});
  std::promise<Status> first, second;
  auto f1 = first.get_future(), f2 = second.get_future();
  p.Submit(Batch(2), [&](Status st) { first.set_value(st); });
  while (engine.Staged() < 1) std::this_thread::yield();
  p.Submit(Batch(3), [&](Status st) { second.set_value(st); });
  while (engine.Staged() < 2) std::this_thread::yield();  // staged although 1 is not durable
  EXPECT_EQ(f1.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  engine.MakeDurable(1);
  EXPECT_TRUE(f1.get().ok());
  EXPECT_EQ(f2.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  engine.MakeDurable(2);
  EXPECT_TRUE(f2.get().ok());
  p.Drain();
  EXPECT_EQ(p.metrics().points_written.load(), 5u);
}

TEST(PipelineTest, AWalFailureFailsEveryStagedBatch) {
  StagedEngine engine;
  Pipeline p(&engine, {});
  std::promise<Status> first, second;
  p.Submit(Batch(2), [&](Status st) { first.set_value(st); });
  p.Submit(Batch(3), [&](Status st) { second.set_value(st); });
  while (engine.Staged() < 1) std::this_thread::yield();
  engine.FailWal();
  EXPECT_EQ(first.get_future().get().code(), StatusCode::kInternal);
  EXPECT_EQ(second.get_future().get().code(), StatusCode::kInternal);
  p.Drain();
  EXPECT_EQ(p.metrics().points_written.load(), 0u);
  EXPECT_EQ(p.metrics().points_rejected.load(), 5u);
}

}  // namespace
}  // namespace verbund::ingest
