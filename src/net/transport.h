// A byte stream to one client, whatever carries it: TCP, TLS over TCP, or WebSocket (over TCP or
// TLS). The MQTT connection reads and writes through this interface only.
//
// Thread-safety: a Transport belongs to one io_context (its connection's I/O thread); call it
// only from that thread. At most one read and one write may be outstanding at a time.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace verbund::net {

using IoHandler = std::function<void(const boost::system::error_code&, size_t)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // Completes the transport's own handshake (TLS, WebSocket upgrade); plain TCP completes at once.
  virtual void AsyncHandshake(std::function<void(const boost::system::error_code&)> done) = 0;
  // Reads at most `size` bytes into `data`.
  virtual void AsyncReadSome(char* data, size_t size, IoHandler handler) = 0;
  // Readiness-based reading, so an idle connection holds no read buffer: transports that can
  // (plain TCP) wait for readability, then read what is there without blocking.
  virtual bool SupportsReadiness() const { return false; }
  virtual void AsyncWaitReadable(IoHandler done) {}
  // Non-blocking read after readiness; would_block comes back as an error code.
  virtual size_t ReadAvailable(char* data, size_t size, boost::system::error_code& ec) { return 0; }
  // Writes all of [data, data+size). The buffer must stay valid until the handler runs.
  virtual void AsyncWrite(const char* data, size_t size, IoHandler handler) = 0;
  // Closes at once; outstanding operations complete with an error.
  virtual void Close() = 0;

  virtual boost::asio::io_context& context() = 0;
  // "127.0.0.1:53211" (made when asked: it is for logs and authentication, not kept per
  // connection)
  virtual std::string peer() const = 0;
  // For mutual TLS: the verified client certificate's subject CN, then its subjectAltName DNS,
  // e-mail and URI names; empty without a verified certificate.
  virtual std::vector<std::string> peer_names() const = 0;
  // "tcp", "tls", "ws", "wss"
  virtual const char* kind() const = 0;
};

}  // namespace verbund::net
