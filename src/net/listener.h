// Accepts connections on one address and hands each, wrapped in its transport, to the next I/O
// thread of the pool. Beyond the connection limit, or when the process is out of file
// descriptors, new connections are accepted and closed at once (never left hanging, never a
// busy loop).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/status.h"
#include "net/io_pool.h"
#include "net/transports.h"

namespace verbund::net {

// Counts live connections against a maximum. Thread-safe.
class ConnectionLimit {
 public:
  explicit ConnectionLimit(uint32_t max) : max_(max) {}
  bool TryAcquire() {
    uint32_t cur = active_.load(std::memory_order_relaxed);
    while (cur < max_) {
      if (active_.compare_exchange_weak(cur, cur + 1)) return true;
    }
    return false;
  }
  void Release() { active_.fetch_sub(1); }
  uint32_t active() const { return active_.load(); }
  uint32_t max() const { return max_; }

 private:
  std::atomic<uint32_t> active_{0};
  uint32_t max_;
};

// Holds one unit of a ConnectionLimit for as long as it lives.
class ConnectionLease {
 public:
  ConnectionLease() = default;
  explicit ConnectionLease(ConnectionLimit* limit) : limit_(limit) {}
  ConnectionLease(ConnectionLease&& o) noexcept : limit_(o.limit_) { o.limit_ = nullptr; }
  ConnectionLease& operator=(ConnectionLease&& o) noexcept {
    if (this != &o) {
      if (limit_) limit_->Release();
      limit_ = o.limit_;
      o.limit_ = nullptr;
    }
    return *this;
  }
  ~ConnectionLease() {
    if (limit_) limit_->Release();
  }

 private:
  ConnectionLimit* limit_ = nullptr;
};

class Listener {
 public:
  // Called on the new transport's I/O thread.
  using OnAccept = std::function<void(std::unique_ptr<Transport>, ConnectionLease)>;

  // Binds and listens at once (so bad addresses fail at start-up); accepting starts with Start().
  static Result<std::unique_ptr<Listener>> Create(std::string name, const std::string& address,
                                                  TransportKind kind, IoPool* pool,
                                                  boost::asio::ssl::context* tls,
                                                  ConnectionLimit* limit, OnAccept on_accept);
  ~Listener();

  void Start();
  void Stop();
  uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }

 private:
  Listener(std::string name, TransportKind kind, IoPool* pool, boost::asio::ssl::context* tls,
           ConnectionLimit* limit, OnAccept on_accept);
  void Accept();
  void OpenReserveFd();

  std::string name_;
  TransportKind kind_;
  IoPool* pool_;
  boost::asio::ssl::context* tls_;
  ConnectionLimit* limit_;
  OnAccept on_accept_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  uint16_t port_ = 0;
  int reserve_fd_ = -1;  // released to accept-and-close when out of descriptors
  std::atomic<bool> stopped_{false};
};

// Raises this process's open-file soft limit to the hard limit; returns the new soft limit.
uint64_t RaiseFileLimit();

}  // namespace verbund::net
