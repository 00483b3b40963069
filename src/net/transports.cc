#include "net/transports.h"

#include <fcntl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstring>
#include <utility>

#include "net/fd_reactor.h"

namespace verbund::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string PeerOf(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// The verified client certificate's names: the subject CN first, then its subjectAltName DNS,
// e-mail and URI entries in certificate order; empty without a verified certificate. Names with
// NUL bytes (a classic way to smuggle "a.example\0.evil") are skipped.
std::vector<std::string> NamesOf(SSL* ssl) {
  std::vector<std::string> names;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return names;
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    X509_free(cert);
    return names;
  }
  char buf[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  if (n > 0 && std::memchr(buf, '\0', static_cast<size_t>(n)) == nullptr) {
    names.emplace_back(buf, static_cast<size_t>(n));
  }
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type != GEN_DNS && g->type != GEN_EMAIL && g->type != GEN_URI) continue;
    const ASN1_IA5STRING* v = g->d.ia5;
    std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                     static_cast<size_t>(ASN1_STRING_length(v)));
    if (!name.empty() && name.find('\0') == std::string::npos) names.push_back(std::move(name));
  }
  GENERAL_NAMES_free(sans);
  X509_free(cert);
  return names;
}

// Plain TCP on the I/O thread's FdReactor instead of an asio socket (see fd_reactor.h for why):
// between packets a connection holds its descriptor and two empty handler slots. Operations
// complete like asio's: never inside the call that starts them.
class TcpTransport final : public Transport, private FdWatcher {
 public:
  explicit TcpTransport(tcp::socket s)
      : ctx_(static_cast<asio::io_context&>(s.get_executor().context())) {
    boost::system::error_code ec;
    s.set_option(tcp::no_delay(true), ec);
    fd_ = s.release(ec);
    if (ec) fd_ = -1;
    if (fd_ >= 0) ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~TcpTransport() override { Close(); }

  void AsyncHandshake(std::function<void(const boost::system::error_code&)> done) override {
    boost::system::error_code ec = Register();
    asio::post(ctx_, [done = std::move(done), ec] { done(ec); });
  }
  bool SupportsReadiness() const override { return true; }
  void AsyncWaitReadable(IoHandler done) override { StartRead(nullptr, 0, std::move(done)); }
  size_t ReadAvailable(char* data, size_t size, boost::system::error_code& ec) override {
    return Recv(data, size, ec);
  }
  void AsyncReadSome(char* data, size_t size, IoHandler h) override {
    StartRead(data, size, std::move(h));
  }
  void AsyncWrite(const char* data, size_t size, IoHandler h) override {
    wdata_ = data;
    wleft_ = size;
    wdone_ = 0;
    if (fd_ < 0) return Complete(std::move(h), asio::error::operation_aborted, 0);
    if (boost::system::error_code ec = Register()) return Complete(std::move(h), ec, 0);
    boost::system::error_code ec;
    if (!writable_ || !Send(ec)) {
      write_handler_ = std::move(h);  // the rest goes when the socket is writable again
      return;
    }
    Complete(std::move(h), ec, wdone_);
  }
  void Close() override {
    if (fd_ < 0) return;
    if (registered_) FdReactor::For(ctx_).Remove(fd_, this);
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
    if (read_handler_) {
      Complete(std::exchange(read_handler_, nullptr), asio::error::operation_aborted, 0);
    }
    if (write_handler_) {
      Complete(std::exchange(write_handler_, nullptr), asio::error::operation_aborted, wdone_);
    }
  }
  asio::io_context& context() override { return ctx_; }
  // Asked of the kernel: it is needed for logs and authentication, not worth 28 bytes per
  // connection.
  std::string peer() const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return "closed";
    }
    tcp::endpoint ep;
    ep.resize(len);
    std::memcpy(ep.data(), &addr, len);
    return ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  std::vector<std::string> peer_names() const override { return {}; }
  const char* kind() const override { return "tcp"; }

 private:
  boost::system::error_code Register() {
    if (registered_ || fd_ < 0) return {};
    boost::system::error_code ec = FdReactor::For(ctx_).Add(fd_, this);
    if (!ec) registered_ = true;
    return ec;
  }

