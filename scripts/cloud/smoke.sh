#!/usr/bin/env bash
# End-to-end check of a running local stack (scripts/cloud/stack.sh start), with curl and openssl
# only: a demo token; a PEM certificate stored in Barbican the castellan way; an image signed with
# openssl (RSA-PSS, SHA-256, maximum salt) whose upload Glance verifies (204, active); the same
# image tampered (400, queued); a certificate of another project (400); a glance-direct import.
# Then the https fronts: the signed upload again through the TLS Keystone, Barbican and Glance,
# the mTLS fronts with and without the client certificate, the expired and wrong-name
# certificates refused; and python-openstackclient (the stack's venv) through both TLS clouds.
# Exit 0 when all hold. Same environment variables as stack.sh for the state folder and ports.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${GLANCE_SIG_STACK_DIR:-$here/../../.stack}
barbican=http://127.0.0.1:${GLANCE_SIG_BARBICAN_PORT:-9311}
glance=http://127.0.0.1:${GLANCE_SIG_GLANCE_PORT:-9292}
tls=$state/tls
osc=${GLANCE_SIG_CACHE:-$HOME/.cache/glance-sig}/cloud-venv/bin/openstack
# Extra curl options for every request (the CA, a client certificate): empty for plain http.
curl_opts=()

[ -f "$state/demo.env" ] || { echo "smoke: no $state/demo.env: run stack.sh start first" >&2; exit 1; }
# shellcheck source=/dev/null
source "$state/demo.env"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "smoke: ok: $*"; }
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
curl() { command curl "${curl_opts[@]}" "$@"; }
auth=$OS_AUTH_URL

token_for() { # user password project
  local body
  body=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","domain":{"name":"Default"},"password":"%s"}}},"scope":{"project":{"name":"%s","domain":{"name":"Default"}}}}}' "$1" "$2" "$3")
  curl -sf -D - -o /dev/null -H 'Content-Type: application/json' -d "$body" "$auth/auth/tokens" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-subject-token" { print $2 }'
}

store_cert() { # token -> secret uuid
  curl -sf -H "X-Auth-Token: $1" -H 'Content-Type: application/json' "$barbican/v1/secrets" -d "$(
    printf '{"name":"smoke-cert","secret_type":"certificate","payload_content_type":"application/octet-stream","payload_content_encoding":"base64","payload":"%s"}' "$(base64 -w0 cert.pem)"
  )" | json_field secret_ref | sed 's#.*/##'
}

create_image() { # certificate-uuid signature-base64 -> image id
  curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$glance/v2/images" -d "$(
    printf '{"name":"smoke","disk_format":"raw","container_format":"bare","img_signature":"%s","img_signature_hash_method":"SHA-256","img_signature_key_type":"RSA-PSS","img_signature_certificate_uuid":"%s"}' "$2" "$1"
  )" | json_field id
}

upload() { # image-id file -> HTTP status (body in upload.out)
  curl -s -o upload.out -w '%{http_code}' -X PUT -H "X-Auth-Token: $token" \
    -H 'Content-Type: application/octet-stream' -H 'Accept: application/json' \
    --data-binary @"$2" "$glance/v2/images/$1/file"
}

image_status() { curl -sf -H "X-Auth-Token: $token" "$glance/v2/images/$1" | json_field status; }

token=$(token_for "$OS_USERNAME" "$OS_PASSWORD" "$OS_PROJECT_NAME")
[ -n "$token" ] || fail "no token for $OS_USERNAME"
other_token=$(token_for other other-secret other)
[ -n "$other_token" ] || fail "no token for other"
ok "tokens for demo and other"

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 \
  -subj /CN=glance-sig-smoke 2>/dev/null
cert=$(store_cert "$token")
other_cert=$(store_cert "$other_token")
curl -sf -H "X-Auth-Token: $token" -H 'Accept: application/octet-stream' \
  "$barbican/v1/secrets/$cert/payload" | cmp -s - cert.pem || fail "certificate payload differs"
ok "certificate $cert stored in Barbican and read back"

head -c 3000000 /dev/urandom >image.bin
openssl dgst -sha256 -sign key.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2 \
  -out image.sig image.bin
sig=$(base64 -w0 image.sig)

id=$(create_image "$cert" "$sig")
code=$(upload "$id" image.bin)
{ [ "$code" = 204 ] && [ "$(image_status "$id")" = active ]; } || fail "signed upload: HTTP $code: $(cat upload.out)"
ok "signed upload verified: HTTP 204, active"

cp image.bin tampered.bin
printf 'X' | dd of=tampered.bin bs=1 seek=1000 conv=notrunc 2>/dev/null
id=$(create_image "$cert" "$sig")
code=$(upload "$id" tampered.bin)
{ [ "$code" = 400 ] && [ "$(image_status "$id")" = queued ]; } || fail "tampered upload: HTTP $code: $(cat upload.out)"
grep -q 'Signature verification failed' upload.out || fail "tampered upload: $(cat upload.out)"
ok "tampered upload refused: HTTP 400, queued"

id=$(create_image "$other_cert" "$sig")
code=$(upload "$id" image.bin)
{ [ "$code" = 400 ] && grep -q 'Unable to retrieve certificate' upload.out; } ||
  fail "other project's certificate: HTTP $code: $(cat upload.out)"
ok "another project's certificate refused: HTTP 400"

