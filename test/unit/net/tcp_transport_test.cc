// The plain TCP transport (FdReactor based) against a real loopback socket.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "net/fd_reactor.h"
#include "net/transports.h"

namespace verbund::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(ctx_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    tcp::socket server(ctx_);
    acceptor.accept(server);
    transport_ = MakeTransport(TransportKind::kTcp, std::move(server), nullptr);
    bool done = false;
    transport_->AsyncHandshake([&](const error_code& ec) {
      EXPECT_FALSE(ec);
      done = true;
    });
    EXPECT_FALSE(done);  // never completes inside the call
    Run([&] { return done; });
  }

  template <typename Pred>
  void Run(Pred done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      ctx_.restart();
      ctx_.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(done());
  }

  asio::io_context ctx_;
  tcp::socket client_{ctx_};
  std::unique_ptr<Transport> transport_;
};

TEST_F(TcpTransportTest, DescribesItself) {
  EXPECT_STREQ(transport_->kind(), "tcp");
  EXPECT_EQ(transport_->peer().rfind("127.0.0.1:", 0), 0u);
  EXPECT_TRUE(transport_->peer_names().empty());
  EXPECT_TRUE(transport_->SupportsReadiness());
  EXPECT_EQ(&transport_->context(), &ctx_);
}

TEST_F(TcpTransportTest, WaitsForReadabilityThenReadsWithoutBlocking) {
  char buf[64];
  error_code ec;
  // Nothing sent yet: a non-blocking read says so.
  EXPECT_EQ(transport_->ReadAvailable(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block);

  bool ready = false;
  transport_->AsyncWaitReadable([&](const error_code& e, size_t) {
    EXPECT_FALSE(e);
    ready = true;
  });
  ctx_.poll();
  EXPECT_FALSE(ready);
  asio::write(client_, asio::buffer("hello", 5));
  Run([&] { return ready; });
  EXPECT_EQ(transport_->ReadAvailable(buf, sizeof buf, ec), 5u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(transport_->ReadAvailable(buf, sizeof buf, ec), 0u);
  EXPECT_EQ(ec, asio::error::would_block);
}

TEST_F(TcpTransportTest, ReadSomeCompletesWhenDataArrivesAndReportsEof) {
  char buf[64];
  size_t got = 0;
  bool done = false;
  transport_->AsyncReadSome(buf, sizeof buf, [&](const error_code& e, size_t n) {
    EXPECT_FALSE(e);
    got = n;
    done = true;
  });
  asio::write(client_, asio::buffer("abc", 3));
  Run([&] { return done; });
  EXPECT_EQ(std::string(buf, got), "abc");

  client_.close();
  error_code result;
  done = false;
  transport_->AsyncReadSome(buf, sizeof buf, [&](const error_code& e, size_t) {
    result = e;
    done = true;
  });
  Run([&] { return done; });
  EXPECT_EQ(result, asio::error::eof);
}

// A write larger than the socket buffers waits for the peer and completes with every byte.
TEST_F(TcpTransportTest, LargeWriteCompletesAfterThePeerReads) {
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  size_t written = 0;
  bool done = false;
  transport_->AsyncWrite(data.data(), data.size(), [&](const error_code& e, size_t n) {
    EXPECT_FALSE(e);
    written = n;
    done = true;
  });
  ctx_.poll();
  EXPECT_FALSE(done);  // the kernel cannot take 8 MiB at once
  std::string received(data.size(), '\0');
  size_t have = 0;
  while (have < received.size()) {
    error_code e;
    size_t n = client_.read_some(asio::buffer(received.data() + have, received.size() - have), e);
    ASSERT_FALSE(e);
    have += n;
    ctx_.restart();
    ctx_.poll();
  }
  Run([&] { return done; });
  EXPECT_EQ(written, data.size());
  EXPECT_TRUE(received == data);
}

TEST_F(TcpTransportTest, CloseAbortsPendingOperations) {
  char buf[8];
  error_code ec;
  transport_->ReadAvailable(buf, sizeof buf, ec);  // nothing there: the wait below stays pending
  ASSERT_EQ(ec, asio::error::would_block);
  error_code wait_ec;
  bool done = false;
  transport_->AsyncWaitReadable([&](const error_code& e, size_t) {
    wait_ec = e;
    done = true;
  });
  ctx_.poll();
  transport_->Close();
  EXPECT_FALSE(done);
  Run([&] { return done; });
  EXPECT_EQ(wait_ec, asio::error::operation_aborted);
  EXPECT_EQ(FdReactor::For(ctx_).watched(), 0u);

  // Operations after Close fail at once, and the peer sees the connection end.
  done = false;
  transport_->AsyncWrite("x", 1, [&](const error_code& e, size_t) {
    EXPECT_EQ(e, asio::error::operation_aborted);
    done = true;
  });
  Run([&] { return done; });
  char c;
  error_code e;
  client_.read_some(asio::buffer(&c, 1), e);
  EXPECT_EQ(e, asio::error::eof);
}

}  // namespace
}  // namespace verbund::net
