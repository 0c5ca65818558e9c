#!/usr/bin/env bash
# Runs the portal's end-to-end tests in real Chromium against the real local cloud.
#
#   tests/portal/run.sh [node --test options, e.g. --test-name-pattern=tamper]
#   tests/portal/run.sh --screenshots      retakes docs/portal/*.png and docs/horizon/*.png instead
#   tests/portal/run.sh --horizon-screenshots   only docs/horizon/*.png
#   PORTAL_SCREENSHOTS=1 tests/portal/run.sh [...]   the tests, then the screenshots
#
# Builds the portal twice through scripts/portal/build.sh: the one to ship (dist/, checked to
# hold no test hook) and the test build with the cargo feature test-hooks (?debug=tamper) in
# target/portal-test/. Starts the cloud (scripts/cloud/stack.sh start) unless it already
# answers; serves a fresh copy of the test build (target/portal-served/, whose config.json the
# trust tests give trusted certificates) on 127.0.0.1:8080 (with the CSP header), the test host
# page on :8081 (an allowed embedder) and :8082 (a foreign one), and a copy of the shipped
# dist/ configured for the https endpoints (target/portal-https/) on :8083, which the stack's
# TLS front serves as https://127.0.0.1:8443 (the https test also shows that build ignores
# ?debug=tamper); starts a real Horizon with the glance-sig panel (scripts/horizon/horizon.sh,
# :8090) unless it answers; runs `node --test`, and stops whatever it started. PORTAL_SKIP_BUILD=1 skips
# the shipped build (setup made it); the test build is always made.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
logs=$repo/target/portal-tests
mkdir -p "$logs"

say() { printf 'portal-tests: %s\n' "$*" >&2; }

pids=()
started_stack=0
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "${started_horizon:-0}" = 1 ]; then "$repo/scripts/horizon/horizon.sh" stop >/dev/null 2>&1 || true; fi
  if [ "$started_stack" = 1 ]; then "$repo/scripts/cloud/stack.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

test_dist=$repo/target/portal-test
# The test build is always made here: it exists only for these tests (setup builds dist/).
if [ "${PORTAL_SKIP_BUILD:-0}" != 1 ]; then
  "$repo/scripts/portal/build.sh"
fi
PORTAL_FEATURES=test-hooks PORTAL_DIST="$test_dist" "$repo/scripts/portal/build.sh"
[ -f "$repo/dist/index.html" ] || { say "no dist/: run scripts/portal/build.sh"; exit 1; }
[ -f "$test_dist/index.html" ] || { say "no $test_dist: run PORTAL_FEATURES=test-hooks PORTAL_DIST=$test_dist scripts/portal/build.sh"; exit 1; }
# The shipped portal holds no test hook; the test build does (or the check proves nothing).
if grep -il tamper "$repo"/dist/*.wasm "$repo"/dist/*.js "$repo"/dist/worker/*.js; then
  say "error: test hooks in the shipped dist/ (files above)"; exit 1
fi
grep -q tamper "$test_dist"/*.wasm || { say "error: the test build has no test hook"; exit 1; }
say "dist/ (shipped): no \"tamper\" in its wasm or JavaScript; $test_dist (test-hooks) has the hook"

if "$repo/scripts/cloud/stack.sh" status >/dev/null 2>&1; then
  say "cloud already running: using it"
else
  say "starting the cloud"
  "$repo/scripts/cloud/stack.sh" start
  started_stack=1
fi

# A real Horizon (scripts/horizon/horizon.sh) with the glance-sig panel, framing the portal
# served on :8080 (tests/portal/horizon.test.mjs).
started_horizon=0
if "$repo/scripts/horizon/horizon.sh" status >/dev/null 2>&1; then
  say "Horizon already running: using it"
else
  say "starting Horizon"
  GLANCE_SIG_HORIZON_PORTAL_URL=http://127.0.0.1:8080/ "$repo/scripts/horizon/horizon.sh" start
  started_horizon=1
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
serve() { # port root [--no-csp]
  local port=$1
  shift
  port_free "$port" || { say "port $port is in use: stop what runs there"; exit 1; }
  node "$repo/scripts/portal/serve.mjs" --port "$port" --root "$@" >"$logs/serve-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do port_free "$port" || return 0; sleep 0.1; done
  say "server on $port did not start"; cat "$logs/serve-$port.log" >&2; exit 1
}
served=$repo/target/portal-served
rm -rf "$served"
cp -r "$test_dist" "$served"
export PORTAL_DIR=$served
serve 8080 "$served"
serve 8081 "$here/host" --no-csp
serve 8082 "$here/host" --no-csp

# The same build for https (tests/portal/https.test.mjs): config.json names the TLS fronts
# (region RegionTLS, whose catalog entries are https) and the CSP allows only them. Everything
# else, the app included, is dist/ byte for byte.
https_dist=$repo/target/portal-https
rm -rf "$https_dist"
mkdir -p "$(dirname "$https_dist")"
cp -r "$repo/dist" "$https_dist"
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const [path, keystone, glance, barbican] = process.argv.slice(1);
  const config = JSON.parse(readFileSync(path, "utf8"));
  config.auth_url = `${keystone}/v3`;
  config.region = "RegionTLS";
  config.connect_src = [keystone, glance, barbican];
  writeFileSync(path, JSON.stringify(config, null, 2) + "\n");
' "$https_dist/config.json" "https://127.0.0.1:${GLANCE_SIG_KEYSTONE_TLS_PORT:-5443}" \
  "https://127.0.0.1:${GLANCE_SIG_GLANCE_TLS_PORT:-9293}" "https://127.0.0.1:${GLANCE_SIG_BARBICAN_TLS_PORT:-9312}"
node "$repo/scripts/portal/csp.mjs" --write-meta "$https_dist/index.html" "$https_dist/config.json"
serve "${GLANCE_SIG_PORTAL_HTTPS_BACKEND_PORT:-8083}" "$https_dist"

cd "$repo"
if [ "${1:-}" = --screenshots ]; then
  node "$here/screenshots.mjs"
  node "$here/horizon-screenshots.mjs"
elif [ "${1:-}" = --horizon-screenshots ]; then
  node "$here/horizon-screenshots.mjs"
else
  status=0
  node --test --test-concurrency=1 --test-timeout=600000 "$@" "$here"/*.test.mjs || status=$?
  # PORTAL_SCREENSHOTS=1: the screenshots too, on the same build and servers (one build less).
  if [ "${PORTAL_SCREENSHOTS:-0}" = 1 ]; then
    node "$here/screenshots.mjs" || status=$?
    node "$here/horizon-screenshots.mjs" || status=$?
  fi
  exit "$status"
fi
