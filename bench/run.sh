#!/usr/bin/env bash
# bench/run.sh: sign and verify wall time, CPU time and peak memory of glance-sig next to
# OpenSSL's CLI, openstacksdk's ImageSigner and cursive (what Glance verifies with), on one
# generated file, in one run: RSA-2048 (PSS) and ECDSA P-384, each with SHA-256 and SHA-512, and
# signing with the same keys held in a SoftHSM2 token. Prints a markdown table on stdout and
# PASS/FAIL against the targets (verify at most 0.85x openssl's wall time with SHA-256, 1.0x with
# SHA-512; sign at most 1.0x; peak RSS at most 16 MiB); progress goes to stderr.
#
#   bench/run.sh           run (first use creates bench/out/: the image file, keys, certificates)
#   bench/run.sh --clean   delete bench/out/ (image file, keys, run outputs) and exit
#
# Environment:
#   BENCH_SIZE_MIB           image size in MiB (default 1024)
#   BENCH_RUNS               runs per measurement; the best wall time is kept (default 3)
#   BENCH_CURSIVE_CHUNK_KIB  chunk size fed to cursive's verifier (default 64: Glance's filesystem
#                            store writes, and so feeds the verifier, 64 KiB chunks)
#   GLANCE_SIG               the glance-sig binary (default target/release/glance-sig, built if absent)
#   BENCH_ALT_GLANCE_SIG     a second glance-sig binary to measure alongside (A/B), optional
#   BENCH_PYTHON             python with the peers (default: what scripts/peers/setup.sh prints)
#   BENCH_STRICT=1           exit 3 when a target in the footer is missed
#
# Method: every measurement runs BENCH_RUNS times under `/usr/bin/time -f '%e %M %U %S'`, the runs
# interleaved round-robin across tools (a burst of load elsewhere hits all tools alike); the page
# cache is warmed (`cat file > /dev/null`) before every run so every tool reads from memory alike.
# Reported: best wall time, MB/s (10^6 bytes) from it, the highest max-RSS over the runs, and the
# lowest CPU time (user+sys; steadier than wall time on a busy machine). The glance-sig binary is
# copied first, so a rebuild during the run cannot swap it. Every signature produced by every run
# is checked with `openssl dgst -verify`, the first of each signer also with cursive; a preflight
# on a small file checks that each verifier accepts every signer's output and rejects a flipped
# bit. Any failure aborts with a non-zero exit. Per-run figures: stderr and bench/out/run/.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args out "$@"

SIZE_MIB="${BENCH_SIZE_MIB:-1024}"
RUNS="${BENCH_RUNS:-3}"
CHUNK_KIB="${BENCH_CURSIVE_CHUNK_KIB:-64}"
for v in SIZE_MIB RUNS CHUNK_KIB; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
GS="${GLANCE_SIG:-$root/target/release/glance-sig}"
ALT="${BENCH_ALT_GLANCE_SIG:-}"
UUID="0b3d6a56-5d6f-4c39-9c3b-6a1d3b6f0e11"

# --- tools -------------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (/usr/bin/time)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y time >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y time >&2; }
fi
/usr/bin/time -f '%e %M' true 2>/dev/null || die "/usr/bin/time is not GNU time (needs -f '%e %M')"
command -v openssl >/dev/null || die "openssl not found"
if [ ! -x "$GS" ]; then
  [ -z "${GLANCE_SIG:-}" ] || die "GLANCE_SIG=$GS is not executable"
  log "building glance-sig (cargo build --release -p glance-sig-cli)"
  (cd "$root" && cargo build --release -p glance-sig-cli >&2)
fi
[ -z "$ALT" ] || [ -x "$ALT" ] || die "BENCH_ALT_GLANCE_SIG=$ALT is not executable"
if [ -n "${BENCH_PYTHON:-}" ]; then
  PY="$BENCH_PYTHON"
else
  [ -x "$root/scripts/peers/setup.sh" ] || die "scripts/peers/setup.sh missing; set BENCH_PYTHON"
  PY="$("$root/scripts/peers/setup.sh")" || die "scripts/peers/setup.sh failed"
fi
"$PY" -c 'import cursive.signature_utils, openstack.image.image_signer' \
  || die "$PY lacks cursive/openstacksdk"

