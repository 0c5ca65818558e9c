// The browser engine of glance-sig-browser.mjs: the scheme work runs in the built portal's Web
// Worker (web/worker/sig-worker.js, as dist/ ships it) in headless Chromium, reached through
// browser-daemon.mjs, which keeps one Chromium and the portal's server warm between commands
// and is started here when none answers. The front (cli-front.mjs) has already read and checked
// every file; this engine hands the daemon their paths (Chromium reads them from disk as File
// objects) and one worker op per command, and reads the worker's answer back.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, EngineError } from "./cli-front.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");

/** Where the daemon of the portal build `dist` listens, and logs. One daemon per dist/. */
export function daemonPaths(dist = process.env.GLANCE_SIG_PORTAL_DIST ?? join(repo, "dist")) {
  dist = resolve(dist);
  const real = existsSync(dist) ? realpathSync(dist) : dist;
  const uid = process.getuid?.() ?? "user";
  const dir = join(process.env.XDG_RUNTIME_DIR || tmpdir(), `glance-sig-browser-${uid}`);
  const id = createHash("sha256").update(real).digest("hex").slice(0, 16);
  return { dist, dir, socket: join(dir, `${id}.sock`), log: join(dir, `${id}.log`) };
}

/** One HTTP exchange with the daemon; rejects with the socket error when none answers. */
export function ask(paths, method, path, body) {
  return new Promise((ok, fail) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: paths.socket,
        method,
        path,
        headers: payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {},
      },
      (res) => {
        const parts = [];
        res.on("data", (p) => parts.push(p));
        res.on("end", () => {
          try {
            ok(JSON.parse(Buffer.concat(parts).toString("utf8")));
          } catch (e) {
            fail(new Error(`the browser daemon answered something unreadable: ${e.message}`));
          }
        });
        res.on("error", fail);
      },
    );
    req.on("error", fail);
    req.end(payload);
  });
}

const unreachable = (e) => ["ECONNREFUSED", "ENOENT"].includes(e?.code);

function logTail(paths) {
  try {
    return readFileSync(paths.log, "utf8").trimEnd().split("\n").slice(-5).join("\n    ");
  } catch {
    return "(no log)";
  }
}

