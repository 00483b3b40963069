#include "net/fd_reactor.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace verbund::net {
namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

struct Recorder : FdWatcher {
  std::vector<uint32_t> events;
  std::function<void()> on_event;
  void OnEvents(uint32_t e) override {
    events.push_back(e);
    if (on_event) on_event();
  }
};

TEST(FdReactorTest, ReportsReadabilityOncePerEdge) {
  boost::asio::io_context ctx;
  FdReactor& reactor = FdReactor::For(ctx);
  EXPECT_EQ(&reactor, &FdReactor::For(ctx));
  Pair p;
  Recorder r;
  ASSERT_FALSE(reactor.Add(p.a, &r));
  EXPECT_EQ(reactor.watched(), 1u);
  ctx.poll();
  ASSERT_EQ(r.events.size(), 1u);  // the initial edge: writable
  EXPECT_TRUE(r.events[0] & EPOLLOUT);
  EXPECT_FALSE(r.events[0] & EPOLLIN);

  ctx.poll();
  EXPECT_EQ(r.events.size(), 1u);  // edge-triggered: nothing new, nothing reported

  ASSERT_EQ(::write(p.b, "x", 1), 1);
  ctx.restart();
  ctx.run_for(std::chrono::milliseconds(200));
  ASSERT_GE(r.events.size(), 2u);
  EXPECT_TRUE(r.events.back() & EPOLLIN);

  reactor.Remove(p.a, &r);
  EXPECT_EQ(reactor.watched(), 0u);
  size_t seen = r.events.size();
  ASSERT_EQ(::write(p.b, "y", 1), 1);
  ctx.restart();
  ctx.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(r.events.size(), seen);
}

TEST(FdReactorTest, PeerCloseIsReported) {
  boost::asio::io_context ctx;
  FdReactor& reactor = FdReactor::For(ctx);
  Pair p;
  Recorder r;
  ASSERT_FALSE(reactor.Add(p.a, &r));
  ctx.poll();
  ::close(p.b);
  p.b = -1;
  ctx.restart();
  ctx.run_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(r.events.empty());
  EXPECT_TRUE(r.events.back() & (EPOLLRDHUP | EPOLLHUP));
  reactor.Remove(p.a, &r);
}

// A watcher removed while the batch holding its event is delivered is not called: its owner may
// already have destroyed it.
TEST(FdReactorTest, RemovedDuringBatchIsNotCalled) {
  boost::asio::io_context ctx;
  FdReactor& reactor = FdReactor::For(ctx);
  Pair p1, p2;
  Recorder r1, r2;
  ASSERT_FALSE(reactor.Add(p1.a, &r1));
  ASSERT_FALSE(reactor.Add(p2.a, &r2));
  ctx.poll();  // initial writable edges
  r1.events.clear();
  r2.events.clear();
  bool removed = false;
  auto remove_other = [&](Recorder& self, int other_fd, Recorder* other) {
    self.on_event = [&, other_fd, other] {
      if (removed) return;
      removed = true;
      reactor.Remove(other_fd, other);
    };
  };
  remove_other(r1, p2.a, &r2);
  remove_other(r2, p1.a, &r1);
  ASSERT_EQ(::write(p1.b, "x", 1), 1);
  ASSERT_EQ(::write(p2.b, "x", 1), 1);
  ctx.restart();
  ctx.run_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(removed);
  EXPECT_EQ(r1.events.size() + r2.events.size(), 1u);  // whichever came first removed the other
}

TEST(FdReactorTest, AddFailsCleanlyOnBadDescriptor) {
  boost::asio::io_context ctx;
  Recorder r;
  EXPECT_TRUE(FdReactor::For(ctx).Add(-1, &r));
  EXPECT_EQ(FdReactor::For(ctx).watched(), 0u);
}

}  // namespace
}  // namespace verbund::net