# --- inputs: image file, keys, certificates (created once) ------------------------------------
mkdir -p "$out"
image="$out/image-${SIZE_MIB}MiB.bin"
bytes=$((SIZE_MIB * 1024 * 1024))
if [ ! -f "$image" ] || [ "$(stat -c %s "$image")" != "$bytes" ]; then
  find "$out" -maxdepth 1 -name 'image-*MiB.bin' -delete
  log "creating $image ($SIZE_MIB MiB of random data)"
  head -c "$bytes" /dev/urandom >"$image.tmp"
  mv "$image.tmp" "$image"
fi
small="$out/small.bin"   # preflight file: odd size, not a multiple of any chunk
[ -f "$small" ] || head -c 1048693 /dev/urandom >"$small"

keys="$out/keys"
mkdir -p "$keys"
if [ ! -f "$keys/rsa.crt" ]; then
  log "generating RSA-2048 key and certificate"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/rsa.key" 2>/dev/null
  openssl pkey -in "$keys/rsa.key" -pubout -out "$keys/rsa.pub"
  openssl req -x509 -new -key "$keys/rsa.key" -subj "/CN=glance-sig bench RSA" -days 3650 -out "$keys/rsa.crt.tmp"
  mv "$keys/rsa.crt.tmp" "$keys/rsa.crt"
fi
if [ ! -f "$keys/ec.crt" ]; then
  log "generating ECDSA P-384 key and certificate"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$keys/ec.key" 2>/dev/null
  openssl pkey -in "$keys/ec.key" -pubout -out "$keys/ec.pub"
  openssl req -x509 -new -key "$keys/ec.key" -sha384 -subj "/CN=glance-sig bench ECDSA" -days 3650 -out "$keys/ec.crt.tmp"
  mv "$keys/ec.crt.tmp" "$keys/ec.crt"
fi

# The same keys in a SoftHSM2 token (scripts/setup.sh installs Debian's softhsm2): signing with a
# key that never leaves the token should cost what signing with the file costs, the hash.
hsm=""
hsm_module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  [ -f "$m" ] && { hsm_module=$m; break; }
done
if [ -n "$hsm_module" ] && command -v softhsm2-util >/dev/null; then
  hsm="$out/softhsm"
  export SOFTHSM2_CONF="$hsm/softhsm2.conf"
  if [ ! -f "$hsm/ready" ]; then
    log "importing the keys into a SoftHSM2 token ($hsm)"
    rm -rf "$hsm" && mkdir -p "$hsm/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$hsm/tokens" >"$SOFTHSM2_CONF"
    softhsm2-util --init-token --free --label bench --pin 4711 --so-pin 0815 >/dev/null
    for s in rsa ec; do
      openssl pkcs8 -topk8 -nocrypt -in "$keys/$s.key" -out "$hsm/$s.pk8"
      softhsm2-util --import "$hsm/$s.pk8" --token bench --label "$s" --id "$([ $s = rsa ] && echo 01 || echo 02)" --pin 4711 >/dev/null
      rm -f "$hsm/$s.pk8"
    done
    echo 4711 >"$hsm/pin"
    touch "$hsm/ready"
  fi
else
  log "SoftHSM2 is not installed (scripts/setup.sh installs it): no token rows"
fi

work="$out/run"
rm -rf "$work"
mkdir -p "$work"
# Measure a private copy of each glance-sig binary: a rebuild during the run cannot swap it.
gs_src="$GS"
gs_built="$(date -u -r "$GS" '+%F %T')"
cp "$GS" "$work/glance-sig" && GS="$work/glance-sig"
if [ -n "$ALT" ]; then alt_src="$ALT"; cp "$ALT" "$work/glance-sig-alt" && ALT="$work/glance-sig-alt"; fi

# --- helpers -----------------------------------------------------------------------------------
# Every key with both hashes: SHA-256 (SHA-NI on x86-64) and SHA-512 (no instructions: the
# assembly matters).
KEYS=("RSA-2048 PSS SHA-256" "RSA-2048 PSS SHA-512" "ECDSA P-384 SHA-256" "ECDSA P-384 SHA-512")
RSA="${KEYS[0]}"   # ImageSigner signs only this one
# key label -> key file name, hash bits, openssl digest, cursive key type, glance-sig hash method, tag
short() { case $1 in RSA*) echo rsa ;; *) echo ec ;; esac; }
hbits() { echo "${1##*SHA-}"; }
dgst() { echo "-sha$(hbits "$1")"; }
ktype() { [ "$(short "$1")" = rsa ] && echo RSA-PSS || echo ECC_SECP384R1; }
hmeth() { echo "SHA-$(hbits "$1")"; }
tagof() { echo "$(short "$1")$(hbits "$1")"; }

