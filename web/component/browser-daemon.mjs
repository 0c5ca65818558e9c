// The browser engine's daemon: one warm headless Chromium (Debian's, through playwright-core
// from web/node_modules) with one page of the built portal (dist/, served by
// scripts/portal/serve.mjs's server on a free loopback port, with the portal's CSP header),
// answering glance-sig-browser.mjs over HTTP on a Unix socket that only this user can reach.
//
//   node browser-daemon.mjs --socket PATH --dist DIR [--idle SECONDS]
//
// Each run (POST /run) gets a fresh Web Worker of the portal (worker/sig-worker.js: nothing
// survives from one command to the next, a loaded key least of all) and a fresh hidden
// <input type=file> whose files Chromium reads from disk (playwright's setInputFiles hands it
// the paths): the worker reads the image as a File, in slices. The run's steps are the
// worker's ops, posted in order; the answer is each op's result, or the first error.
// GET /status says what runs; POST /stop ends it. After --idle seconds (default 120) without a
// run, the daemon closes Chromium and the server and exits; it also exits when Chromium dies.
// Startup problems (no dist/, no Chromium, no playwright-core) are the answer to every run
// until the daemon exits, with the fix.
import { createServer, request as httpRequest } from "node:http";
import { existsSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { CHROMIUM_ARGS } from "./chromium.mjs";

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const socket = opt("socket");
const dist = resolve(opt("dist", "dist"));
const idleSeconds = Number(opt("idle", process.env.GLANCE_SIG_BROWSER_IDLE ?? "120"));
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
/** A run that takes longer than this is stuck: its worker is terminated. */
const RUN_TIMEOUT_MS = Number(process.env.GLANCE_SIG_BROWSER_RUN_TIMEOUT ?? "300") * 1000;
if (!socket) {
  console.error("browser-daemon: --socket PATH is required");
  process.exit(2);
}

const log = (...parts) => console.error(new Date().toISOString(), "browser-daemon:", ...parts);

/** A startup problem: what is wrong and how to fix it. */
class StartupError extends Error {
  constructor(message, fix) {
    super(message);
    this.fix = fix;
  }
}

const DAEMON_CHROMIUM_ARGS = [...CHROMIUM_ARGS, "--disable-extensions"];

let browser;
let portal;
let page;
let portalUrl;
let chromiumVersion;
const startedAt = Date.now();
let runs = 0;
let active = 0;
let stopping = false;

async function start() {
  for (const file of ["index.html", "worker/sig-worker.js", "component/index.js"]) {
    if (!existsSync(join(dist, file))) {
      throw new StartupError(
        `no built portal in ${dist} (${file} is missing)`,
        "build it with scripts/portal/build.sh (after scripts/portal/setup.sh and scripts/component/build.sh), or point GLANCE_SIG_PORTAL_DIST at a built dist/",
      );
    }
  }
  let chromium;
  try {
    const require = createRequire(new URL("../package.json", import.meta.url));
    ({ chromium } = require("playwright-core"));
  } catch (e) {
    throw new StartupError(
      `cannot load playwright-core from web/node_modules: ${e.message}`,
      "install it with scripts/portal/setup.sh (npm ci in web/)",
    );
  }
  if (!existsSync(chromiumPath)) {
    throw new StartupError(
      `no Chromium at ${chromiumPath}`,
      "install it with scripts/portal/setup.sh, or point CHROMIUM at a Chromium binary",
    );
  }
  const { portalServer } = await import(new URL("../../scripts/portal/serve.mjs", import.meta.url));
  portal = portalServer({ root: dist });
  await new Promise((ok, fail) => {
    portal.once("error", fail);
    portal.listen(0, "127.0.0.1", ok);
  });
  portalUrl = `http://127.0.0.1:${portal.address().port}/`;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: DAEMON_CHROMIUM_ARGS });
  } catch (e) {
    throw new StartupError(`Chromium (${chromiumPath}) did not start: ${e.message}`, "check it with `chromium --headless --version`; scripts/portal/setup.sh installs it");
  }
  chromiumVersion = browser.version();
  browser.on("disconnected", () => {
    if (!stopping) {
      log("Chromium went away: exiting");
      shutdown(1);
    }
  });
  const context = await browser.newContext();
  page = await context.newPage();
  page.on("crash", () => {
    log("the page crashed: exiting");
    shutdown(1);
  });
  page.on("pageerror", (e) => log("page error:", e.message));
  // The portal itself: its origin, its CSP (meta and header), its worker next to it. The app's
  // own worker says when the component loads there, which proves the build works.
  await page.goto(`${portalUrl}index.html`);
  try {
    await page.waitForSelector('#worker-status[data-status="ready"]', { state: "attached", timeout: 60_000 });
  } catch {
    const shown = await page.$eval("#worker-status", (e) => `${e.dataset.status}: ${e.innerText}`).catch(() => "nothing");
    throw new StartupError(
      `the portal in ${dist} did not get its worker ready in 60 s (it shows ${shown})`,
      "rebuild it with scripts/portal/build.sh",
    );
  }
  log(`ready: Chromium ${chromiumVersion}, portal ${dist} on ${portalUrl}`);
}

/**
 * Runs in the page: a fresh worker, the run's steps posted in order, the worker terminated.
 * `input`'s files are the run's files; a step names which message fields are those Files
 * (`files`: field -> index) and which are their bytes (`bytes`: field -> index or [indexes]);
 * `base64` fields are decoded to bytes.
 */
