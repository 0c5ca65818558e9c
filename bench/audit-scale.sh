#!/usr/bin/env bash
# bench/audit-scale.sh: `glance-sig audit` over a large catalog. Seeds the running local cloud
# (scripts/cloud/stack.sh start) with BENCH_IMAGES small images through the Glance API, many
# requests at once (half signed, Glance verifying each; a tenth partially signed; the rest
# unsigned: BENCH_SIGNED_PCT, BENCH_UNSIGNED_DATA), then measures `audit --json` and `audit --verify --json` (--jobs 1 and
# BENCH_JOBS): wall time, peak RSS, CPU, and the cost per image. Deletes the seeded images at the
# end (BENCH_KEEP=1 keeps them). Prints a markdown table on stdout; progress on stderr. Not part
# of scripts/test.sh: seeding 10,000 images takes minutes.
#
# Environment:
#   BENCH_IMAGES     images to seed (default 10000)
#   BENCH_SIZE       bytes per image (default 4096)
#   BENCH_THREADS    concurrent seeding requests (default 2: the local Glance writes to SQLite,
#                    which takes one writer at a time; more only add refused writes and retries)
#   BENCH_SIGNED_PCT percent of the images signed, with data (default 50)
#   BENCH_UNSIGNED_DATA=0  unsigned and partially signed images as records without data (one
#                    request each: seeds faster; they are audited as queued)
#   BENCH_SEED_SECONDS  stop seeding after this many seconds (default: no limit); the table
#                    then counts the images seeded
#   BENCH_JOBS       --jobs of the parallel --verify run (default 4)
#   BENCH_SERIAL=0   skip the --verify --jobs 1 run
#   BENCH_KEEP=1     keep the seeded images (delete later: seed_images.py delete --tag TAG;
#                    deleting takes about as long as seeding, `stack.sh start` wipes them at once)
#   GLANCE_SIG       the binary (default target/release/glance-sig)
#   GLANCE_SIG_STACK_DIR  the stack's state dir, as stack.sh (default .stack)
#   BENCH_PYTHON     python with openstacksdk (default: what scripts/peers/setup.sh prints)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
log() { echo "audit-scale: $*" >&2; }
die() { log "$*"; exit 1; }

IMAGES=${BENCH_IMAGES:-10000}
SIZE=${BENCH_SIZE:-4096}
THREADS=${BENCH_THREADS:-2}
JOBS=${BENCH_JOBS:-4}
for v in IMAGES SIZE THREADS JOBS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer, got '${!v}'"
done
GS=${GLANCE_SIG:-$root/target/release/glance-sig}
[ -x "$GS" ] || die "$GS is not built: cargo build --release -p glance-sig-cli"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
state=${GLANCE_SIG_STACK_DIR:-$root/.stack}
clouds="$state/clouds.yaml"
"$root/scripts/cloud/stack.sh" status >/dev/null 2>&1 \
  || die "the local cloud does not answer: scripts/cloud/stack.sh start (state dir $state)"
PY=${BENCH_PYTHON:-$("$root/scripts/peers/setup.sh")}

export OS_CLIENT_CONFIG_FILE=$clouds OS_CLOUD=glance-sig-demo
while IFS= read -r name; do
  case $name in OS_CLIENT_CONFIG_FILE | OS_CLOUD) ;; *) unset "$name" ;; esac
done < <(env | sed -n 's/^\(OS_[A-Za-z0-9_]*\)=.*/\1/p')

tag="gs-scale-$(date -u +%Y%m%d%H%M%S)-$$"
work=$(mktemp -d)
cleanup() {
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "keeping the images tagged $tag (delete: $PY $here/seed_images.py delete --cloud $OS_CLOUD --tag $tag)"
  else
    log "deleting the images tagged $tag"
    "$PY" "$here/seed_images.py" delete --cloud "$OS_CLOUD" --tag "$tag" --threads "$THREADS" >&2 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log "seeding $IMAGES images of $SIZE bytes, $THREADS requests at once (load average $(cut -d' ' -f1-3 /proc/loadavg))"
seed_opts=(--signed-percent "${BENCH_SIGNED_PCT:-50}")
[ "${BENCH_UNSIGNED_DATA:-1}" = 1 ] || seed_opts+=(--no-unsigned-data)
[ -z "${BENCH_SEED_SECONDS:-}" ] || seed_opts+=(--max-seconds "$BENCH_SEED_SECONDS")
seeded=$("$PY" "$here/seed_images.py" seed --cloud "$OS_CLOUD" --count "$IMAGES" --tag "$tag" \
  --threads "$THREADS" --size "$SIZE" "${seed_opts[@]}")
log "seeded: $seeded"

rows=()
# measure LABEL ARGS...: one run of glance-sig under GNU time; the JSON report kept in $work.
measure() {
  local label=$1 rc=0 wall kib usr sys n
  shift
  log "$label: glance-sig $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$GS" "$@" >"$work/$label.json" 2>"$work/$label.err" || rc=$?
  [ "$rc" -le 1 ] || { cat "$work/$label.err" >&2; die "$label: exit $rc"; }
  read -r wall kib usr sys < <(tail -n 1 "$work/time")
  n=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["images"])' "$work/$label.json")
  rows+=("$(awk -v l="$label" -v w="$wall" -v k="$kib" -v u="$usr" -v s="$sys" -v n="$n" 'BEGIN {
    printf "| %s | %d | %.1f | %.2f | %.1f | %.2f |", l, n, w, w * 1000 / n, k / 1024, u + s }')")
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
measure "audit" audit --json
[ "${BENCH_SERIAL:-1}" = 0 ] || measure "audit --verify --jobs 1" audit --json --verify --jobs 1 --progress never
measure "audit --verify --jobs $JOBS" audit --json --verify --jobs "$JOBS" --progress never
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# The parallel run's report is the serial run's.
if [ "${BENCH_SERIAL:-1}" != 0 ]; then
  cmp -s "$work/audit --verify --jobs 1.json" "$work/audit --verify --jobs $JOBS.json" \
    || die "--jobs $JOBS gave another report than --jobs 1"
fi

echo "## glance-sig audit over a seeded catalog ($IMAGES images asked for, $SIZE bytes each)"
echo
echo "$("$GS" --version) · $(nproc) cores · ${BENCH_SIGNED_PCT:-50}% signed · unsigned with data: ${BENCH_UNSIGNED_DATA:-1} · seeding: $seeded"
echo "Load average (1/5/15 min) at start: $load_start; at end: $load_end"
echo
echo "| run | images | wall s | ms per image | peak RSS MiB | CPU s |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "The catalog is every image the demo user lists (the seeded ones and any others); --verify"
echo "downloads every signed active image. The local cloud runs on the same cores as glance-sig."
