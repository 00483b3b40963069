#include "net/io_pool.h"

namespace verbund::net {
namespace {
thread_local int t_index = -1;
}

IoPool::IoPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() { Stop(); }

void IoPool::Start() {
  if (started_) return;
  started_ = true;
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      t_index = static_cast<int>(i);
      contexts_[i]->run();
    });
  }
}

void IoPool::Stop() {
  for (auto& g : guards_) g.reset();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

boost::asio::io_context& IoPool::Next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

int IoPool::CurrentIndex() { return t_index; }

}  // namespace verbund::net
