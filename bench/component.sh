#!/usr/bin/env bash
# bench/component.sh: SHA-256 verify throughput of one 1 GiB file through the native core, the
# WebAssembly component under wasmtime (glance-sig --engine component) and the component under
# jco/Node (web/component/glance-sig-node.mjs), next to the in-memory SHA-256 rate of the same
# builds. Prints one markdown table on stdout; progress goes to stderr.
#
#   bench/component.sh           run (first use writes bench/out/component/: image, properties)
#   bench/component.sh --clean   delete bench/out/component/ and exit
#
# Environment:
#   BENCH_SIZE_MIB   image size in MiB (default 1024)
#   BENCH_RUNS       runs per measurement, best kept (default 5)
#   GLANCE_SIG       the glance-sig binary (default target/release/glance-sig)
#   GLANCE_SIG_BENCH the in-memory hash-rate binary (default: built here with
#                    cargo build --release -p glance-sig-cli --features bench --bin glance-sig-bench;
#                    a test hook, not part of the glance-sig users run)
#   BENCH_STRICT=1   exit 3 when a component path streams below 0.95x its in-memory rate
#
# Method. Streaming: `glance-sig verify --json --no-explain` of a valid RSA-2048/SHA-256
# signature over the file (page cache warmed first), wall time by `date +%s%N`; each engine's
# fixed cost (process start, loading the component) is measured on a 1-byte image with the same
# key and subtracted, so "stream MB/s" is the rate of reading + copying into the component +
# hashing. In-memory: the engine's public signing session fed 1 MiB chunks of zeros already in
# memory (no file read), timed around the feeding only: natively (`glance-sig-bench --engine
# native`), the component under wasmtime (`glance-sig-bench --engine component`: each chunk is
# copied into wasm memory, as any host does) and the jco-transpiled component under Node (the
# same session). Ratio = stream MB/s / in-memory MB/s of the same engine. MB = 10^6 bytes. Runs interleave the engines round-robin.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_args out/component "$@"

size_mib=${BENCH_SIZE_MIB:-1024}
runs=${BENCH_RUNS:-5}
bytes=$((size_mib * 1024 * 1024))
gs=${GLANCE_SIG:-$root/target/release/glance-sig}
component=${GLANCE_SIG_COMPONENT:-$root/target/component/glance_sig_component.wasm}
node_shim=$root/web/component/glance-sig-node.mjs
dist=$root/web/component/dist/glance-sig.js
key=$root/crates/glance-sig-core/tests/data/rsa2048-key.pem
cert=$root/crates/glance-sig-core/tests/data/rsa2048-cert.pem

[ -x "$gs" ] || die "no glance-sig at $gs (cargo build --release -p glance-sig-cli)"
if [ -n "${GLANCE_SIG_BENCH:-}" ]; then
  gs_bench=$GLANCE_SIG_BENCH
else
  log "building glance-sig-bench (cargo build --release -p glance-sig-cli --features bench --bin glance-sig-bench)"
  (cd "$root" && cargo build --release -p glance-sig-cli --features bench --bin glance-sig-bench >&2)
  gs_bench=${CARGO_TARGET_DIR:-$root/target}/release/glance-sig-bench
fi
[ -x "$gs_bench" ] || die "no glance-sig-bench at $gs_bench"
[ -f "$component" ] && [ -f "$dist" ] || die "no component or no jco output (scripts/component/build.sh)"
mkdir -p "$out"
# Copies, so that a rebuild during the run cannot swap the binaries.
cp "$gs" "$out/glance-sig"
gs=$out/glance-sig
cp "$gs_bench" "$out/glance-sig-bench"
gs_bench=$out/glance-sig-bench
export GLANCE_SIG_COMPONENT=$component

image=$out/image-${size_mib}MiB.raw
if [ ! -f "$image" ] || [ "$(stat -c %s "$image")" != "$bytes" ]; then
  log "writing $image ($size_mib MiB of random data)"
  head -c "$bytes" /dev/urandom > "$image.tmp" && mv "$image.tmp" "$image"
fi
head -c 1 "$image" > "$out/one-byte.raw"
for img in "$image" "$out/one-byte.raw"; do
  [ -f "$img.props.json" ] && [ "$img.props.json" -nt "$img" ] && continue
  "$gs" sign --image "$img" --key "$key" --hash-method SHA-256 --cert-uuid bench > "$img.props.json"
done

now_ns() { date +%s%N; }