# Command builders, as a user would type the commands: each sets the array CMD (so that
# /usr/bin/time runs the tool itself, not a shell function); `run BUILDER ARGS...` runs it.
cmd_gs_sign() {  # BIN KEY IMAGE  (properties JSON on stdout)
  CMD=("$1" sign --image "$3" --key "$keys/$(short "$2").key" --hash-method "$(hmeth "$2")"
    --cert-uuid "$UUID" --cert "$keys/$(short "$2").crt")
}
cmd_gs_sign_hsm() {  # BIN KEY IMAGE  (the key in the SoftHSM2 token)
  CMD=("$1" sign --image "$3" --key "pkcs11:token=bench;object=$(short "$2")?pin-source=file:$hsm/pin&module-path=$hsm_module"
    --hash-method "$(hmeth "$2")" --cert-uuid "$UUID" --cert "$keys/$(short "$2").crt")
}
cmd_ossl_sign() {  # KEY IMAGE OUT
  CMD=(openssl dgst "$(dgst "$1")" -sign "$keys/$(short "$1").key")
  [ "$(short "$1")" != rsa ] || CMD+=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2)
  CMD+=(-out "$3" "$2")
}
cmd_ossl_verify() {  # KEY IMAGE SIG
  CMD=(openssl dgst "$(dgst "$1")" -verify "$keys/$(short "$1").pub")
  [ "$(short "$1")" != rsa ] || CMD+=(-sigopt rsa_padding_mode:pss)
  CMD+=(-signature "$3" "$2")
}
cmd_gs_verify() {  # BIN KEY IMAGE PROPS
  CMD=("$1" verify --image "$3" --cert "$keys/$(short "$2").crt" --properties "$4")
}
cmd_cursive_verify() {  # KEY IMAGE PROPS [CHUNK_KIB]
  CMD=("$PY" "$here/cursive_verify.py" --image "$2" --cert "$keys/$(short "$1").crt"
    --properties "$3" --chunk-kib "${4:-$CHUNK_KIB}")
}
cmd_imagesigner_sign() {  # IMAGE OUT  (RSA key, SHA-256)
  CMD=("$PY" "$here/imagesigner_sign.py" --image "$1" --key "$keys/rsa.key" --hash-method SHA-256 --out "$2")
}
cmd_py_startup() { CMD=("$PY" "$here/cursive_verify.py" --import-only); }
run() { local b=$1; shift; "cmd_$b" "$@"; "${CMD[@]}"; }
sigtool() { "$PY" "$here/sigtool.py" "$@"; }
props_of() { sigtool props "$2" "$(hmeth "$1")" "$(ktype "$1")" "$UUID" >"$3"; }  # KEY SIG OUT.json

# expect_ok WHAT CMD...: must exit 0. expect_reject WHAT CMD...: must exit 1 (a verdict, not a crash).
expect_ok() {
  local what=$1; shift
  "$@" >"$work/check.out" 2>&1 || { cat "$work/check.out" >&2; die "$what: expected success"; }
}
expect_reject() {
  local what=$1 rc=0; shift
  "$@" >"$work/check.out" 2>&1 || rc=$?
  [ "$rc" = 1 ] || { cat "$work/check.out" >&2; die "$what: expected a rejection (exit 1), got exit $rc"; }
}

