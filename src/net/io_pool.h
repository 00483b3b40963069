// A pool of I/O threads, each running its own io_context. A connection is owned by exactly one
// context for its whole life (no locks on its state); work for another connection is posted to
// that connection's context.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace verbund::net {

class IoPool {
 public:
  // threads = 0: one per core.
  explicit IoPool(size_t threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  void Start();
  // Stops every context and joins the threads. Idempotent.
  void Stop();

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(size_t i) { return *contexts_[i]; }
  // Round-robin choice for a new connection.
  boost::asio::io_context& Next();
  // Index of the pool thread calling, or -1 off the pool.
  static int CurrentIndex();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
  bool started_ = false;
};

}  // namespace verbund::net
