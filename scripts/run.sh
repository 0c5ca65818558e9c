#!/usr/bin/env bash
# The main job, end to end, with embedded defaults: set everything up, start a real local
# Keystone + Barbican + Glance, make a demo signing key and certificate, then sign the image
# and upload it (certificate stored in Barbican, all four properties in one create request,
# Glance verifies on upload), verify it back from Glance as Nova would, audit the catalog,
# start a real Horizon with the glance-sig panel (http://127.0.0.1:8090), and serve the browser
# portal.
#
#   scripts/run.sh [IMAGE]   (default: a qcow2 holding 256 MiB of random data made here, or the
#                             raw random data without qemu-img)
# Then serves the portal on http://127.0.0.1:8080 (Ctrl-C ends it); the stack keeps running
# afterwards (scripts/cloud/stack.sh stop ends it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# One line per step, in plain words, with the time it took.
now() { date +%s.%N; }
took() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f} s")' "$1" "$(now)"; }
done_step() { printf '==> %s (%s)\n' "$2" "$(took "$1")"; }

t=$(now); scripts/setup.sh
done_step "$t" "Set up the tools and the release builds"
t=$(now); scripts/cloud/stack.sh start >/dev/null
done_step "$t" "Started the local Keystone, Barbican and Glance"
bin=target/release/glance-sig
demo=.stack/demo
mkdir -p "$demo"
export OS_CLIENT_CONFIG_FILE=$PWD/.stack/clouds.yaml OS_CLOUD=glance-sig-demo

t=$(now)
if [ ! -f "$demo/signing-key.pem" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$demo/signing-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$demo/signing-key.pem" -subj "/CN=glance-sig demo signer" \
    -days 365 -addext keyUsage=critical,digitalSignature -out "$demo/signing-cert.pem"
fi
done_step "$t" "Made the demo signing key and its self-signed certificate ($demo)"

# The demo image holds real data (random bytes, made here: nothing is downloaded), so the
# upload and the verification stream a few hundred MB; a qcow2 when qemu-img is there. An
# earlier run's sparse 64M qcow2 (a few hundred KB of data) is replaced.
image=${1:-$demo/demo.qcow2}
if [ -z "${1:-}" ] && [ -f "$image" ] && [ "$(stat -c %s "$image")" -lt 1048576 ]; then
  rm -f "$image"
fi
if [ ! -f "$image" ]; then
  t=$(now)
  if command -v qemu-img >/dev/null; then
    head -c 268435456 /dev/urandom > "$demo/demo.raw"
    qemu-img convert -q -f raw -O qcow2 "$demo/demo.raw" "$image"
    rm -f "$demo/demo.raw"
  else
    head -c 268435456 /dev/urandom > "$image"
  fi
  done_step "$t" "Made the demo image $image ($(du -h --apparent-size "$image" | cut -f1) of random data)"
fi

printf '\n'
t=$(now); $bin inspect "$demo/signing-cert.pem"
done_step "$t" "Inspected the signing certificate"

printf '\n'
t=$(now)
$bin upload --image "$image" --key "$demo/signing-key.pem" --cert "$demo/signing-cert.pem" \
  --name glance-sig-demo --json > "$demo/upload.json"
python3 - "$demo/upload.json" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))
p = u["properties"]
mib = (u.get("size") or 0) / 1048576
print(f"Signed {mib:.0f} MiB with {p['img_signature_key_type']} and {p['img_signature_hash_method']}"
      f", then streamed it to Glance as image {u['id']} ({u['disk_format']}).")
print("The certificate " + ("was stored in" if u["certificate"]["stored"] else "was already in")
      + f" Barbican as secret {u['certificate']['uuid']}.")
print(f"Glance verified the signature while storing the data, and the image is {u['status']}.")
PY
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$demo/upload.json")
done_step "$t" "Signed and uploaded the image; Glance verified it"

printf '\n'
t=$(now); $bin verify --image-id "$id"
done_step "$t" "Downloaded the image from Glance and the certificate from Barbican, and verified it as Nova does"

printf '\n'
t=$(now); $bin audit --verify || true
done_step "$t" "Audited every image of the project, its data downloaded and checked"
t=$(now); GLANCE_SIG_HORIZON_PORTAL_URL=http://127.0.0.1:8080/ scripts/horizon/horizon.sh start
done_step "$t" "Started Horizon with the glance-sig panel"
cat <<MSG

The local cloud keeps running: Keystone http://127.0.0.1:5000/v3, Barbican http://127.0.0.1:9311,
Glance http://127.0.0.1:9292; demo user demo / demo-secret, project demo, domain Default.
Over https with the stack's private CA ($PWD/.stack/tls/ca.pem): Keystone https://127.0.0.1:5443/v3,
region RegionTLS (cloud glance-sig-demo-tls); mutual TLS: RegionMTLS (cloud glance-sig-demo-mtls).
  export OS_CLIENT_CONFIG_FILE=$PWD/.stack/clouds.yaml OS_CLOUD=glance-sig-demo
  scripts/cloud/stack.sh stop      # when done

==> Horizon: http://127.0.0.1:8090  (log in as demo / demo-secret; Project > Compute > Sign and
    upload image frames the portal with Horizon's token; Images > Verify signature on any image)
==> The portal: http://127.0.0.1:8080  (sign in as demo / demo-secret; Ctrl-C stops serving)
MSG
exec node scripts/portal/serve.mjs --root dist --port 8080
