#include "net/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace verbund::net {

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsConfig& config) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->use_certificate_chain_file(config.cert, ec);
  if (ec) return InvalidArgument("tls.cert: cannot load '" + config.cert + "': " + ec.message());
  ctx->use_private_key_file(config.key, ssl::context::pem, ec);
  if (ec) return InvalidArgument("tls.key: cannot load '" + config.key + "': " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return InvalidArgument("tls.key: does not match tls.cert");
  }
  if (!config.ca.empty()) {
    ctx->load_verify_file(config.ca, ec);
    if (ec) return InvalidArgument("tls.ca: cannot load '" + config.ca + "': " + ec.message());
    auto mode = ssl::verify_peer;
    if (config.require_client_cert) mode |= ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
  }
  if (!config.crl.empty()) {
    if (config.ca.empty()) return InvalidArgument("tls.crl: needs tls.ca");
    // Every client certificate is then checked against its CA's CRL (a CA without a CRL in
    // the file fails verification: revocation must be known, not assumed absent).
    X509_STORE* store = SSL_CTX_get_cert_store(ctx->native_handle());
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == nullptr ||
        X509_load_crl_file(lookup, config.crl.c_str(), X509_FILETYPE_PEM) <= 0) {
      return InvalidArgument("tls.crl: cannot load CRLs from '" + config.crl + "'");
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  return ctx;
}

}  // namespace verbund::net
