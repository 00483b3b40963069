#include "net/fd_reactor.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>

namespace verbund::net {

boost::asio::execution_context::id FdReactor::id;

FdReactor::FdReactor(boost::asio::io_context& ctx) : service(ctx), epoll_(ctx) {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd >= 0) epoll_.assign(fd);  // on failure Add reports it
}

FdReactor::~FdReactor() = default;

FdReactor& FdReactor::For(boost::asio::io_context& ctx) {
  return boost::asio::use_service<FdReactor>(ctx);
}

boost::system::error_code FdReactor::Add(int fd, FdWatcher* watcher) {
  if (!epoll_.is_open() || stopped_) {
    return boost::system::error_code(EBADF, boost::system::system_category());
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = watcher;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return boost::system::error_code(errno, boost::system::system_category());
  }
  ++watched_;
  Arm();
  return {};
}

void FdReactor::Remove(int fd, FdWatcher* watcher) {
  if (epoll_.is_open()) ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
  if (watched_ > 0) --watched_;
  for (int i = 0; i < batch_size_; ++i) {
    if (events_[i].data.ptr == watcher) events_[i].data.ptr = nullptr;
  }
}

void FdReactor::shutdown() {
  stopped_ = true;
  boost::system::error_code ignored;
  epoll_.close(ignored);
}

// asio watches the epoll descriptor edge-triggered: an edge that comes while no wait is pending
// is not remembered. So the wait is re-armed before the set is drained; anything that becomes
// ready after the drain raises a new edge on an armed wait.
void FdReactor::Arm() {
  if (armed_ || stopped_) return;
  armed_ = true;
  epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this](const boost::system::error_code& ec) {
                      armed_ = false;
                      if (ec || stopped_) return;
                      Arm();
                      Dispatch();
                    });
}

void FdReactor::Dispatch() {
  int n;
  do {
    n = ::epoll_wait(epoll_.native_handle(), events_, kBatch, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return;
  batch_size_ = n;
  for (int i = 0; i < n; ++i) {
    auto* w = static_cast<FdWatcher*>(events_[i].data.ptr);
    if (w == nullptr) continue;  // removed while this batch was delivered
    events_[i].data.ptr = nullptr;
    w->OnEvents(events_[i].events);
  }
  batch_size_ = 0;
  // A full batch may leave more ready: continue after the handlers already queued, so one busy
  // reactor does not starve them.
  if (n == kBatch) {
    boost::asio::post(static_cast<boost::asio::io_context&>(context()), [this] {
      if (!stopped_) Dispatch();
    });
  }
}

}  // namespace verbund::net
