#!/usr/bin/env bash
# Builds the WebAssembly component (openstack:image-signature@0.2.0, wit/) and its jco
# transpilation for Node and browsers. Pinned and idempotent: each step is skipped when its
# inputs have not changed.
#
#   scripts/component/build.sh          component + npm ci + transpile
#   scripts/component/build.sh --wasm   the component only (no Node needed)
#
# Outputs:
#   target/component/glance_sig_component.wasm   the component (wasmtime, jco; the CLI's
#                                                 --engine component default)
#   web/component/dist/                          jco output: glance-sig.js + core wasm + .d.ts
#
# Why wasm32-unknown-unknown and not wasm32-wasip2: on wasip2, Rust std's panic hook imports
# wasi:cli/environment (RUST_BACKTRACE), wasi:cli/stdin|stdout|stderr, terminal-*, wasi:io
# and wasi:cli/exit. Built for wasm32-unknown-unknown and linked by the toolchain's own
# wasm-component-ld (the linker wasm32-wasip2 uses), the component imports only
# wasi:random/random. This script fails if it imports anything else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

wasm_only=0
case "${1:-}" in
  "") ;;
  --wasm) wasm_only=1 ;;
  -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

say() { printf 'component: %s\n' "$*" >&2; }
target=wasm32-unknown-unknown
out_dir=target/component
out=$out_dir/glance_sig_component.wasm

rustup target list --installed | grep -qx "$target" || rustup target add "$target"

host=$(rustc -vV | sed -n 's/^host: //p')
linker="$(rustc --print sysroot)/lib/rustlib/$host/bin/wasm-component-ld"
[ -x "$linker" ] || { say "error: no wasm-component-ld at $linker (Rust >= 1.78 ships it)"; exit 1; }

say "cargo (release, $target, linked by wasm-component-ld)"
start=$(date +%s)
# `cargo rustc` passes the linker to this crate's final link only; its dependencies are
# ordinary wasm32-unknown-unknown rlibs. A no-op when nothing changed.
cargo rustc -p glance-sig-component --target "$target" --release --locked -- -C "linker=$linker"
built=target/$target/release/glance_sig_component.wasm
# A component starts with \0asm, version 0x0d, layer 1; a core module with version 1.
if [ "$(head -c 8 "$built" | od -An -tx1 | tr -d ' \n')" != "0061736d0d000100" ]; then
  say "error: $built is not a component (built without the wasm-component-ld linker?)"
  exit 1
fi
mkdir -p "$out_dir"
cmp -s "$built" "$out" || cp "$built" "$out"
say "$out: $(wc -c < "$out") bytes ($(( $(date +%s) - start )) s)"

[ "$wasm_only" = 1 ] && exit 0

cd web/component
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.glance-sig-npm-ci ] || [ "$(cat node_modules/.glance-sig-npm-ci)" != "$lock_sum" ]; then
  say "npm ci (jco 1.35.0, preview2-shim 0.26.1)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.glance-sig-npm-ci
fi

say "imports"
imports=$(npx --no-install jco wit "$repo/$out" | sed -n 's/^ *import \([^;]*\);/\1/p')
echo "$imports" | sed 's/^/  import /' >&2
if [ "$(echo "$imports" | grep -cv '^wasi:random/random@0\.2\.[0-9]*$')" != 0 ]; then
  say "error: the component imports more than wasi:random/random"
  exit 1
fi

sum=$( { sha256sum "$repo/$out" transpile.mjs package-lock.json; } | sha256sum | cut -d' ' -f1)
if [ ! -f dist/.glance-sig-transpiled ] || [ "$(cat dist/.glance-sig-transpiled)" != "$sum" ]; then
  say "jco transpile -> web/component/dist/"
  node transpile.mjs "$repo/$out" dist
  echo "$sum" > dist/.glance-sig-transpiled
else
  say "web/component/dist/ is up to date"
fi