# verify ENGINE IMAGE: prints seconds; fails unless the signature is valid.
verify() {
  local engine=$1 img=$2 t0 t1
  local args=(verify --image "$img" --cert "$cert" --properties "$img.props.json" --json --no-explain)
  t0=$(now_ns)
  case $engine in
    native) "$gs" "${args[@]}" --engine native ;;
    wasmtime) "$gs" "${args[@]}" --engine component ;;
    node) node "$node_shim" "${args[@]}" ;;
  esac > "$out/verify-$engine.json" || die "$engine: verify of $img failed (see $out/verify-$engine.json)"
  t1=$(now_ns)
  echo "scale=6; ($t1 - $t0) / 1000000000" | bc
}

# inmem ENGINE: prints MB/s of hashing $bytes zeros in memory in that engine.
bench_key=$root/crates/glance-sig-core/tests/data/p384-key.pem
cat > "$out/hash-zeros.mjs" <<EOF
import { readFileSync } from "node:fs";
const gs = await import(process.argv[2]);
const n = Number(process.argv[3]);
const key = gs.keys.PrivateKey.parse(readFileSync(process.argv[4]), undefined);
const signing = gs.sessions.Signing.start(key, undefined, "sha256", "bench", 0n);
const chunk = new Uint8Array(1 << 20);
const t0 = process.hrtime.bigint();
for (let done = 0; done < n; done += chunk.length) {
  signing.update(n - done >= chunk.length ? chunk : chunk.subarray(0, n - done));
}
signing.finish();
const s = Number(process.hrtime.bigint() - t0) / 1e9;
console.log((n / s / 1e6).toFixed(1));
EOF
inmem() {
  case $1 in
    native|wasmtime)
      local e=native; [ "$1" = wasmtime ] && e=component
      "$gs_bench" --engine $e --mib "$size_mib" --hash-method SHA-256 --key "$bench_key" \
        | python3 -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["mb_per_s"])' ;;
    node) node "$out/hash-zeros.mjs" "file://$dist" "$bytes" "$bench_key" ;;
  esac
}

engines=(native wasmtime node)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up: the page cache, wasmtime's compilation cache, Node's module loading.
cat "$image" > /dev/null
for e in "${engines[@]}"; do verify "$e" "$out/one-byte.raw" > /dev/null; done

declare -A best_full best_fixed best_mem
for ((r = 1; r <= runs; r++)); do
  for e in "${engines[@]}"; do
    cat "$image" > /dev/null
    full=$(verify "$e" "$image")
    fixed=$(verify "$e" "$out/one-byte.raw")
    mem=$(inmem "$e")
    log "run $r/$runs $e: verify ${full}s, fixed cost ${fixed}s, in-memory ${mem} MB/s"
    if [ -z "${best_full[$e]:-}" ] || (( $(echo "$full < ${best_full[$e]}" | bc) )); then best_full[$e]=$full; fi
    if [ -z "${best_fixed[$e]:-}" ] || (( $(echo "$fixed < ${best_fixed[$e]}" | bc) )); then best_fixed[$e]=$fixed; fi
    if [ -z "${best_mem[$e]:-}" ] || (( $(echo "$mem > ${best_mem[$e]}" | bc) )); then best_mem[$e]=$mem; fi
  done
done

missed=0
echo "SHA-256 verify of a ${size_mib} MiB file (RSA-2048), best of $runs; MB = 10^6 bytes;"
echo "$(nproc) CPUs, load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| engine | verify wall (s) | fixed cost (s) | end-to-end MB/s | stream MB/s | in-memory hash MB/s (same build) | stream / in-memory |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for e in "${engines[@]}"; do
  full=${best_full[$e]} fixed=${best_fixed[$e]} mem=${best_mem[$e]}
  e2e=$(echo "scale=1; $bytes / $full / 1000000" | bc)
  stream=$(echo "scale=1; $bytes / ($full - $fixed) / 1000000" | bc)
  ratio=$(echo "scale=3; $stream / $mem" | bc)
  label=$e
  case $e in
    native) label="native core" ;;
    wasmtime) label="component, wasmtime 48.0.8" ;;
    node) label="component, jco 1.35.0 / Node $(node --version)" ;;
  esac
  printf '| %s | %.2f | %.2f | %.1f | %.1f | %.1f | %.3f |\n' "$label" "$full" "$fixed" "$e2e" "$stream" "$mem" "$ratio"
  if [ "$e" != native ] && (( $(echo "$ratio < 0.95" | bc) )); then missed=1; fi
done
echo
if [ "$missed" = 1 ]; then
  echo "Target (component paths >= 0.95x their in-memory rate): MISSED"
  [ "${BENCH_STRICT:-0}" = 1 ] && exit 3
else
  echo "Target (component paths >= 0.95x their in-memory rate): met"
fi
