#!/bin/sh
# Rebuilds the test TLS files for the HTTPS webhook receiver (tls_hooks.rs):
# a CA (the gateway trusts it through SSL_CERT_FILE) and a receiver
# certificate for 127.0.0.1 that it signed. Test-only keys: never trust them
# anywhere else.
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout ca.key -out ca.pem -days 36500 -subj "/CN=Kassa test webhook CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout receiver.key -out receiver.csr -subj "/CN=127.0.0.1"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' > receiver.ext
openssl x509 -req -in receiver.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out receiver.pem -days 36500 -extfile receiver.ext
rm -f receiver.csr receiver.ext ca.key ca.srl
