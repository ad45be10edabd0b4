#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.h"

namespace spillway::replay {

// The TLS files of an https:// sink (PEM paths; empty = not used).
struct SinkTlsFiles {
  // CA certificates to trust instead of the system's store (a private CA in front of the
  // datastore).
  std::string ca_file;
  // A client certificate chain and its key, for a downstream that requires mutual TLS. Both or
  // neither.
  std::string client_cert;
  std::string client_key;
  bool any() const { return !ca_file.empty() || !client_cert.empty() || !client_key.empty(); }
};

// The client TLS settings of the https:// sink: TLS 1.2 or newer, the peer's certificate
// chain and host name always verified (there is deliberately no switch to turn that off: an
// unverified sink would hand every event to whoever answers on the route). Trust comes from
// `files.ca_file` when set, else from the system's store (Debian: /etc/ssl/certs, package
// ca-certificates). Built once at startup and shared read-only by every connection.
// Errors: kInvalidArgument naming the file and OpenSSL's reason when a file cannot be read,
// holds no certificate, or the key does not match the client certificate, or when only one of
// client_cert / client_key is given; kIoError when the system store cannot be located.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_client_context(
    const SinkTlsFiles& files);

}  // namespace spillway::replay
