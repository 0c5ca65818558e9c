#!/usr/bin/env bash
# The main job, end to end, with embedded defaults: set everything up, start a real local
# Keystone + Barbican + Glance, make a demo signing key and certificate, then sign the image
# and upload it (certificate stored in Barbican, all four properties in one create request,
# Glance verifies on upload), verify it back from Glance as Nova would, audit the catalog,
# and serve the browser portal.
#
#   scripts/run.sh [IMAGE]   (default: a 64 MiB qcow2 made with qemu-img, or random data)
# Then serves the portal on http://127.0.0.1:8080 (Ctrl-C ends it); the stack keeps running
# afterwards (scripts/cloud/stack.sh stop ends it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
scripts/cloud/stack.sh start
bin=target/release/glance-sig
demo=.stack/demo
mkdir -p "$demo"
export OS_CLIENT_CONFIG_FILE=$PWD/.stack/clouds.yaml OS_CLOUD=glance-sig-demo

if [ ! -f "$demo/signing-key.pem" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$demo/signing-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$demo/signing-key.pem" -subj "/CN=glance-sig demo signer" \
    -days 365 -addext keyUsage=critical,digitalSignature -out "$demo/signing-cert.pem"
fi
image=${1:-$demo/demo.qcow2}
if [ ! -f "$image" ]; then
  if command -v qemu-img >/dev/null; then
    qemu-img create -q -f qcow2 "$image" 64M
  else
    head -c 67108864 /dev/urandom > "$image"
  fi
fi

step() { printf '\n==> %s\n' "$*"; }
step "glance-sig inspect $demo/signing-cert.pem"
$bin inspect "$demo/signing-cert.pem"
step "glance-sig upload --image $image (sign, store the certificate, create, upload)"
id=$($bin upload --image "$image" --key "$demo/signing-key.pem" --cert "$demo/signing-cert.pem" \
  --name glance-sig-demo --json | tee "$demo/upload.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat "$demo/upload.json"
step "glance-sig verify --image-id $id (download from Glance, certificate from Barbican)"
$bin verify --image-id "$id"
step "glance-sig audit"
$bin audit || true
cat <<MSG

The local cloud keeps running: Keystone http://127.0.0.1:5000/v3, Barbican http://127.0.0.1:9311,
Glance http://127.0.0.1:9292; demo user demo / demo-secret, project demo, domain Default.
Over https with the stack's private CA ($PWD/.stack/tls/ca.pem): Keystone https://127.0.0.1:5443/v3,
region RegionTLS (cloud glance-sig-demo-tls); mutual TLS: RegionMTLS (cloud glance-sig-demo-mtls).
  export OS_CLIENT_CONFIG_FILE=$PWD/.stack/clouds.yaml OS_CLOUD=glance-sig-demo
  scripts/cloud/stack.sh stop      # when done

==> The portal: http://127.0.0.1:8080  (sign in as demo / demo-secret; Ctrl-C stops serving)
MSG
exec node scripts/portal/serve.mjs --root dist --port 8080