id=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$glance/v2/images" \
  -d '{"name":"smoke-import","disk_format":"raw","container_format":"bare"}' | json_field id)
curl -sf -X PUT -H "X-Auth-Token: $token" -H 'Content-Type: application/octet-stream' \
  --data-binary @image.bin "$glance/v2/images/$id/stage"
curl -sf -X POST -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
  -d '{"method":{"name":"glance-direct"}}' "$glance/v2/images/$id/import"
for _ in $(seq 60); do
  status=$(image_status "$id")
  [ "$status" = active ] && break
  sleep 0.5
done
[ "$status" = active ] || fail "glance-direct import: status $status"
ok "glance-direct import: active"

# --- the https fronts ----------------------------------------------------------------------
[ -f "$tls/ca.pem" ] || fail "no $tls/ca.pem: the stack runs without its TLS fronts (restart it)"
auth=https://127.0.0.1:${GLANCE_SIG_KEYSTONE_TLS_PORT:-5443}/v3
barbican=https://127.0.0.1:${GLANCE_SIG_BARBICAN_TLS_PORT:-9312}
glance=https://127.0.0.1:${GLANCE_SIG_GLANCE_TLS_PORT:-9293}
curl_opts=(--cacert "$tls/ca.pem")
token=$(token_for demo demo-secret demo)
[ -n "$token" ] || fail "no token through $auth"
cert=$(store_cert "$token")
id=$(create_image "$cert" "$sig")
code=$(upload "$id" image.bin)
{ [ "$code" = 204 ] && [ "$(image_status "$id")" = active ]; } || fail "signed upload through $glance: HTTP $code: $(cat upload.out)"
ok "signed upload through the TLS fronts ($auth, $barbican, $glance) verified: 204, active"

auth=https://127.0.0.1:${GLANCE_SIG_KEYSTONE_MTLS_PORT:-5444}/v3
glance=https://127.0.0.1:${GLANCE_SIG_GLANCE_MTLS_PORT:-9294}
curl_opts=(--cacert "$tls/ca.pem" --cert "$tls/client.pem" --key "$tls/client-key.pem")
token=$(token_for demo demo-secret demo)
[ -n "$token" ] || fail "no token through $auth with the client certificate"
[ "$(image_status "$id")" = active ] || fail "image $id through $glance"
ok "mTLS fronts with the client certificate: token, image $id active"

refused() { # what url expected-error (ERE) [curl-options...]: the client must refuse or be refused
  local what=$1 url=$2 want=$3 out
  shift 3
  if out=$(command curl -sS --max-time 10 --cacert "$tls/ca.pem" "$@" -o /dev/null "$url" 2>&1); then
    fail "$what: $url answered"
  fi
  grep -qiE "$want" <<<"$out" || fail "$what: $url failed otherwise than /$want/: $out"
  out=${out%%$'\n'*}
  ok "$what refused: ${out#curl: }"
}
refused "mTLS without a client certificate" "$auth" 'alert|certificate required'
refused "expired certificate" "https://127.0.0.1:${GLANCE_SIG_KEYSTONE_EXPIRED_PORT:-5445}/v3" 'expired'
refused "wrong-name certificate" "https://127.0.0.1:${GLANCE_SIG_KEYSTONE_WRONG_NAME_PORT:-5446}/v3" \
  'no alternative certificate subject name matches'

# python-openstackclient (keystoneauth, requests) through clouds.yaml's TLS clouds: version
# discovery there follows the services' self-links, so this also proves they name the fronts.
[ -x "$osc" ] || fail "no $osc (scripts/cloud/stack.sh install)"
osc() { (unset "${!OS_@}" && OS_CLIENT_CONFIG_FILE=$state/clouds.yaml "$osc" "$@"); }
# Captured first: grep -q in a pipe could end openstack by SIGPIPE (a failure under pipefail).
out=$(osc --os-cloud glance-sig-demo-tls image show -f value -c status "$id")
[ "$out" = active ] || fail "openstack --os-cloud glance-sig-demo-tls image show $id: $out"
out=$(osc --os-cloud glance-sig-demo-mtls image list -f value -c ID)
grep -qx "$id" <<<"$out" || fail "openstack --os-cloud glance-sig-demo-mtls image list: no $id in: $out"
out=$(osc --os-cloud glance-sig-demo-tls secret list -f value -c 'Secret href')
# Barbican builds the refs from the request: through the front they name the front.
grep -qx "$barbican/v1/secrets/$cert" <<<"$out" ||
  fail "openstack --os-cloud glance-sig-demo-tls secret list: no $barbican/v1/secrets/$cert in: $out"
ok "openstack image show/list and secret list through glance-sig-demo-tls and glance-sig-demo-mtls"
sed '/^  glance-sig-demo-mtls:/,$ { /^    cert: /d; /^    key: /d }' "$state/clouds.yaml" >no-cert.yaml
if out=$( (unset "${!OS_@}" && OS_CLIENT_CONFIG_FILE=$work/no-cert.yaml "$osc" --os-cloud glance-sig-demo-mtls image list) 2>&1); then
  fail "openstack --os-cloud glance-sig-demo-mtls without cert/key listed images"
fi
grep -qiE 'ssl|certificate' <<<"$out" || fail "glance-sig-demo-mtls without cert/key failed otherwise: $out"
ok "glance-sig-demo-mtls without cert/key refused"
echo "smoke: all checks passed"
