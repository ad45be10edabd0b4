#pragma once

#include <string>

#include "test/support/fake_downstream.h"

namespace spillway::test {

// The committed test PKI of the https:// sink tests (test/support/tls/, made by
// make_certs.sh). SPILLWAY_TLS_DIR comes with fake_downstream_dep.
inline std::string tls_file(const std::string& name) {
  return std::string(SPILLWAY_TLS_DIR) + "/" + name;
}

// A fake downstream serving `cert`.pem / `cert`.key over TLS; with `client_ca`, it requires a
// client certificate signed by that CA (mutual TLS).
inline FakeDownstreamOptions tls_fake_options(const std::string& cert = "server",
                                              const std::string& client_ca = "") {
  FakeDownstreamOptions o;
  o.tls_cert = tls_file(cert + ".pem");
  o.tls_key = tls_file(cert + ".key");
  if (!client_ca.empty()) o.tls_client_ca = tls_file(client_ca);
  return o;
}

}  // namespace spillway::test
