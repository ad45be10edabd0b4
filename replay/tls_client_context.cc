#include "replay/tls_client_context.h"

#include <boost/system/error_code.hpp>

namespace spillway::replay {

namespace ssl = boost::asio::ssl;

namespace {

Status file_error(const char* what, const std::string& path, const std::string& why) {
  return Status::invalid_argument(std::string("sink TLS: cannot load ") + what + " '" + path +
                                  "': " + why);
}

Status load_trust(ssl::context& ctx, const std::string& ca_file) {
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) return Status::io_error("sink TLS: cannot load the system CA store: " + ec.message());
    return Status::ok();
  }
  ctx.load_verify_file(ca_file, ec);
  return ec ? file_error("CA file", ca_file, ec.message()) : Status::ok();
}

Status load_client_identity(ssl::context& ctx, const SinkTlsFiles& files) {
  if (files.client_cert.empty() && files.client_key.empty()) return Status::ok();
  if (files.client_cert.empty() || files.client_key.empty())
    return Status::invalid_argument(
        "sink TLS: a client certificate needs both sink-client-cert and sink-client-key");
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(files.client_cert, ec);
  if (ec) return file_error("client certificate", files.client_cert, ec.message());
  // OpenSSL checks here that the key belongs to the certificate ("key values mismatch").
  ctx.use_private_key_file(files.client_key, ssl::context::pem, ec);
  return ec ? file_error("client key", files.client_key, ec.message()) : Status::ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_client_context(const SinkTlsFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  // SSLv2/3 and TLS 1.0/1.1 are broken or deprecated (RFC 8996); compression invites CRIME.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression);
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  if (Status s = load_trust(*ctx, files.ca_file); !s.is_ok()) return s;
  if (Status s = load_client_identity(*ctx, files); !s.is_ok()) return s;
  return ctx;
}

}  // namespace spillway::replay
