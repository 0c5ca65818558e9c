#!/usr/bin/env bash
# Fuzzes the parsers that take input from files and from the cloud (cargo-fuzz, libFuzzer),
# then keeps what was found: the minimized corpus in fuzz/corpus/<target>/ and any crash
# reproducer in fuzz/regressions/<target>/, both replayed on stable by
# `cargo test -p glance-sig-fuzz` (part of scripts/test.sh).
#
#   scripts/fuzz/run.sh [TARGET...]        every target (crates/glance-sig-fuzz/src/lib.rs) by default
#   FUZZ_SECONDS=600 (per target)  FUZZ_JOBS=2 (targets at once)
#
# Installs what it needs, pinned, and skips what is there: the nightly toolchain (libFuzzer
# needs -Zsanitizer) and cargo-fuzz. Ends with one line per target: its time, executions,
# corpus size and crashes; exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD
CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
say() { printf 'fuzz: %s\n' "$*" >&2; }

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  cargo +nightly install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v glance-sig-fuzz-targets)
fi
say "building ${#targets[@]} targets (nightly, address sanitizer)"
(cd fuzz && cargo +nightly fuzz build -O)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seeds=$work/seeds
py=$("$repo/scripts/peers/setup.sh")
"$py" scripts/fuzz/seed.py "$seeds" >/dev/null

fuzz_one() { # target
  local t=$1 corpus=$repo/fuzz/corpus/$1 scratch=$work/$1 log=$work/$1.log
  mkdir -p "$corpus" "$scratch" "$repo/fuzz/regressions/$t" "$work/artifacts/$t"
  cp -n "$corpus"/* "$scratch"/ 2>/dev/null || true
  cp -n "$seeds/$t"/* "$scratch"/ 2>/dev/null || true
  local start=$SECONDS rc=0
  # Slow inputs (a key asking for the KDF's cap) are not crashes: a long -timeout.
  (cd fuzz && cargo +nightly fuzz run -O "$t" "$scratch" -- \
      -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1) >"$log" 2>&1 || rc=$?
  local took=$((SECONDS - start))
  local crashes=0
  for artifact in "$work/artifacts/$t"/*; do
    [ -e "$artifact" ] || continue
    cp "$artifact" "$repo/fuzz/regressions/$t/"
    crashes=$((crashes + 1))
  done
  # Keep the smallest corpus with the same coverage.
  rm -rf "$corpus" && mkdir -p "$corpus"
  (cd fuzz && cargo +nightly fuzz cmin -O "$t" "$scratch" -- -artifact_prefix="$work/artifacts/$t/") >/dev/null 2>&1 || true
  cp "$scratch"/* "$corpus"/
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  printf '%s: %ss, %s executions, corpus %s inputs, %s crashes (exit %s)\n' \
    "$t" "$took" "${runs:-?}" "$(ls "$corpus" | wc -l)" "$crashes" "$rc" >"$work/$t.summary"
  [ "$crashes" -eq 0 ] || { say "$t crashed: see $repo/fuzz/regressions/$t/"; tail -n 40 "$log" >&2; }
}

running=0
for t in "${targets[@]}"; do
  say "$t: ${seconds}s"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
status=0
for t in "${targets[@]}"; do
  cat "$work/$t.summary"
  grep -q ', 0 crashes' "$work/$t.summary" || status=1
done
exit $status