/** Starts a daemon (detached: it outlives this command) and waits until its socket answers. */
async function spawnDaemon(paths) {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.log, "a");
  const child = spawn(process.execPath, [join(here, "browser-daemon.mjs"), "--socket", paths.socket, "--dist", paths.dist], {
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  let exited = null;
  child.on("exit", (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ask(paths, "GET", "/status");
      return;
    } catch (e) {
      if (!unreachable(e)) throw e;
    }
    // Another command's daemon may have won the socket: then this one exits 0 and that one answers.
    if (exited !== null && exited !== 0) {
      throw new CliError(`the browser engine's daemon exited (${exited}) before answering:\n    ${logTail(paths)}`);
    }
    if (Date.now() > deadline) {
      throw new CliError(`the browser engine's daemon did not answer on ${paths.socket} in 30 s:\n    ${logTail(paths)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A run on the daemon, starting one when none answers. */
export async function runOnDaemon(paths, run) {
  let answer;
  try {
    answer = await ask(paths, "POST", "/run", run);
  } catch (e) {
    if (!unreachable(e)) throw e;
    await spawnDaemon(paths);
    answer = await ask(paths, "POST", "/run", run);
  }
  if (answer.startup) {
    throw new CliError(`the browser engine cannot start: ${answer.startup.message}`, 2, answer.startup.fix);
  }
  if (answer.failed) throw new Error(`the portal's worker failed: ${answer.failed}`);
  return answer;
}

/** The files of one run: each path once, by index. */
class Files {
  constructor() {
    this.paths = [];
  }

  add(path) {
    const abs = resolve(path);
    let i = this.paths.indexOf(abs);
    if (i === -1) i = this.paths.push(abs) - 1;
    return i;
  }
}

// The worker's error codes (its ops relay the component's WIT variant tags: wit/image-signature.wit).
const KEY_ERRORS = new Set([
  "empty",
  "not-a-key",
  "passphrase-required",
  "wrong-passphrase",
  "legacy-encrypted-pem",
  "unsupported-algorithm",
  "unsupported-curve",
  "rsa-too-large",
  "malformed",
  "other",
]);
const CERTIFICATE_ERRORS = new Set(["empty", "not-a-certificate", "malformed", "public-key", "other"]);
const PROPERTY_ERRORS = new Set([
  "invalid-hash-method",
  "invalid-key-type",
  "binary-curve-removed",
  "not-json",
  "not-an-object",
  "not-a-string",
  "conflict",
  "value-too-long",
  "properties",
]);

/** The worker's error as an EngineError about `input`. */
const refused = ({ code, message }, input) => new EngineError(code, message, { input });

export const engine = {
  label: "browser",
  program: "glance-sig-browser",
  names: ["browser"],

  paths: undefined,

  async open() {
    this.paths = daemonPaths();
  },

  // The worker checks all of these when it signs or verifies; here they are only collected.
  async hashMethod(name) {
    return name;
  },
  async privateKey(input, passphrase) {
    input.bytes();
    return { input, passphrase };
  },
  async certificate(input) {
    input.bytes();
    return input;
  },
  async checkPair() {},
  async properties(input) {
    input.bytes();
    return input;
  },
  async trusted(inputs) {
    for (const input of inputs) input.bytes();
    return inputs;
  },

  async sign({ key, cert, hash, certificateUuid, at, image }, ctx) {
    await image.check();
    const files = new Files();
    const step = {
      message: { op: "sign", hashMethod: hash, certificateUuid, at: Number(at) },
      files: { data: files.add(image.path) },
      bytes: { key: files.add(key.input.path) },
      base64: {},
    };
    if (key.passphrase !== undefined) step.base64.passphrase = Buffer.from(key.passphrase).toString("base64");
    if (cert !== undefined) step.bytes.certificate = files.add(cert.path);
    const answer = await runOnDaemon(this.paths, { files: files.paths, steps: [step] });
    if (answer.error) {
      const { code, message } = answer.error;
      if (code === "invalid-hash-method") throw new EngineError(code, message, { input: "hash-method" });
      if (code === "key-mismatch") throw new EngineError(code, message);
      if (code === "crypto" || code === "sign-failed") throw new EngineError("sign-failed", message);
      // The key is read first, then the certificate: a code both can give is the key's when
      // the key alone does not load.
      const keyCode = KEY_ERRORS.has(code);
      const certCode = cert !== undefined && CERTIFICATE_ERRORS.has(code);
      if (keyCode && certCode) {
        const keyStep = { message: { op: "load-key" }, bytes: { file: 0 }, base64: step.base64 };
        const again = await runOnDaemon(this.paths, { files: [resolve(key.input.path)], steps: [keyStep] });
        throw refused(answer.error, again.error ? key.input : cert);
      }
      if (keyCode) throw refused(answer.error, key.input);
      if (certCode) throw refused(answer.error, cert);
      throw new EngineError(code, message);
    }
    const [result] = answer.ok;
    for (const note of result.notes ?? []) ctx.warn(note.message);
    return { json: result.json };
  },

  async verify({ properties, cert, trusted, at, explain, requireTrust, image }) {
    const files = new Files();
    const step = {
      message: { op: "verify", at: Number(at), explain, requireTrust },
      files: { data: files.add(image.path) },
      bytes: {
        propertiesJson: files.add(properties.path),
        certificate: files.add(cert.path),
        trusted: trusted.map((t) => files.add(t.path)),
      },
    };
    const answer = await runOnDaemon(this.paths, { files: files.paths, steps: [step] });
    if (answer.error) {
      const { code } = answer.error;
      if (PROPERTY_ERRORS.has(code)) throw refused(answer.error, properties);
      if (CERTIFICATE_ERRORS.has(code)) {
        throw refused(answer.error, await this.badCertificate([cert, ...trusted]));
      }
      throw refused(answer.error);
    }
    const [result] = answer.ok;
    return { json: result.json, text: result.text, exitCode: result.exitCode };
  },

  /**
   * Which of the certificate files (the certificate, then the trusted ones: the order they are
   * read in) the worker refused: the first one that does not load alone. A trusted bundle whose
   * first certificate loads but a later one does not is the first such bundle.
   */
  async badCertificate(inputs) {
    const files = new Files();
    const steps = inputs.map((input) => ({ message: { op: "load-cert", slot: "verify" }, bytes: { pem: files.add(input.path) } }));
    const answer = await runOnDaemon(this.paths, { files: files.paths, steps });
    if (answer.error) return inputs[answer.step];
    return inputs[1] ?? inputs[0];
  },
};
