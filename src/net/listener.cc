#include "net/listener.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

#include "core/config.h"
#include "core/logging.h"

namespace verbund::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(std::string name, TransportKind kind, IoPool* pool, asio::ssl::context* tls,
                   ConnectionLimit* limit, OnAccept on_accept)
    : name_(std::move(name)),
      kind_(kind),
      pool_(pool),
      tls_(tls),
      limit_(limit),
      on_accept_(std::move(on_accept)),
      acceptor_(pool->context(0)),
      backoff_(pool->context(0)) {}

Listener::~Listener() {
  Stop();
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

Result<std::unique_ptr<Listener>> Listener::Create(std::string name, const std::string& address,
                                                   TransportKind kind, IoPool* pool,
                                                   asio::ssl::context* tls, ConnectionLimit* limit,
                                                   OnAccept on_accept) {
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(address));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hp.host, ec);
  if (ec) return InvalidArgument(name + ": bad address '" + hp.host + "'");
  std::unique_ptr<Listener> l(
      new Listener(std::move(name), kind, pool, tls, limit, std::move(on_accept)));
  tcp::endpoint ep(addr, hp.port);
  l->acceptor_.open(ep.protocol(), ec);
  if (!ec) l->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) l->acceptor_.bind(ep, ec);
  if (!ec) l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return IOError(l->name_ + ": cannot listen on " + address + ": " + ec.message());
  l->port_ = l->acceptor_.local_endpoint().port();
  l->OpenReserveFd();
  return l;
}

void Listener::OpenReserveFd() {
  if (reserve_fd_ < 0) reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Listener::Start() {
  asio::post(acceptor_.get_executor(), [this] { Accept(); });
}

void Listener::Stop() {
  if (stopped_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
  });
}

void Listener::Accept() {
  if (stopped_) return;
  asio::io_context& target = pool_->Next();
  acceptor_.async_accept(target, [this, &target](const boost::system::error_code& ec,
                                                 tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      if (ec == asio::error::no_descriptors || ec.value() == EMFILE || ec.value() == ENFILE) {
        // Out of descriptors: free the reserve, accept the waiting client and close it, so it is
        // refused promptly instead of waiting in the backlog; then pause briefly.
        if (reserve_fd_ >= 0) {
          ::close(reserve_fd_);
          reserve_fd_ = -1;
          int fd = ::accept(acceptor_.native_handle(), nullptr, nullptr);
          if (fd >= 0) ::close(fd);
          OpenReserveFd();
        }
        Logger("net")->warn("{}: out of file descriptors; refusing connections", name_);
      } else {
        Logger("net")->warn("{}: accept failed: {}", name_, ec.message());
      }
      backoff_.expires_after(std::chrono::milliseconds(50));
      backoff_.async_wait([this](const boost::system::error_code& e) {
        if (!e) Accept();
      });
      return;
    }
    if (!limit_->TryAcquire()) {
      static std::atomic<uint64_t> refused{0};
      if (refused.fetch_add(1) % 1000 == 0) {
        Logger("net")->warn("{}: connection limit {} reached; refusing {}", name_, limit_->max(),
                            "new connections");
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      Accept();
      return;
    }
    ConnectionLease lease(limit_);
    auto transport = MakeTransport(kind_, std::move(socket), tls_);
    asio::post(target, [this, t = std::move(transport), l = std::move(lease)]() mutable {
      on_accept_(std::move(t), std::move(l));
    });
    Accept();
  });
}

uint64_t RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

}  // namespace verbund::net