# --- preflight: every signer's output accepted by every verifier; a flipped bit rejected by all --
preflight() {
  local bin=$1 k s p="$work/pre"
  for k in "${KEYS[@]}"; do
    s=$(tagof "$k")
    run gs_sign "$bin" "$k" "$small" >"$p-gs-$s.json" || die "preflight: glance-sig sign ($k) failed"
    sigtool raw "$p-gs-$s.json" "$p-gs-$s.sig"
    run ossl_sign "$k" "$small" "$p-ossl-$s.sig" || die "preflight: openssl sign ($k) failed"
    props_of "$k" "$p-ossl-$s.sig" "$p-ossl-$s.json"
    local signers="gs ossl"
    if [ "$k" = "$RSA" ]; then
      run imagesigner_sign "$small" "$p-isdk-$s.sig" || die "preflight: ImageSigner failed"
      props_of "$k" "$p-isdk-$s.sig" "$p-isdk-$s.json"
      signers="gs ossl isdk"
    fi
    local who
    for who in $signers; do
      expect_ok "preflight: openssl verifies $who ($k)" run ossl_verify "$k" "$small" "$p-$who-$s.sig"
      expect_ok "preflight: cursive verifies $who ($k)" run cursive_verify "$k" "$small" "$p-$who-$s.json"
      expect_ok "preflight: glance-sig verifies $who ($k)" run gs_verify "$bin" "$k" "$small" "$p-$who-$s.json"
      sigtool flip "$p-$who-$s.sig" "$p-$who-$s.bad.sig"
      props_of "$k" "$p-$who-$s.bad.sig" "$p-$who-$s.bad.json"
      expect_reject "preflight: openssl rejects flipped $who ($k)" run ossl_verify "$k" "$small" "$p-$who-$s.bad.sig"
      expect_reject "preflight: cursive rejects flipped $who ($k)" run cursive_verify "$k" "$small" "$p-$who-$s.bad.json"
      expect_reject "preflight: glance-sig rejects flipped $who ($k)" run gs_verify "$bin" "$k" "$small" "$p-$who-$s.bad.json"
    done
  done
}

# --- measurement ------------------------------------------------------------------------------
# Measurements are queued with `queue`, then run round-robin by `run_rounds`: round 1 runs every
# queued command once, then round 2, ... so that a burst of load from elsewhere on the machine
# hits all tools alike instead of one tool's runs.
US=$'\x1f'
queue_=()                                   # TOOL US OP US KEY US TAG US BUILDER US ARGS...
declare -A best_wall best_cpu peak_kib
order=()                                    # tags in report order
declare -A row_of                           # tag -> "tool \t op \t key"
# queue TOOL OP KEY TAG BUILDER ARGS...: @RUN@ in an argument becomes the run number; stdout of
# run N goes to $work/TAG.N.out.
queue() {
  local IFS="$US"
  queue_+=("$*")
  order+=("$4")
  row_of[$4]="$1"$'\t'"$2"$'\t'"$3"
}
run_rounds() {
  local i spec tool op key tag builder arg wall kib usr sys cpu cmd rest
  for ((i = 1; i <= RUNS; i++)); do
    log "round $i of $RUNS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for spec in "${queue_[@]}"; do
      IFS="$US" read -r -a rest <<<"$spec"
      tool=${rest[0]} op=${rest[1]} key=${rest[2]} tag=${rest[3]} builder=${rest[4]}
      "cmd_$builder" "${rest[@]:5}"
      cmd=()
      for arg in "${CMD[@]}"; do cmd+=("${arg//@RUN@/$i}"); done
      cat "$image" >/dev/null
      if ! /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" "${cmd[@]}" >"$work/$tag.$i.out" 2>"$work/$tag.$i.err"; then
        cat "$work/$tag.$i.err" >&2
        die "$tool $op ($key) run $i failed: ${cmd[*]}"
      fi
      read -r wall kib usr sys < <(tail -n 1 "$work/time.txt")
      cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
      log "  $tool, $op, $key: ${wall} s wall, ${cpu} s CPU, ${kib} KiB"
      if [ -z "${best_wall[$tag]:-}" ] || awk -v a="$wall" -v b="${best_wall[$tag]}" 'BEGIN { exit !(a < b) }'; then
        best_wall[$tag]=$wall
      fi
      if [ -z "${best_cpu[$tag]:-}" ] || awk -v a="$cpu" -v b="${best_cpu[$tag]}" 'BEGIN { exit !(a < b) }'; then
        best_cpu[$tag]=$cpu
      fi
      if [ "$kib" -gt "${peak_kib[$tag]:-0}" ]; then peak_kib[$tag]=$kib; fi
    done
  done
  queue_=()
}