async function harness({ input, steps, timeoutMs }) {
  const files = Array.from(input.files);
  const worker = new Worker(new URL("worker/sig-worker.js", document.baseURI), { type: "module" });
  const pending = new Map();
  let broken = null;
  const fail = (message) => {
    broken = { failed: message };
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
  };
  // The worker says "ready" (id 0) once the component has loaded: messages posted before
  // that would be lost (its handler is installed after the component's top-level await).
  let loaded;
  const ready = new Promise((resolve, reject) => {
    loaded = resolve;
    pending.set(0, { resolve, reject });
  });
  worker.onmessage = ({ data }) => {
    if (data.id === 0 && data.type === "ready") {
      pending.delete(0);
      return loaded();
    }
    if (data.id === 0 && data.type === "failed") return fail(data.message);
    const p = pending.get(data.id);
    if (!p || data.type === "progress") return;
    pending.delete(data.id);
    if (data.type === "ok") p.resolve(data.result);
    else p.reject({ error: { code: data.code, message: data.message } });
  };
  worker.onerror = (e) => fail(`the worker failed: ${e.message || "it did not load"}`);
  worker.onmessageerror = () => fail("a message from the worker could not be read");
  const bytesOf = async (i) => new Uint8Array(await files[i].arrayBuffer());
  const timer = setTimeout(() => fail(`the worker did not answer in ${timeoutMs / 1000} s`), timeoutMs);
  const results = [];
  try {
    try {
      await ready;
    } catch (outcome) {
      return outcome;
    }
    for (const [n, step] of steps.entries()) {
      const message = { ...step.message, id: n + 1 };
      for (const [field, i] of Object.entries(step.files ?? {})) message[field] = files[i];
      for (const [field, i] of Object.entries(step.bytes ?? {})) {
        message[field] = Array.isArray(i) ? await Promise.all(i.map(bytesOf)) : await bytesOf(i);
      }
      for (const [field, text] of Object.entries(step.base64 ?? {})) {
        message[field] = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      }
      if (broken) return broken;
      const answer = new Promise((resolve, reject) => pending.set(message.id, { resolve, reject }));
      worker.postMessage(message);
      try {
        results.push(await answer);
      } catch (outcome) {
        return { ...outcome, step: n };
      }
    }
    return { ok: results };
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

async function run({ files = [], steps }) {
  const input = await page.evaluateHandle(() => {
    const element = document.createElement("input");
    element.type = "file";
    element.multiple = true;
    element.hidden = true;
    document.body.append(element);
    return element;
  });
  try {
    if (files.length > 0) await input.setInputFiles(files);
    return await page.evaluate(harness, { input, steps, timeoutMs: RUN_TIMEOUT_MS });
  } finally {
    await input.evaluate((element) => element.remove()).catch(() => {});
    await input.dispose().catch(() => {});
  }
}

// --- the control socket ----------------------------------------------------------------------

let idleTimer;
function armIdle() {
  clearTimeout(idleTimer);
  if (active === 0 && idleSeconds > 0) {
    idleTimer = setTimeout(() => {
      log(`idle for ${idleSeconds} s: exiting`);
      shutdown(0);
    }, idleSeconds * 1000);
    idleTimer.unref?.();
  }
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function body(req) {
  const parts = [];
  for await (const part of req) parts.push(part);
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

let ready;
const control = createServer(async (req, res) => {
  try {
    if (req.method === "GET" && req.url === "/status") {
      const state = await ready.then(
        () => "ready",
        (e) => `failed: ${e.message}`,
      );
      return reply(res, 200, { pid: process.pid, dist, portal: portalUrl, chromium: chromiumVersion, state, runs, active, idleSeconds, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    }
    if (req.method === "POST" && req.url === "/stop") {
      reply(res, 200, { stopping: true });
      return shutdown(0);
    }
    if (req.method !== "POST" || req.url !== "/run") return reply(res, 404, { failed: `no ${req.method} ${req.url}` });
    active++;
    clearTimeout(idleTimer);
    try {
      const request = await body(req);
      try {
        await ready;
      } catch (e) {
        return reply(res, 200, { startup: { message: e.message, fix: e.fix } });
      }
      runs++;
      reply(res, 200, await run(request));
    } finally {
      active--;
      armIdle();
    }
  } catch (e) {
    log("run failed:", e?.stack ?? e);
    if (!res.headersSent) reply(res, 200, { failed: String(e?.message ?? e) });
  }
});

/** Whether a daemon answers on the socket. */
function alive() {
  return new Promise((ok) => {
    const req = httpRequest({ socketPath: socket, path: "/status", method: "GET", timeout: 5000 }, (res) => {
      res.resume();
      ok(true);
    });
    req.on("error", () => ok(false));
    req.on("timeout", () => {
      req.destroy();
      ok(false);
    });
    req.end();
  });
}

async function listen() {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise((ok, fail) => {
        control.once("error", fail);
        control.listen(socket, () => {
          control.off("error", fail);
          ok();
        });
      });
      return true;
    } catch (e) {
      if (e.code !== "EADDRINUSE" || attempt > 0) throw e;
      // Another daemon, or the socket of one that died.
      if (await alive()) return false;
      try {
        unlinkSync(socket);
      } catch {
        // gone already
      }
    }
  }
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  clearTimeout(idleTimer);
  control.close();
  try {
    unlinkSync(socket);
  } catch {
    // not ours any more
  }
  await browser?.close().catch(() => {});
  portal?.close();
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => shutdown(0));

if (!(await listen())) {
  log(`another daemon answers on ${socket}: exiting`);
  process.exit(0);
}
log(`pid ${process.pid} on ${socket}, portal ${dist}, idle timeout ${idleSeconds} s`);
ready = start();
ready.catch((e) => {
  log(`cannot start: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ""}`);
  // Answer the runs waiting for it with the reason, then go.
  setTimeout(() => shutdown(1), 2000).unref?.();
});
armIdle();
