// The portal's Content-Security-Policy, from config.json: the page may connect only to itself
// and to the cloud endpoints listed in `connect_src` (plus the origin of `auth_url`), run only
// its own scripts and WebAssembly, start only its own worker.
//
//   node csp.mjs <config.json> [--header]   prints the policy (meta form, or header form with
//                                            frame-ancestors from embed.allowed_origins)
import { readFileSync } from "node:fs";
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, flag] = process.argv.slice(2);
  if (!path) {
    console.error("usage: node csp.mjs <config.json> [--header]");
    process.exit(2);
  }
  process.stdout.write(policy(loadConfig(path), { header: flag === "--header" }) + "\n");
}
