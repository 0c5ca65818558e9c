// The portal's Content-Security-Policy, from config.json: the page may connect only to itself
// and to the cloud endpoints listed in `connect_src` (plus the origin of `auth_url`), run only
// its own scripts and WebAssembly, start only its own worker.
//
//   node csp.mjs <config.json> [--header]   prints the policy (meta form, or header form with
//                                            frame-ancestors from embed.allowed_origins)
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
  ];
  if (header) {
    // Only a header can say who may frame the page (meta tags cannot carry frame-ancestors).
    const hosts = (config.embed?.allowed_origins || []).map(origin);
    directives.push(`frame-ancestors ${["'self'", ...hosts].join(" ")}`);
  }
  return directives.join("; ");
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
  } else if (args.length >= 1 && !args[0].startsWith("--")) {
    process.stdout.write(policy(loadConfig(args[0]), { header: args[1] === "--header" }) + "\n");
  } else {
    console.error("usage: node csp.mjs <config.json> [--header]\n       node csp.mjs --write-meta <index.html> <config.json>");
    process.exit(2);
  }
}
