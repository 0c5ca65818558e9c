#!/usr/bin/env bash
# The main job, end to end, with embedded defaults: set everything up, make a demo signing
# key and certificate, sign a demo image, and verify it as Glance and Nova would.
#
#   scripts/run.sh [IMAGE]   (default: a 64 MiB qcow2 made with qemu-img, or random data)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
bin=target/release/glance-sig
demo=.stack/demo
mkdir -p "$demo"

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

echo
echo "==> glance-sig inspect $demo/signing-cert.pem"
$bin inspect "$demo/signing-cert.pem"
echo "==> glance-sig sign --image $image"
$bin sign --image "$image" --key "$demo/signing-key.pem" --cert "$demo/signing-cert.pem" \
  --hash-method SHA-256 --cert-uuid 00000000-0000-0000-0000-000000000000 | tee "$demo/properties.json"
echo "==> glance-sig verify --image $image"
$bin verify --image "$image" --cert "$demo/signing-cert.pem" --properties "$demo/properties.json"
