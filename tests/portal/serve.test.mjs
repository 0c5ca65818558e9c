// scripts/portal/serve.mjs against hostile request paths: each gets a 4xx answer, and the
// server keeps serving afterwards (a URIError from decodeURIComponent used to end the process).
// Also the security headers it sends. Needs no cloud and no browser.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const serveScript = new URL("../../scripts/portal/serve.mjs", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "portal-serve-"));
writeFileSync(join(root, "index.html"), "<!doctype html><p>portal</p>\n");
writeFileSync(join(root, "config.json"), JSON.stringify({ auth_url: "http://127.0.0.1:5000/v3" }));
let server;
let port;

before(async () => {
  server = spawn(process.execPath, [serveScript, "--root", root, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  port = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) resolve(Number(match[1]));
    });
    server.on("exit", (code) => reject(new Error(`serve.mjs exited (${code}) before listening`)));
  });
});

after(() => server?.kill());

/** One raw HTTP/1.1 request (the path exactly as given: fetch would re-encode it); the status. */
function rawStatus(path) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve(Number((data.match(/^HTTP\/1\.1 (\d{3})/) || [])[1] || 0)));
    socket.on("error", reject);
  });
}

test("serve.mjs: bad percent-encoding, NUL and overlong paths get 4xx, and the server keeps serving", async () => {
  assert.equal(await rawStatus("/"), 200);
  const hostile = ["/%E0%A4%A", "/%", "/%ZZ", "/%C0%AF", "/a%00b", "/" + "a".repeat(5000), "/" + "%E0%A4%A".repeat(100), "/../../etc/passwd"];
  for (const path of hostile) {
    const status = await rawStatus(path);
    assert.ok(status >= 400 && status < 500, `${path.slice(0, 40)}: HTTP ${status}`);
    assert.equal(server.exitCode, null, `serve.mjs still runs after ${path.slice(0, 40)}`);
    assert.equal(await rawStatus("/"), 200, `still serving after ${path.slice(0, 40)}`);
  }
  assert.equal(await rawStatus("/%E0%A4%A"), 400);
  assert.equal(await rawStatus("/nothing-here"), 404);
});

test("serve.mjs: the CSP with Trusted Types and the Cross-Origin-Opener-Policy", async () => {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  const csp = response.headers.get("content-security-policy");
  assert.match(csp, /require-trusted-types-for 'script'/);
  assert.match(csp, /trusted-types default(;|$)/);
  assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin");
  // A host page allowed to open the portal keeps its handle on it: unsafe-none (docs/portal-embedding.md).
  writeFileSync(join(root, "config.json"), JSON.stringify({ auth_url: "http://127.0.0.1:5000/v3", embed: { allow_opener: true } }));
  const opened = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(opened.headers.get("cross-origin-opener-policy"), "unsafe-none");
});