# check_sigs KEY TAG KIND: every run's signature of TAG verified by openssl, the first by cursive.
# KIND: json (glance-sig properties on stdout) or sig (raw signature in TAG.N.sig).
check_sigs() {
  local k=$1 tag=$2 kind=$3 i sig
  for ((i = 1; i <= RUNS; i++)); do
    sig="$work/$tag.$i.sig"
    [ "$kind" = sig ] || sigtool raw "$work/$tag.$i.out" "$sig"
    [ -s "$sig" ] || die "$tag run $i produced no signature"
    expect_ok "openssl verifies $tag run $i ($k)" run ossl_verify "$k" "$image" "$sig"
  done
  [ "$kind" = sig ] || cp "$work/$tag.1.out" "$work/$tag.json"
  [ "$kind" = json ] || props_of "$k" "$work/$tag.1.sig" "$work/$tag.json"
  expect_ok "cursive verifies $tag run 1 ($k)" run cursive_verify "$k" "$image" "$work/$tag.json" 1024
  log "  checked: ${RUNS} signature(s) from $tag verify with openssl, run 1 with cursive"
}

log "preflight on a $(stat -c %s "$small")-byte file"
preflight "$GS"
[ -z "$ALT" ] || preflight "$ALT"
log "preflight passed: all signers' output verifies everywhere; flipped signatures are rejected"

cursive_label="cursive ($CHUNK_KIB KiB chunks)"
log "image: $image ($SIZE_MIB MiB), $RUNS round(s)"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# sign
for k in "${KEYS[@]}"; do
  s=$(tagof "$k")
  queue "glance-sig" sign "$k" "gs-sign-$s" gs_sign "$GS" "$k" "$image"
  [ -z "$hsm" ] || queue "glance-sig, key in SoftHSM2" sign "$k" "hsm-sign-$s" gs_sign_hsm "$GS" "$k" "$image"
  [ -z "$ALT" ] || queue "glance-sig (alt)" sign "$k" "alt-sign-$s" gs_sign "$ALT" "$k" "$image"
  queue "openssl dgst" sign "$k" "ossl-sign-$s" ossl_sign "$k" "$image" "$work/ossl-sign-$s.@RUN@.sig"
done
queue "openstacksdk ImageSigner" sign "$RSA" "isdk-sign-rsa256" imagesigner_sign "$image" "$work/isdk-sign-rsa256.@RUN@.sig"
run_rounds
log "checking every signature produced"
for k in "${KEYS[@]}"; do
  s=$(tagof "$k")
  check_sigs "$k" "gs-sign-$s" json
  [ -z "$hsm" ] || check_sigs "$k" "hsm-sign-$s" json
  [ -z "$ALT" ] || check_sigs "$k" "alt-sign-$s" json
  check_sigs "$k" "ossl-sign-$s" sig
done
check_sigs "$RSA" "isdk-sign-rsa256" sig

# verify: every verifier checks glance-sig's run-1 signature (exit 0 required)
for k in "${KEYS[@]}"; do
  s=$(tagof "$k")
  props="$work/gs-sign-$s.json"
  queue "glance-sig" verify "$k" "gs-verify-$s" gs_verify "$GS" "$k" "$image" "$props"
  [ -z "$ALT" ] || queue "glance-sig (alt)" verify "$k" "alt-verify-$s" gs_verify "$ALT" "$k" "$image" "$props"
  queue "openssl dgst" verify "$k" "ossl-verify-$s" ossl_verify "$k" "$image" "$work/gs-sign-$s.1.sig"
  queue "$cursive_label" verify "$k" "cursive-verify-$s" cursive_verify "$k" "$image" "$props"
done
queue "python + cursive imports only" startup "-" "py-startup" py_startup
run_rounds
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

rows=()   # tool \t operation \t key \t best wall s \t peak RSS KiB \t best CPU s
for tag in "${order[@]}"; do
  rows+=("${row_of[$tag]}"$'\t'"${best_wall[$tag]}"$'\t'"${peak_kib[$tag]}"$'\t'"${best_cpu[$tag]}")
done
printf '%s\n' "${rows[@]}" >"$work/results.tsv"

# --- report ------------------------------------------------------------------------------------
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
pyv="$("$PY" -c 'from importlib.metadata import version as v; import platform; print("Python", platform.python_version(), "· cursive", v("cursive"), "· openstacksdk", v("openstacksdk"), "· cryptography", v("cryptography"))')"
echo "## glance-sig benchmark: $SIZE_MIB MiB image, best of $RUNS"
echo
echo "$("$GS" --version) ($gs_src, built $gs_built UTC, sha256 $(sha256sum "$GS" | cut -c1-12))${ALT:+ · alt: $alt_src (sha256 $(sha256sum "$ALT" | cut -c1-12))}"
echo "$(openssl version) · $pyv"
echo "CPU: ${cpu:-unknown}, $(nproc) cores · $(uname -sr) · page cache warm before every run"
echo "Load average (1/5/15 min) at start: $load_start; at end: $load_end"
echo
echo "| tool | operation | key | wall s (best) | MB/s | peak RSS MiB | CPU s (best) |"
echo "|---|---|---|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
  printf '%s\n' "$r"
