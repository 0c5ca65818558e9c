#!/usr/bin/env bash
# Installs everything the project needs, pinned, skipping what is already there:
# Rust targets, Debian packages (SoftHSM2 and OpenSC among them), the Python peers (cursive, openstacksdk), the local
# OpenStack's venv, the jco toolchain, and a release build of glance-sig and the component.
#
#   scripts/setup.sh            all of it
#   scripts/setup.sh --no-cloud without the OpenStack venv
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cloud=1
[ "${1:-}" = "--no-cloud" ] && cloud=0
say() { printf '\n==> %s\n' "$*" >&2; }

say "Rust targets"
for t in wasm32-wasip2 wasm32-unknown-unknown; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
done

say "Debian packages"
need=()
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/bin/time ] || need+=(time)
command -v node >/dev/null || need+=(nodejs npm)
# PKCS#11 signing keys: SoftHSM2 (a software token) and OpenSC's pkcs11-tool, for the tests and
# for operators trying `--key pkcs11:` without an HSM.
command -v softhsm2-util >/dev/null || need+=(softhsm2)
command -v pkcs11-tool >/dev/null || need+=(opensc)
# The CLI's SHA-384/512 come from libcrypto (feature `openssl`): its headers and pkg-config.
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

say "Python peers (cursive, openstacksdk)"
scripts/peers/setup.sh >/dev/null

if [ "$cloud" = 1 ]; then
  say "Local OpenStack venv (Keystone, Barbican, Glance)"
  scripts/cloud/stack.sh install
fi

# The component first: the release build pins its SHA-256 (crates/glance-sig-cli/build.rs).
say "WASI component and its jco transpilation"
scripts/component/build.sh

say "Release build"
cargo build --release --locked

say "Portal toolchain (trunk, wasm-bindgen-cli, binaryen, Chromium) and build"
scripts/portal/setup.sh
scripts/portal/build.sh
