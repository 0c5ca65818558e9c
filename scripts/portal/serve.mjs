// A tiny static server for the built portal (dist/), on 127.0.0.1 only. It sends the
// Content-Security-Policy as a header too (the meta tag cannot cover the worker's own scripts
// or say frame-ancestors), with the right MIME types for .js and .wasm.
//
//   node serve.mjs [--root dist] [--port 8080] [--host 127.0.0.1] [--no-csp]
//
// Also a module: `portalServer({ root, withCsp })` gives the same server, not yet listening
// (the browser engine, web/component/browser-daemon.mjs, serves dist/ with it).
import { createServer } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, policy } from "./csp.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The static server for `root` (a built portal), with the CSP header unless `withCsp` is false. */
export function portalServer({ root, withCsp = true }) {
  root = resolve(root);
  const csp = () => {
    const path = join(root, "config.json");
    if (!withCsp || !existsSync(path)) return null;
    // Read on each request: editing config.json takes effect without a restart.
    return policy(loadConfig(path), { header: true });
  };
  return createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host || "localhost"}`);
    let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    const headers = {
      "Content-Type": TYPES[extname(file)] || "application/octet-stream",
      "Content-Length": statSync(file).size,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    };
    const policyText = csp();
    if (policyText) headers["Content-Security-Policy"] = policyText;
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const root = resolve(opt("root", "dist"));
  const port = Number(opt("port", "8080"));
  const host = opt("host", "127.0.0.1");
  const withCsp = !args.includes("--no-csp");
  const server = portalServer({ root, withCsp });
  server.listen(port, host, () => {
    console.log(`serving ${root} on http://${host}:${server.address().port}/${withCsp ? " (with CSP header)" : ""}`);
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
}
