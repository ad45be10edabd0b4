#include "replay/tls_client_context.h"

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

namespace spillway::replay {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> make_tls_client_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  // SSLv2/3 and TLS 1.0/1.1 are broken or deprecated (RFC 8996); compression invites CRIME.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression);
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return Status::io_error("sink TLS: cannot load the system CA store: " + ec.message());
    return ctx;
  }
  ctx->load_verify_file(ca_file, ec);
  if (ec)
    return Status::invalid_argument("sink TLS: cannot load CA file '" + ca_file +
                                    "': " + ec.message());
  return ctx;
}

}  // namespace spillway::replay
