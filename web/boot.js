// Starts the portal. Trunk's own loader is an inline script, which the Content-Security-Policy
// (script-src 'self') forbids; Trunk.toml's pattern_script loads this file instead, with the
// wasm-bindgen JS and wasm paths in data attributes.
//
// The Trusted Types policy first (worker/trusted-types.js): the app starts its worker with it.
import "./worker/trusted-types.js";

// First of all: a token handed over in the URL fragment (#token=...) leaves the address bar
// and the history entry at once, before anything else runs. It is kept in memory only, for
// the app to take (and delete) when it starts. The app uses it only when config.json's
// embed.accept_token_fragment allows; otherwise it says why the token was ignored.
const fragment = location.hash.slice(1);
if (/(^|&)token=/.test(fragment)) {
  globalThis.__glanceSigHandover = fragment;
  history.replaceState(null, "", location.pathname + location.search);
}

const script = document.querySelector("script[data-wasm][data-js]");
const base = document.baseURI;
// The wasm is fetched first, with the hash scripts/portal/build.sh took from trunk's preload
// (Chromium ignores integrity on a fetch preload): the browser checks it.
const integrity = script.dataset.wasmIntegrity;
const wasm = fetch(new URL(script.dataset.wasm, base).href, integrity ? { integrity } : {});
const { default: init } = await import(new URL(script.dataset.js, base).href);
await init({ module_or_path: wasm });
