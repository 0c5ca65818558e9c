#!/usr/bin/env bash
# bench/upload.sh: a signed upload to the local Glance (scripts/cloud/stack.sh) with glance-sig
# next to python-openstackclient, in one run. Prints a markdown table on stdout; progress goes to
# stderr.
#
#   glance-sig upload --image F --key K --cert C      signs (one pass over F), then uploads (a
#                                                     second pass), waits for active
#   openstack image create --file F --property ...   uploads with the four properties computed
#                                                     beforehand (not timed): what a user of the
#                                                     OSC has to do, since its own --sign-key-path
#                                                     does not work (shared/OPENSTACK.md)
#
# Glance verifies the signature during both uploads. Each command runs under
# `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS KiB) with the page cache warmed first; the
# runs alternate between the two tools; the best wall time and the highest peak RSS are reported.
# Every image must end up active with all four properties; each is deleted after its run.
#
# Environment:
#   BENCH_SIZE_MIB   image size in MiB (default 1024)
#   BENCH_RUNS       runs per tool (default 2)
#   GLANCE_SIG       the glance-sig binary (default target/release/glance-sig, built if absent)
#   BENCH_STRICT=1   exit 3 when glance-sig is slower than the OSC or its peak RSS exceeds 64 MiB
# The stack is started when it is not running (and then stopped at the end).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out="$here/out/upload"
state="${GLANCE_SIG_STACK_DIR:-$root/.stack}"
venv="${GLANCE_SIG_CACHE:-$HOME/.cache/glance-sig}/cloud-venv"

SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
RUNS="${BENCH_RUNS:-2}"
for v in SIZE_MIB RUNS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[ -x /usr/bin/time ] || die "GNU time is needed at /usr/bin/time (apt-get install time)"

# --- the stack ---------------------------------------------------------------------------------
started=""
cleanup() {
  if [ -n "$started" ]; then "$root/scripts/cloud/stack.sh" stop >&2 || true; fi
}
trap cleanup EXIT
if ! "$root/scripts/cloud/stack.sh" status >/dev/null 2>&1; then
  log "starting the local stack"
  "$root/scripts/cloud/stack.sh" start >&2
  started=1
fi
osc="$venv/bin/openstack"
[ -x "$osc" ] || die "no $osc (scripts/cloud/stack.sh install)"
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(OS_[A-Za-z0-9_]*\)=.*/\1/p')
export OS_CLIENT_CONFIG_FILE="$state/clouds.yaml" OS_CLOUD=glance-sig-demo

# --- inputs ------------------------------------------------------------------------------------
GS_SRC="${GLANCE_SIG:-$root/target/release/glance-sig}"
if [ ! -x "$GS_SRC" ]; then
  log "building glance-sig (release)"
  (cd "$root" && cargo build --release -p glance-sig-cli >&2)
fi
mkdir -p "$out"
GS="$out/glance-sig"
cp "$GS_SRC" "$GS" # a rebuild during the run cannot swap it
image="$out/image-${SIZE_MIB}MiB.bin"
if [ ! -f "$image" ] || [ "$(stat -c %s "$image")" != $((SIZE_MIB * 1048576)) ]; then
  log "writing a ${SIZE_MIB} MiB image of random bytes"
  head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$image"
