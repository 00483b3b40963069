// A per-io_context epoll set for plain TCP connections.
//
// Why not asio's own sockets for these: asio keeps reactor state for every socket (~170 bytes)
// and a heap operation for every pending wait (~200 bytes), so an idle MQTT connection that only
// waits for its next packet would spend more on asio than on everything else it holds. Here an
// idle socket costs only its kernel epoll entry. The epoll descriptor itself is waited on through
// asio, so watchers run on their connection's I/O thread like every other handler, and TLS and
// WebSocket connections keep using asio streams.
//
// Thread-safety: a reactor belongs to one io_context; Add, Remove and every OnEvents call happen
// on that context's thread.
#pragma once

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>

namespace verbund::net {

class FdWatcher {
 public:
  // `events` is the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  virtual void OnEvents(uint32_t events) = 0;

 protected:
  ~FdWatcher() = default;
};

class FdReactor final : public boost::asio::execution_context::service {
 public:
  using key_type = FdReactor;
  static boost::asio::execution_context::id id;

  explicit FdReactor(boost::asio::io_context& ctx);
  ~FdReactor() override;

  // The reactor of `ctx`, made on first use.
  static FdReactor& For(boost::asio::io_context& ctx);

  // Watches `fd` edge-triggered for reading and writing; the watcher is told every change.
  boost::system::error_code Add(int fd, FdWatcher* watcher);
  // Stops watching `fd` (call before closing it) and drops events for `watcher` not yet
  // delivered, so a watcher may be destroyed as soon as this returns.
  void Remove(int fd, FdWatcher* watcher);

  size_t watched() const { return watched_; }

 private:
  void shutdown() override;
  void Arm();
  void Dispatch();

  static constexpr int kBatch = 256;

  boost::asio::posix::stream_descriptor epoll_;
  epoll_event events_[kBatch];
  int batch_size_ = 0;  // events_[0, batch_size_) are being delivered
  bool armed_ = false;
  bool stopped_ = false;
  size_t watched_ = 0;
};

}  // namespace verbund::net
