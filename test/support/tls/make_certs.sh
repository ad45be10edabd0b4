#!/usr/bin/env bash
# Regenerates the TLS test material of the https:// sink tests (committed, so tests need no
# openssl binary). Run from this folder: ./make_certs.sh. Valid for 100 years.
#   ca.pem                     the private CA the tests trust (--sink-ca-file)
#   server.pem / server.key    signed by ca.pem for DNS:localhost and IP:127.0.0.1
#   wrong_host.pem / .key      signed by ca.pem for DNS:wrong.example only (name mismatch)
#   other_ca.pem               a second CA that signed nothing the tests serve (untrusted)
set -euo pipefail
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days $days -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -out "$1.pem"
}
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days $days \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "spillway test CA"
ca other_ca "spillway other test CA"
rm -f other_ca.key
leaf server localhost "DNS:localhost,IP:127.0.0.1"
leaf wrong_host wrong.example "DNS:wrong.example"
rm -f ca.srl ca.key  # nothing needs to sign again until the next regeneration
