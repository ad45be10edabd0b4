#!/usr/bin/env bash
# Regenerates the TLS test material of the https:// sink tests (committed, so tests need no
# openssl binary). Run from this folder: ./make_certs.sh. Valid for 100 years.
#   ca.pem                     the private CA the tests trust (--sink-ca-file)
#   server.pem / server.key    signed by ca.pem for DNS:localhost and IP:127.0.0.1
#   wrong_host.pem / .key      signed by ca.pem for DNS:wrong.example only (name mismatch)
#   other_ca.pem               a second CA that signed nothing the tests serve (untrusted)
#   client.pem / client.key    signed by ca.pem for client authentication (mutual TLS)
#   other_client.pem / .key    a client certificate of other_ca (refused by a server on ca.pem)
set -euo pipefail
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days $days -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -out "$1.pem"
}
leaf() {  # leaf NAME CN SAN [USAGE [CA]]
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' "$3" "${4:-serverAuth}" > "$1.ext"
  local ca=${5:-ca}
  openssl x509 -req -in "$1.csr" -CA $ca.pem -CAkey $ca.key -CAcreateserial -sha256 -days $days \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "spillway test CA"
ca other_ca "spillway other test CA"
leaf server localhost "DNS:localhost,IP:127.0.0.1"
leaf wrong_host wrong.example "DNS:wrong.example"
leaf client spillway-client "DNS:spillway-client" clientAuth
leaf other_client spillway-client "DNS:spillway-client" clientAuth other_ca
rm -f other_ca.key other_ca.srl
rm -f ca.srl ca.key  # nothing needs to sign again until the next regeneration