  // size 0: wait for readability only.
  void StartRead(char* data, size_t size, IoHandler h) {
    if (fd_ < 0) return Complete(std::move(h), asio::error::operation_aborted, 0);
    if (boost::system::error_code ec = Register()) return Complete(std::move(h), ec, 0);
    rdata_ = data;
    rsize_ = size;
    if (!readable_) {
      read_handler_ = std::move(h);
      return;
    }
    if (size == 0) return Complete(std::move(h), {}, 0);
    boost::system::error_code ec;
    size_t n = Recv(data, size, ec);
    if (ec == asio::error::would_block) {
      read_handler_ = std::move(h);
      return;
    }
    Complete(std::move(h), ec, n);
  }

  void Complete(IoHandler h, boost::system::error_code ec, size_t n) {
    asio::post(ctx_, [h = std::move(h), ec, n] { h(ec, n); });
  }

  size_t Recv(char* data, size_t size, boost::system::error_code& ec) {
    ec = {};
    if (fd_ < 0) {
      ec = asio::error::bad_descriptor;
      return 0;
    }
    for (;;) {
      ssize_t n = ::recv(fd_, data, size, 0);
      if (n > 0) {
        // A short read took everything there was; the next arrival raises a new edge.
        if (static_cast<size_t>(n) < size) readable_ = false;
        return static_cast<size_t>(n);
      }
      if (n == 0) {
        ec = asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        readable_ = false;
        ec = asio::error::would_block;
      } else {
        ec = boost::system::error_code(errno, boost::system::system_category());
      }
      return 0;
    }
  }

  // Sends what it can of the pending write; true when it is finished (all sent, or `ec`).
  bool Send(boost::system::error_code& ec) {
    while (wleft_ > 0) {
      ssize_t n = ::send(fd_, wdata_ + wdone_, wleft_, MSG_NOSIGNAL);
      if (n >= 0) {
        wdone_ += static_cast<size_t>(n);
        wleft_ -= static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        writable_ = false;
        return false;
      }
      ec = boost::system::error_code(errno, boost::system::system_category());
      return true;
    }
    return true;
  }

  // Completes what became possible. Handlers run here, from the reactor, like asio's own
  // completions (no extra queueing), after the state is settled: one may close or even destroy
  // this transport, so nothing touches a member after them.
  void OnEvents(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable_ = true;
    IoHandler write_done, read_done;
    boost::system::error_code wec, rec;
    size_t wn = 0, rn = 0;
    if (writable_ && write_handler_ && Send(wec)) {
      write_done = std::exchange(write_handler_, nullptr);
      wn = wdone_;
    }
    if (readable_ && read_handler_) {
      if (rsize_ > 0) rn = Recv(rdata_, rsize_, rec);
      if (rec != asio::error::would_block) read_done = std::exchange(read_handler_, nullptr);
    }
    if (write_done) write_done(wec, wn);
    if (read_done) read_done(rec, rn);
  }

  // Ordered to pack: an idle connection holds this.
  asio::io_context& ctx_;
  IoHandler read_handler_;
  IoHandler write_handler_;
  char* rdata_ = nullptr;
  const char* wdata_ = nullptr;
  size_t wleft_ = 0;
  size_t wdone_ = 0;
  size_t rsize_ = 0;
  int fd_ = -1;
  bool registered_ = false;
  bool readable_ = true;  // edge-triggered: assume data until a read says otherwise
  bool writable_ = true;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(tcp::socket s, asio::ssl::context& ctx)
      : peer_(PeerOf(s)), stream_(std::move(s), ctx) {
    stream_.lowest_layer().set_option(tcp::no_delay(true));
  }
  void AsyncHandshake(std::function<void(const boost::system::error_code&)> done) override {
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [this, done = std::move(done)](const boost::system::error_code& ec) {
                              if (!ec) names_ = NamesOf(stream_.native_handle());
                              done(ec);
                            });
  }
  void AsyncReadSome(char* data, size_t size, IoHandler h) override {
    stream_.async_read_some(asio::buffer(data, size), std::move(h));
  }
  void AsyncWrite(const char* data, size_t size, IoHandler h) override {
    asio::async_write(stream_, asio::buffer(data, size), std::move(h));
  }
  void Close() override {
    boost::system::error_code ec;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.lowest_layer().close(ec);
  }
  asio::io_context& context() override {
    return static_cast<asio::io_context&>(stream_.get_executor().context());
  }
  std::string peer() const override { return peer_; }
  std::vector<std::string> peer_names() const override { return names_; }
  const char* kind() const override { return "tls"; }

 private:
  std::string peer_;
  asio::ssl::stream<tcp::socket> stream_;
  std::vector<std::string> names_;
};

