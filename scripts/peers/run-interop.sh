#!/usr/bin/env bash
# Run the interop suite (tests/interop) against the reference peers.
#   scripts/peers/run-interop.sh [pytest args...]
# Builds/refreshes the peers venv (scripts/peers/setup.sh), then runs pytest in it. The binary
# under test is $GLANCE_SIG_BIN, default <repo>/target/release/glance-sig (build it first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="$("$here/setup.sh")"
cd "$repo"
exec "$py" -m pytest tests/interop "$@"
