#!/usr/bin/env bash
# Benchmarks the portal's signing path in Chromium: hashing + signing a 1 GiB and a 4 GiB file
# in the portal's worker code (the jco-transpiled component, files read in Blob slices), against
# the component's in-memory rate in the same browser (one zero chunk fed repeatedly to a signing
# session). Prints a table.
#
#   bench/portal.sh                  1 GiB and 4 GiB
#   BENCH_SIZES_GIB="1" bench/portal.sh
#   BENCH_SLICES="4,8,16" bench/portal.sh   compare slice sizes (MiB)
#
# Files are random bytes under bench/out/portal/ (gitignored), made once and reused.
# Needs a built portal (scripts/portal/build.sh) and Chromium (scripts/portal/setup.sh). The
# benchmark's worker (bench/bench-worker.js: the portal's ops.js plus timing operations) goes
# into a copy of dist/ (bench/out/portal/dist), never into dist/ itself.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/bench/out/portal
port=${BENCH_PORT:-8090}
mkdir -p "$out"

[ -f "$repo/dist/index.html" ] || "$repo/scripts/portal/build.sh"

files=()
for gib in ${BENCH_SIZES_GIB:-1 4}; do
  file=$out/random-${gib}GiB.bin
  if [ "$(stat -c %s "$file" 2>/dev/null || echo 0)" != $((gib * 1024 * 1024 * 1024)) ]; then
    echo "bench: writing $file" >&2
    head -c $((gib * 1024 * 1024 * 1024)) /dev/urandom >"$file.tmp"
    mv "$file.tmp" "$file"
  fi
  files+=("$file")
done

served=$out/dist
rm -rf "$served"
cp -r "$repo/dist" "$served"
cp "$here/bench-worker.js" "$served/worker/bench-worker.js"

node "$repo/scripts/portal/serve.mjs" --root "$served" --port "$port" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

node "$here/portal-bench.mjs" "http://127.0.0.1:$port/" "${files[@]}" | tee "$out/result.md"
