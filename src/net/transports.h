// Concrete transports: plain TCP, TLS, WebSocket (path /mqtt, subprotocol "mqtt") over TCP or TLS.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/transport.h"

namespace verbund::net {

enum class TransportKind { kTcp, kTls, kWs, kWss };

// Wraps an accepted socket. `tls` is required for kTls and kWss.
std::unique_ptr<Transport> MakeTransport(TransportKind kind, boost::asio::ip::tcp::socket socket,
                                         boost::asio::ssl::context* tls);

}  // namespace verbund::net
