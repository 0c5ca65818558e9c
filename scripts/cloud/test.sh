#!/usr/bin/env bash
# The cloud integration tests (crates/glance-sig-cli/tests/cloud.rs) against a real Keystone +
# Barbican + Glance: starts a fresh stack (stack.sh start), runs the tests with
# GLANCE_SIG_CLOUD_TESTS=1 (so an unreachable stack fails them instead of skipping them), and
# stops the stack at the end, also when the tests fail or the script is interrupted.
#
#   scripts/cloud/test.sh [TEST-NAME-FILTER...]
#
# Environment: as stack.sh (GLANCE_SIG_STACK_DIR, ports, ...); GLANCE_SIG_KEEP_STACK=1 leaves the
# stack running afterwards (to look at its logs, or to run the tests again quickly).
# Needs openssl (keys and certificates are made at test time).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${GLANCE_SIG_STACK_DIR:-$repo/.stack}
case $state in /*) ;; *) state=$PWD/$state ;; esac

command -v openssl >/dev/null || { echo "cloud tests: openssl is needed" >&2; exit 1; }

stop_stack() {
  if [ "${GLANCE_SIG_KEEP_STACK:-0}" = 1 ]; then
    echo "cloud tests: leaving the stack running (GLANCE_SIG_KEEP_STACK=1)" >&2
  else
    "$here/stack.sh" stop || true
  fi
}
trap stop_stack EXIT
trap 'exit 130' INT TERM

"$here/stack.sh" start

cd "$repo"
# Only the stack's clouds.yaml: OS_* variables of the caller's shell must not leak in.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(OS_[A-Za-z0-9_]*\)=.*/\1/p')
GLANCE_SIG_CLOUD_TESTS=1 GLANCE_SIG_CLOUDS_YAML="$state/clouds.yaml" \
  cargo test --release --locked -p glance-sig-cli --test cloud -- --test-threads=1 "$@"