// MQTT over WebSocket (MQTT 5.0 spec 6): binary frames, path /mqtt, subprotocol "mqtt".
template <typename NextLayer>
class WsTransport final : public Transport {
 public:
  template <typename... Args>
  WsTransport(std::string peer, bool tls, Args&&... args)
      : peer_(std::move(peer)), tls_(tls), ws_(std::forward<Args>(args)...) {}

  void AsyncHandshake(std::function<void(const boost::system::error_code&)> done) override {
    if constexpr (std::is_same_v<NextLayer, asio::ssl::stream<tcp::socket>>) {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::server,
          [this, done = std::move(done)](const boost::system::error_code& ec) mutable {
            if (ec) return done(ec);
            names_ = NamesOf(ws_.next_layer().native_handle());
            ReadUpgrade(std::move(done));
          });
    } else {
      ReadUpgrade(std::move(done));
    }
  }
  void AsyncReadSome(char* data, size_t size, IoHandler h) override {
    ws_.async_read_some(asio::buffer(data, size), std::move(h));
  }
  void AsyncWrite(const char* data, size_t size, IoHandler h) override {
    ws_.async_write(asio::buffer(data, size), std::move(h));
  }
  void Close() override {
    boost::system::error_code ec;
    auto& sock = beast::get_lowest_layer(ws_);
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }
  asio::io_context& context() override {
    return static_cast<asio::io_context&>(ws_.get_executor().context());
  }
  std::string peer() const override { return peer_; }
  std::vector<std::string> peer_names() const override { return names_; }
  const char* kind() const override { return tls_ ? "wss" : "ws"; }

 private:
  void ReadUpgrade(std::function<void(const boost::system::error_code&)> done) {
    beast::http::async_read(
        ws_.next_layer(), buffer_, request_,
        [this, done = std::move(done)](const boost::system::error_code& ec, size_t) mutable {
          if (ec) return done(ec);
          std::string_view target(request_.target().data(), request_.target().size());
          if (!beast::websocket::is_upgrade(request_) ||
              (target != "/mqtt" && target.substr(0, 6) != "/mqtt?")) {
            return done(beast::websocket::error::no_connection_upgrade);
          }
          ws_.binary(true);
          ws_.set_option(beast::websocket::stream_base::decorator(
              [](beast::websocket::response_type& res) {
                res.set(beast::http::field::sec_websocket_protocol, "mqtt");
                res.set(beast::http::field::server, "verbund");
              }));
          ws_.async_accept(request_, [this, done = std::move(done)](
                                         const boost::system::error_code& ec) {
            request_ = {};
            done(ec);
          });
        });
  }

  std::string peer_;
  bool tls_;
  beast::websocket::stream<NextLayer> ws_;
  beast::flat_buffer buffer_;
  beast::http::request<beast::http::string_body> request_;
  std::vector<std::string> names_;
};

}  // namespace

std::unique_ptr<Transport> MakeTransport(TransportKind kind, tcp::socket socket,
                                         asio::ssl::context* tls) {
  switch (kind) {
    case TransportKind::kTcp:
      return std::make_unique<TcpTransport>(std::move(socket));
    case TransportKind::kTls:
      return std::make_unique<TlsTransport>(std::move(socket), *tls);
    case TransportKind::kWs: {
      std::string peer = PeerOf(socket);
      socket.set_option(tcp::no_delay(true));
      return std::make_unique<WsTransport<tcp::socket>>(std::move(peer), false, std::move(socket));
    }
    case TransportKind::kWss: {
      std::string peer = PeerOf(socket);
      socket.set_option(tcp::no_delay(true));
      return std::make_unique<WsTransport<asio::ssl::stream<tcp::socket>>>(
          std::move(peer), true, std::move(socket), *tls);
    }
  }
  return nullptr;
}

}  // namespace verbund::net
