// TLS server contexts: TLS 1.2 and newer only, certificates from the configuration, optional
// client certificate verification against the configured CA (mutual TLS).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "core/config.h"
#include "core/status.h"

namespace verbund::net {

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsConfig& config);

}  // namespace verbund::net
