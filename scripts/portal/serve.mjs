// A tiny static server for the built portal (dist/), on 127.0.0.1 only. It sends the
// Content-Security-Policy as a header too (the meta tag cannot cover the worker's own scripts
// or say frame-ancestors) and the Cross-Origin-Opener-Policy (no meta form exists), with the
// right MIME types for .js and .wasm. A request it cannot make sense of (bad percent-encoding,
// a NUL byte, an overlong path) gets a 400 or 414; nothing a client sends stops the server.
//
//   node serve.mjs [--root dist] [--port 8080] [--host 127.0.0.1] [--no-csp]
//
// Also a module: `portalServer({ root, withCsp })` gives the same server, not yet listening
// (the browser engine, web/component/browser-daemon.mjs, serves dist/ with it).
import { createServer } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, openerPolicy, policy } from "./csp.mjs";

/** The longest request path served; longer ones get 414 (no file of the portal comes close). */
const MAX_PATH = 1024;

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
  const security = () => {
    const path = join(root, "config.json");
    if (!withCsp || !existsSync(path)) return {};
    // Read on each request: editing config.json takes effect without a restart.
    const config = loadConfig(path);
    return {
      "Content-Security-Policy": policy(config, { header: true }),
      "Cross-Origin-Opener-Policy": openerPolicy(config),
    };
  };
  const fail = (res, status, text) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(text + "\n");
  };
  return createServer((req, res) => {
    try {
      serveFile(req, res);
    } catch (error) {
      // A bug here must cost one response, not the server.
      console.error(`serve.mjs: ${req.method} ${JSON.stringify(req.url).slice(0, 200)}: ${error.message}`);
      fail(res, 500, "internal error");
    }
  });

  function serveFile(req, res) {
    if ((req.url || "").length > MAX_PATH) return fail(res, 414, "path too long");
    let url;
    try {
      url = new URL(req.url, "http://localhost");
    } catch {
      return fail(res, 400, "bad request path");
    }
    let decoded;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      // e.g. /%E0%A4%A, /%, /%ZZ: not percent-encoded UTF-8.
      return fail(res, 400, "bad percent-encoding in the path");
    }
    if (decoded.includes("\0")) return fail(res, 400, "NUL in the path");
    const path = normalize(decoded).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    if (file !== root && !file.startsWith(root + sep)) return fail(res, 403, "forbidden");
    let stat = statOf(file);
    if (stat?.isDirectory()) {
      file = join(file, "index.html");
      stat = statOf(file);
    }
    if (!stat?.isFile()) return fail(res, 404, "not found");
    const headers = {
      "Content-Type": TYPES[extname(file)] || "application/octet-stream",
      "Content-Length": stat.size,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      ...security(),
    };
    if (req.method === "HEAD") return res.writeHead(200, headers).end();
    const stream = createReadStream(file);
    stream.on("error", (error) => {
      console.error(`serve.mjs: reading ${file}: ${error.message}`);
      fail(res, 500, "read error");
    });
    stream.once("open", () => {
      res.writeHead(200, headers);
      stream.pipe(res);
    });
  }
}

function statOf(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
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
