// The HTTP server: InfluxDB 1.x compatible API, Prometheus /metrics and the native /api/v1, served
// with Boost.Beast on the hub's I/O threads. HTTP/1.1 keep-alive; pipelined requests are answered
// in order, one at a time per connection; optional TLS (http.tls). Bodies are bounded by
// http.max_body_bytes (413), gzip request bodies are inflated with the same bound. Every request
// must arrive within ServerDeps::read_timeout, so a slow client only holds its own connection.
// Request handling that may block (parsing bodies, queries, storage reads, waiting for the WAL)
// runs on the server's worker threads, never on an I/O thread.
//
// Thread-safety: Create/Start/Stop from one controlling thread. Lifetime: Stop() (or the
// destructor) must run while the IoPool is still running; it closes every connection and waits
// for in-flight requests to finish.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "core/config.h"
#include "core/status.h"
#include "http/api.h"
#include "http/deps.h"
#include "net/io_pool.h"

namespace verbund::http {

class Server {
 public:
  // Binds http.listen at once (a bad or busy address fails here). `tls_or_null` is required when
  // config.tls is set and must outlive the server; `pool` must outlive the server.
  static Result<std::unique_ptr<Server>> Create(const HttpConfig& config, net::IoPool* pool,
                                                boost::asio::ssl::context* tls_or_null,
                                                ServerDeps deps);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts accepting. The pool may be started before or after.
  void Start();
  // Stops accepting, closes every connection, waits for in-flight requests. Idempotent.
  void Stop();
  // The bound port (useful with "127.0.0.1:0").
  uint16_t port() const;
  Api& api();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace verbund::http
