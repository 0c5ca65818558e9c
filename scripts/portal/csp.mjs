// The portal's Content-Security-Policy, from config.json: the page may connect only to itself
// and to the cloud endpoints listed in `connect_src` (plus the origin of `auth_url`), run only
// its own scripts and WebAssembly, start only its own worker.
//
//   node csp.mjs <config.json> [--header]   prints the policy (meta form, or header form with
//                                            frame-ancestors from embed.allowed_origins)
//   node csp.mjs <config.json> --coop       prints the Cross-Origin-Opener-Policy value
//   node csp.mjs --write-meta <index.html> <config.json>
//                                            rewrites index.html's CSP meta tag for that config
//                                            (scripts/portal/build.sh, tests/portal/run.sh)
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

function origin(url) {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    return u.origin;
  } catch (error) {
    throw new Error(`config.json: ${JSON.stringify(url)} is not an http(s) URL (${error.message})`);
  }
}

export function policy(config, { header = false } = {}) {
  const connect = new Set(["'self'"]);
  for (const url of [config.auth_url, ...(config.connect_src || [])]) connect.add(origin(url));
  const directives = [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src ${[...connect].join(" ")}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    // Trusted Types (Chromium; other browsers ignore both): no string becomes script unless
    // a policy passes it, and the only policy allowed is "default", which
    // web/worker/trusted-types.js makes (it passes the portal's own worker URLs, nothing else).
    "require-trusted-types-for 'script'",
    "trusted-types default",
  ];
  if (header) {
    // Only a header can say who may frame the page (meta tags cannot carry frame-ancestors).
    const hosts = (config.embed?.allowed_origins || []).map(origin);
    directives.push(`frame-ancestors ${["'self'", ...hosts].join(" ")}`);
  }
  return directives.join("; ");
}

/**
 * The Cross-Origin-Opener-Policy header. `same-origin` by default: the portal gets a browsing
 * context group of its own, and no other window keeps a handle on it (a page that opens it
 * gets `null`; framing is not affected, COOP applies to top-level pages only). With
 * `embed.allow_opener` the host page may open the portal and hand over the token to it, which
 * needs the opener's handle: `unsafe-none`. (`same-origin-allow-popups` would not do: it too
 * severs a cross-origin opener, and keeps only the handles to popups the portal opens itself.)
 */
export function openerPolicy(config) {
  return config.embed?.allow_opener ? "unsafe-none" : "same-origin";
}

export function loadConfig(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Puts the (meta-form) policy of `configPath` into the CSP meta tag of `indexPath`. */
export function writeMetaPolicy(indexPath, configPath) {
  const csp = policy(loadConfig(configPath));
  const html = readFileSync(indexPath, "utf8");
  const next = html.replace(/(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")/, (_, open, close) => open + csp + close);
  if (next === html && !html.includes(csp)) throw new Error("no CSP meta tag in " + indexPath);
  writeFileSync(indexPath, next);
  return csp;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === "--write-meta" && args.length === 3) {
    writeMetaPolicy(args[1], args[2]);
  } else if (args.length === 2 && args[1] === "--coop") {
    process.stdout.write(openerPolicy(loadConfig(args[0])) + "\n");
  } else if (args.length >= 1 && !args[0].startsWith("--")) {
    process.stdout.write(policy(loadConfig(args[0]), { header: args[1] === "--header" }) + "\n");
  } else {
    console.error("usage: node csp.mjs <config.json> [--header | --coop]\n       node csp.mjs --write-meta <index.html> <config.json>");
    process.exit(2);
  }
}