fi
if [ ! -f "$out/rsa.key" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/rsa.key" 2>/dev/null
  openssl req -new -x509 -key "$out/rsa.key" -out "$out/rsa.crt" -days 3650 \
    -subj "/CN=glance-sig upload bench" 2>/dev/null
fi

# The certificate in Barbican (found again when already there), and the OSC's properties.
log "storing the certificate and signing once for the OSC's --property values"
small="$out/small.bin"
head -c 4096 /dev/urandom >"$small"
first=$("$GS" upload --json --image "$small" --key "$out/rsa.key" --cert "$out/rsa.crt" --name bench-setup)
read -r setup_id uuid < <(python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["id"], r["certificate"]["uuid"])' <<<"$first")
"$osc" image delete "$setup_id" >&2
props=$("$GS" sign --image "$image" --key "$out/rsa.key" --cert-uuid "$uuid")
mapfile -t prop_args < <(python3 -c '
import json, sys
for k, v in json.load(sys.stdin).items():
    print("--property"); print(f"{k}={v}")' <<<"$props")

# --- runs --------------------------------------------------------------------------------------
measure() { # label image-name command...; leaves "wall rss_kib" in $out/time.<label>
  local label=$1 name=$2
  shift 2
  cat "$image" >/dev/null
  local timing="$out/time.$label" output="$out/out.$label"
  /usr/bin/time -o "$timing" -f '%e %M' "$@" >"$output" 2>"$out/err.$label" ||
    die "$label: $(tail -n 5 "$out/err.$label")"
  local id
  id=$("$osc" image list --name "$name" -f value -c ID | head -n 1)
  [ -n "$id" ] || die "$label: no image named $name"
  local status sig
  status=$("$osc" image show "$id" -f value -c status)
  [ "$status" = active ] || die "$label: image $id is $status"
  sig=$("$osc" image show "$id" -f json -c properties |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["properties"]; print(sum(k in p for k in ("img_signature","img_signature_hash_method","img_signature_key_type","img_signature_certificate_uuid")))')
  [ "$sig" = 4 ] || die "$label: image $id has $sig of the 4 signature properties"
  "$osc" image delete "$id" >&2
}

declare -A best rss
for tool in gs osc; do best[$tool]=""; rss[$tool]=0; done
for run in $(seq 1 "$RUNS"); do
  name="bench-gs-$run-$$"
  log "run $run/$RUNS: glance-sig upload"
  measure "gs$run" "$name" "$GS" upload --image "$image" --key "$out/rsa.key" \
    --cert "$out/rsa.crt" --name "$name" --disk-format raw
  read -r wall kib <"$out/time.gs$run"
  log "  ${wall} s, ${kib} KiB"
  if [ -z "${best[gs]}" ] || awk "BEGIN{exit !($wall < ${best[gs]})}"; then best[gs]=$wall; fi
  [ "$kib" -gt "${rss[gs]}" ] && rss[gs]=$kib

  name="bench-osc-$run-$$"
  log "run $run/$RUNS: openstack image create --file"
  measure "osc$run" "$name" "$osc" image create --file "$image" \
    --disk-format raw --container-format bare "${prop_args[@]}" "$name"
  read -r wall kib <"$out/time.osc$run"
  log "  ${wall} s, ${kib} KiB"
  if [ -z "${best[osc]}" ] || awk "BEGIN{exit !($wall < ${best[osc]})}"; then best[osc]=$wall; fi
  [ "$kib" -gt "${rss[osc]}" ] && rss[osc]=$kib
done

# --- table -------------------------------------------------------------------------------------
bytes=$((SIZE_MIB * 1048576))
row() { # label wall kib
  awk -v l="$1" -v w="$2" -v k="$3" -v b="$bytes" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.1f |\n", l, w, b / w / 1e6, k / 1024 }'
}
echo "Signed upload of a ${SIZE_MIB} MiB image to the local Glance (verifying), RSA-2048 / SHA-256, best of ${RUNS} runs:"
echo
echo "| tool | wall s | MB/s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
row "glance-sig upload (signs + uploads, two passes)" "${best[gs]}" "${rss[gs]}"
row "openstack image create --file (properties precomputed)" "${best[osc]}" "${rss[osc]}"
echo
missed=""
awk "BEGIN{exit !(${best[gs]} <= ${best[osc]})}" || missed="glance-sig is slower than the OSC"
[ "${rss[gs]}" -le 65536 ] || missed="${missed:+$missed; }glance-sig's peak RSS exceeds 64 MiB"
if [ -n "$missed" ]; then
  echo "Target missed: $missed."
  if [ "${BENCH_STRICT:-0}" = 1 ]; then exit 3; fi
else
  echo "Target met: glance-sig is no slower than the OSC, and its memory stays flat."
fi
