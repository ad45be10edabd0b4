#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/result.h"

namespace spillway::replay {

// The client TLS settings of the https:// sink: TLS 1.2 or newer, the peer's certificate
// chain and host name always verified (there is deliberately no switch to turn that off: an
// unverified sink would hand every event to whoever answers on the route). Trust comes from
// `ca_file` (PEM, one or more CA certificates) when it is not empty, else from the system's
// store (Debian: /etc/ssl/certs, package ca-certificates). Built once at startup and shared
// read-only by every connection of the sink.
// Errors: kInvalidArgument when `ca_file` cannot be read or holds no certificate, naming the
// file and OpenSSL's reason; kIoError when the system store cannot be located.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_client_context(
    const std::string& ca_file);

}  // namespace spillway::replay
