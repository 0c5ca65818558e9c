#!/usr/bin/env bash
# Runs every test of the project, installing what they need first (scripts/setup.sh):
#   formatting and lints, the Rust tests (unit, Wycheproof, CLI), the interop suite against
#   OpenSSL, cursive and openstacksdk through every engine (native, wasmtime, jco/node, and the
#   portal's worker in headless Chromium), signing keys in a PKCS#11 token and behind signer
#   commands, and the integration tests against a real local Keystone + Barbican + Glance.
# Ends with one line: "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
logs=$(mktemp -d)
passed=0
failed=0
failed_stages=()

# Runs a stage, keeps its output, and adds up the counts its test runner printed.
stage() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local log="$logs/$(echo "$name" | tr -c 'a-zA-Z0-9' '_').log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  # cargo test: "test result: ok. 10 passed; 0 failed; ..."
  p=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
  # pytest / node: "== 12 passed, 1 failed in 3.2s ==" or "# pass 12"
  local py
  py=$(grep -E '^(=+ )?[0-9]+ (passed|failed).* in [0-9.]+s' "$log" | tail -n 1)
  if [ -n "$py" ]; then
    p=$((p + $(echo "$py" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)))
    f=$((f + $(echo "$py" | grep -Eo '[0-9]+ (failed|error|errors)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')))
  fi
  # node --test: "# pass 14" / "# fail 0"
  p=$((p + $(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then
    failed_stages+=("$name")
    # A stage that failed without counting a failed test still counts as one failure.
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
  return 0
}

stage "setup" scripts/setup.sh
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "setup failed: nothing else can run"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
stage "rustfmt" cargo fmt --all --check
native=(-p glance-sig-core -p glance-sig-cli -p openstack-proto -p glance-sig-fuzz)
stage "clippy" cargo clippy --release --all-targets --locked "${native[@]}" -- -D warnings
# The core without its crypto (what the portal's page links) and the bench-only binary.
stage "clippy (core without crypto; glance-sig-bench)" bash -c \
  'cargo clippy --release --locked -p glance-sig-core --no-default-features -- -D warnings &&
   cargo clippy --release --locked -p glance-sig-cli --features bench --bin glance-sig-bench -- -D warnings' 
stage "cargo test" cargo test --release --locked "${native[@]}"
# The portal's state, configuration and flows logic is plain Rust: its unit tests run natively.
stage "cargo test (portal logic)" cargo test --release --locked -p glance-sig-portal --lib
# The portal as the browser runs it: wasm-only code is linted too.
stage "clippy (portal, wasm32)" cargo clippy --release --locked -p glance-sig-portal \
  --target wasm32-unknown-unknown -- -D warnings

py=$(scripts/peers/setup.sh)
interop() { # binary [other engines to compare every verify with, `:`-separated]
  env GLANCE_SIG_BIN="$1" GLANCE_SIG_COMPARE="${2:-}" "$py" -m pytest -q -p no:cacheprovider tests/interop
}
engines=(native)
[ -x scripts/component/glance-sig-wasmtime ] && engines+=(wasmtime)
[ -x scripts/component/glance-sig-node ] && engines+=(node)
[ -x scripts/component/glance-sig-browser ] && engines+=(browser)
bin_of() { # engine
  case $1 in
    native) echo "$repo/target/release/glance-sig" ;;
    *) echo "$repo/scripts/component/glance-sig-$1" ;;
  esac
}
# The browser engine runs in the portal built by setup (dist/): one warm headless Chromium,
# started first (so its start is not charged to a case) and stopped at the end.
browser=$(bin_of browser)
[ -x "$browser" ] && "$browser" --daemon start >/dev/null
others=()
for engine in "${engines[@]:1}"; do others+=("$(bin_of "$engine")"); done
# The native run also sends every verify of the suite through the other engines and requires
# the same exit code and the same report, byte for byte.
stage "interop (native; every verify compared with ${engines[*]:1})" \
  interop "$(bin_of native)" "$(IFS=:; echo "${others[*]}")"
for engine in "${engines[@]:1}"; do
  stage "interop ($engine)" interop "$(bin_of "$engine")"
done
[ -x "$browser" ] && "$browser" --daemon stop >/dev/null

# Keys in a PKCS#11 token (a fresh SoftHSM2 token) and external signer commands, through both
# engines, judged by cursive.
stage "signers (PKCS#11 token, signer commands)" "$py" -m pytest -q -p no:cacheprovider tests/signers
stage "tls front (scripts/cloud/tlsfront.py)" "$py" -m pytest -q -p no:cacheprovider tests/tlsfront
stage "cloud (real Keystone + Barbican + Glance)" scripts/cloud/test.sh
stage "portal (real Chromium, real cloud)" env PORTAL_SKIP_BUILD=1 tests/portal/run.sh

rm -rf "$logs"
echo
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "Failed stages: ${failed_stages[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#failed_stages[@]} -eq 0 ]
