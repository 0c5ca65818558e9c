#!/usr/bin/env bash
# Installs the portal's pinned tools, idempotently (each step is skipped when the exact
# version is already there). Registries only: crates.io, npm, Debian.
#
#   trunk 0.21.14            cargo install --locked            (about 9 minutes cold)
#   wasm-bindgen-cli 0.2.130 cargo install, without --locked   (about 3 minutes; must equal
#                            the wasm-bindgen in Cargo.lock)
#   wasm32-unknown-unknown   rustup target
#   web/node_modules         npm ci: binaryen 132.0.0 (wasm-opt), playwright-core
#   chromium                 apt-get (Debian's), for the end-to-end tests and the benchmark
#
# Never downloads browsers or binaries from elsewhere (no `npx playwright install`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
trunk_version=0.21.14
bindgen_version=0.2.130

say() { printf 'portal-setup: %s\n' "$*" >&2; }
timed() { # label command...
  local label=$1 start=$SECONDS
  shift
  "$@"
  say "$label: $((SECONDS - start)) s"
}

export PATH="$HOME/.cargo/bin:$PATH"

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown: present"
else
  timed "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" = "trunk $trunk_version" ]; then
  say "trunk $trunk_version: present"
else
  timed "cargo install trunk@$trunk_version" cargo install "trunk@$trunk_version" --locked
fi

locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$repo/Cargo.lock" || true)
if [ -n "$locked" ] && [ "$locked" != "$bindgen_version" ]; then
  say "warning: Cargo.lock has wasm-bindgen $locked, the portal pins $bindgen_version"
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $bindgen_version" ]; then
  say "wasm-bindgen-cli $bindgen_version: present"
else
  # Without --locked: with it, a locked dependency is missing from the index. So that the
  # dependencies it resolves today still build with this machine's rustc tomorrow, the resolver
  # picks the newest versions whose rust-version this toolchain meets.
  timed "cargo install wasm-bindgen-cli@$bindgen_version" \
    env CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "=$bindgen_version" --force
fi

stamp=$repo/web/node_modules/.portal-lock-sha256
want=$(sha256sum "$repo/web/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "web/node_modules: up to date"
else
  timed "npm ci (web/)" npm ci --prefix "$repo/web" --no-audit --no-fund
  echo "$want" >"$stamp"
fi
"$repo/web/node_modules/.bin/wasm-opt" --version | grep -q 'version 132' ||
  { say "error: web/node_modules/.bin/wasm-opt is not binaryen 132"; exit 1; }

if [ -x /usr/bin/chromium ]; then
  say "chromium: present ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
else
  if [ "$(id -u)" = 0 ]; then
    timed "apt-get install chromium" bash -c \
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver'
  else
    timed "apt-get install chromium" bash -c \
      'sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver'
  fi
fi
say "done"
