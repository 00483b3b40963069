#include "net/transports.h"

#include <openssl/x509v3.h>

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

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

std::optional<std::string> IdentityOf(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    X509_free(cert);
    return std::nullopt;
  }
  std::optional<std::string> id;
  char buf[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  if (n > 0) id = std::string(buf, n);
  X509_free(cert);
  return id;
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(tcp::socket s) : socket_(std::move(s)), peer_(PeerOf(socket_)) {
    socket_.set_option(tcp::no_delay(true));
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
  }
  bool SupportsReadiness() const override { return true; }
  void AsyncWaitReadable(std::function<void(const boost::system::error_code&)> done) override {
    socket_.async_wait(tcp::socket::wait_read, std::move(done));
  }
  size_t ReadAvailable(char* data, size_t size, boost::system::error_code& ec) override {
    return socket_.read_some(asio::buffer(data, size), ec);
  }
  void AsyncHandshake(std::function<void(const boost::system::error_code&)> done) override {
    done({});
  }
  void AsyncReadSome(char* data, size_t size, IoHandler h) override {
    socket_.async_read_some(asio::buffer(data, size), std::move(h));
  }
  void AsyncWrite(const char* data, size_t size, IoHandler h) override {
    asio::async_write(socket_, asio::buffer(data, size), std::move(h));
  }
  void Close() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
  asio::io_context& context() override {
    return static_cast<asio::io_context&>(socket_.get_executor().context());
  }
  const std::string& peer() const override { return peer_; }
  std::optional<std::string> peer_identity() const override { return std::nullopt; }
  const char* kind() const override { return "tcp"; }

 private:
  tcp::socket socket_;
  std::string peer_;
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
                              if (!ec) identity_ = IdentityOf(stream_.native_handle());
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
  const std::string& peer() const override { return peer_; }
  std::optional<std::string> peer_identity() const override { return identity_; }
  const char* kind() const override { return "tls"; }

 private:
  std::string peer_;
  asio::ssl::stream<tcp::socket> stream_;
  std::optional<std::string> identity_;
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
            identity_ = IdentityOf(ws_.next_layer().native_handle());
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
  const std::string& peer() const override { return peer_; }
  std::optional<std::string> peer_identity() const override { return identity_; }
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
  std::optional<std::string> identity_;
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