done | awk -F'\t' -v bytes="$bytes" '{
  mbs = ($2 == "startup") ? "-" : ($4 > 0 ? sprintf("%.0f", bytes / 1e6 / $4) : "n/a")
  printf "| %s | %s | %s | %.2f | %s | %.1f | %.2f |\n", $1, $2, $3, $4, mbs, $5 / 1024, $6
}'
echo
echo "Wall time by GNU time (%e, 10 ms resolution); MB/s = 10^6 bytes/s over the whole process"
echo "(start-up and key loading included); peak RSS = highest %M over the runs; CPU = user+sys"
echo "(%U+%S), lowest over the runs: less sensitive than wall time to other load on the machine."
echo "Runs are interleaved round-robin across tools. cursive is fed"
echo "$CHUNK_KIB KiB chunks (Glance's filesystem store writes and verifies 64 KiB chunks);"
echo "ImageSigner reads 128 MiB chunks itself (IterableChunkedFile default). Verifiers all check"
echo "glance-sig's signature; every signature produced was verified with openssl (and run 1 with cursive)."
echo

# targets: glance-sig verify wall <= 0.85x openssl's with SHA-256 and <= 1.0x with SHA-512, sign
# wall <= 1.0x openssl's; glance-sig peak RSS <= 16 MiB
missed=0
limit_of() { [ "$1" = verify ] && [ "$(hbits "$2")" = 256 ] && echo 0.85 || echo 1.00; }
echo "**Targets**"
echo
lookup() { for r in "${rows[@]}"; do IFS=$'\t' read -r t o k w m c <<<"$r"; [ "$t|$o|$k" = "$1|$2|$3" ] && { echo "$w $m $c"; return; }; done; }
for g in "glance-sig" ${ALT:+"glance-sig (alt)"}; do
  for o in sign verify; do
    for k in "${KEYS[@]}"; do
      read -r gw gm gc <<<"$(lookup "$g" "$o" "$k")"
      read -r ow _ oc <<<"$(lookup "openssl dgst" "$o" "$k")"
      lim=$(limit_of "$o" "$k")
      if awk -v a="$gw" -v b="$ow" -v l="$lim" 'BEGIN { exit !(a <= b * l) }'; then v=PASS; else v=FAIL; missed=1; fi
      ratio=$(awk -v a="$gw" -v b="$ow" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
      cratio=$(awk -v a="$gc" -v b="$oc" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
      if [ "$gm" -le 16384 ]; then m=PASS; else m=FAIL; missed=1; fi
      printf -- '- %s %s, %s: wall %.2f s vs openssl %.2f s (x%s <= x%s) -> **%s** (CPU x%s); peak RSS %.1f MiB <= 16 MiB -> **%s**\n' \
        "$g" "$o" "$k" "$gw" "$ow" "$ratio" "$lim" "$v" "$cratio" "$(awk -v m="$gm" 'BEGIN { print m / 1024 }')" "$m"
    done
  done
done
if [ -n "$hsm" ]; then
  for k in "${KEYS[@]}"; do
    read -r hw _ hc <<<"$(lookup "glance-sig, key in SoftHSM2" sign "$k")"
    read -r fw _ fc <<<"$(lookup "glance-sig" sign "$k")"
    printf -- '- glance-sig sign, %s, key in SoftHSM2 vs key file: wall %.2f s vs %.2f s (x%s; the token adds %+.2f s), CPU x%s\n' \
      "$k" "$hw" "$fw" "$(awk -v a="$hw" -v b="$fw" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$hw" -v b="$fw" 'BEGIN { print a - b }')" "$(awk -v a="$hc" -v b="$fc" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  done
fi
if [ "$missed" = 1 ]; then
  log "a target was missed (see the footer)"
  [ "${BENCH_STRICT:-0}" != 1 ] || exit 3
fi
