// The front shared by the JavaScript engines of `glance-sig sign` and `verify`
// (glance-sig-node.mjs: the component in Node; glance-sig-browser.mjs: the portal's worker in
// headless Chromium): glance-sig's flags, the file checks and their errors, exit codes and
// printing, as the Rust CLI has them (crates/glance-sig-cli/src/{cli,input,exit,sign,verify}.rs):
//   0  valid / done
//   1  not valid, the key does not match the certificate, or signing refused
//   2  usage errors, unreadable or malformed input (and a failure of the engine)
//
// An engine does the scheme work. The front calls it step by step, in the Rust CLI's order, and
// the engine parses each input when it gets it (the Node engine) or later, all at once (the
// browser engine): the same error comes out either way when one input is bad.
//
//   engine.label, engine.program, engine.names        "Node", "glance-sig-node", [--engine values]
//   await engine.open()                                 load the component / reach the browser
//   await engine.hashMethod(name)                       -> hash (validated now or later)
//   engine.isEncrypted?.(keyBytes)                      -> bool (to refuse prompting on a TTY)
//   await engine.privateKey(input, passphrase)          -> key
//   await engine.certificate(input)                     -> cert
//   await engine.checkPair(key, cert, ctx)              key-mismatch, the expiry warning
//   await engine.sign({key, cert, hash, certificateUuid, at, image}, ctx)      -> {json}
//   await engine.properties(input), engine.trusted([input])                    -> values
//   await engine.verify({properties, cert, trusted, at, explain, requireTrust, image}, ctx)
//                                                      -> {json, text, exitCode}
//   await engine.close?.()
// `input` is an Input (what, path, bytes()); `image` an Image (path, open()); `ctx.warn(message)`
// prints "glance-sig: warning: <message>". Engines throw EngineError for what the scheme
// refuses (the front adds the file name and the exit code) or CliError.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

export const VERSION = "0.1.0";
/** Keys, certificates and property files are small; anything bigger is a mistake. */
export const SMALL_FILE_LIMIT = 16 * 1024 * 1024;
/** Image read size, one `update` call per chunk: large enough that the per-call cost (~5 us)
 * vanishes, small enough that the chunk copied into the component stays in L2 for hashing. */
const CHUNK = 1024 * 1024;

const PROPERTIES_FIX =
  "give a JSON object of image properties, or the output of `openstack image show -f json IMAGE`";
const KEY_MISMATCH_FIX =
  "pass the certificate that holds this key's public half (openssl x509 -noout -pubkey shows it), or the key the certificate was made for";

/** An error that ends the command: its message, an optional fix, and the exit code. */
export class CliError extends Error {
  constructor(message, code = 2, fix = undefined) {
    super(message);
    this.exitCode = code;
    this.fix = fix;
  }
}

/**
 * What the scheme refused, in the engine's words. `input`: the Input it is about (the front
 * prefixes "<what> <path>: "), or "hash-method". `certKey`: for key-mismatch, the certificate's
 * public key summary.
 */
export class EngineError extends Error {
  constructor(code, message, { input, certKey } = {}) {
    super(message);
    this.code = code;
    this.input = input;
    this.certKey = certKey;
  }
}

/** The CliError for an EngineError: the Rust CLI's wording and exit code. */
// Control characters (but the line feed) and bidirectional marks from input, as \u{..}: the
// same rule as the core's report text (report::escape_controls), so no file name, property
// value or certificate subject drives the terminal.
function safe(text) {
  return String(text).replace(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0).toString(16)}}`,
  );
}

function fromEngine(e, args) {
  if (e.input === "hash-method") {
    return new CliError(`invalid value '${args["hash-method"]}' for '--hash-method <HASH_METHOD>': ${e.message}`);
  }
  if (e.input instanceof Input) {
    return new CliError(
      `${e.input.what} ${e.input.path}: ${e.message}`,
      2,
      e.input.what === "properties file" ? PROPERTIES_FIX : undefined,
    );
  }
  if (e.code === "key-mismatch") {
    const summary = e.certKey === undefined ? "" : ` (${e.certKey})`;
    return new CliError(
      `the private key ${args.key} does not match the certificate ${args.cert}${summary}: a cloud would refuse every signature it makes`,
      1,
      KEY_MISMATCH_FIX,
    );
  }
  if (e.code === "sign-failed") return new CliError(e.message, 1);
  return new CliError(e.message, 2);
}

// --- arguments (the Rust CLI's clap definitions) -------------------------------------------

const COMMANDS = {
  sign: {
    about: "Sign an image file; print the four img_signature* properties as JSON.",
    options: {
      image: { value: true, required: true },
      key: { value: true, required: true },
      "passphrase-file": { value: true },
      "hash-method": { value: true, default: "SHA-256" },
      "cert-uuid": { value: true, required: true },
      cert: { value: true },
      engine: { value: true },
      component: { value: true },
    },
  },
  verify: {
    about: "Verify an image file against its properties and certificate, as Glance and Nova do.",
    options: {
      image: { value: true, required: true },
      cert: { value: true, required: true },
      properties: { value: true, required: true },
      trusted: { value: true, repeat: true, env: "GLANCE_SIG_TRUSTED" },
      "require-trust": { value: false },
      at: { value: true },
      json: { value: false },
      "no-explain": { value: false },
      engine: { value: true },
      component: { value: true },
    },
  },
};

function usage(engine) {
  return [
    `Sign and verify OpenStack image signatures with the glance-sig WebAssembly component (${engine.label}).`,
    "",
    `Usage: ${engine.program} <COMMAND> [OPTIONS]`,
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.about}`),
    "",
    "Options of each command: as glance-sig's (glance-sig <COMMAND> --help).",
  ].join("\n");
}

export function parseArgs(argv, engine) {
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(usage(engine) + "\n");
    process.exit(0);
  }
  if (command === "-V" || command === "--version") {
    process.stdout.write(`glance-sig ${VERSION}\n`);
    process.exit(0);
  }
  if (command === undefined) throw new CliError(`no command given\n\n${usage(engine)}`);
  const spec = COMMANDS[command];
  if (spec === undefined) throw new CliError(`unrecognized subcommand '${command}'\n\n${usage(engine)}`);
  const args = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "-h" || arg === "--help") {
      const opts = Object.entries(spec.options).map(([n, o]) => `  --${n}${o.value ? " <VALUE>" : ""}`);
      process.stdout.write(`${spec.about}\n\nUsage: ${engine.program} ${command} [OPTIONS]\n\nOptions:\n${opts.join("\n")}\n`);
      process.exit(0);
    }
    if (!arg.startsWith("--")) throw new CliError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const opt = spec.options[name];
    if (opt === undefined) throw new CliError(`unexpected argument '--${name}'`);
    let value = true;
    if (opt.value) {
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < rest.length) value = rest[++i];
      else throw new CliError(`a value is required for '--${name} <VALUE>' but none was supplied`);
    } else if (eq !== -1) {
      throw new CliError(`unexpected value '${arg.slice(eq + 1)}' for '--${name}'`);
    }
    if (opt.repeat) (args[name] ??= []).push(value);
    else if (name in args) throw new CliError(`the argument '--${name}' cannot be used multiple times`);
    else args[name] = value;
  }
  for (const [name, opt] of Object.entries(spec.options)) {
    if (!(name in args)) {
      if (opt.required) throw new CliError(`the following required arguments were not provided: --${name} <VALUE>`);
      if (opt.default !== undefined) args[name] = opt.default;
      if (opt.repeat) args[name] = [];
      // As clap's `env` with a `,` delimiter: the variable stands in for the flag.
      const fromEnv = opt.env && process.env[opt.env];
      if (fromEnv) args[name] = opt.repeat ? fromEnv.split(",").filter((v) => v.trim()) : fromEnv;
    }
  }
  if (args.engine !== undefined && !["component", ...engine.names].includes(args.engine)) {
    throw new CliError(`--engine ${args.engine}: this is the ${engine.label} engine (use the Rust glance-sig for others)`);
  }
  return { command, args };
}

// --- inputs (crates/glance-sig-cli/src/input.rs) -------------------------------------------

function osMessage(e) {
  // Node: "ENOENT: no such file or directory, open 'x'"; keep the part before the comma.
  return String(e.message ?? e).replace(/, (open|read|fstat) '.*'$/, "");
}

function readSmall(what, path) {
  let fd;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${osMessage(e)}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > SMALL_FILE_LIMIT) {
      throw new CliError(
        `${what} ${path} is ${size} bytes; that is too large for ${what} (limit ${SMALL_FILE_LIMIT} bytes)`,
      );
    }
    const chunks = [];
    let total = 0;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      let n;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw new CliError(`cannot read ${what} ${path}: ${osMessage(e)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > SMALL_FILE_LIMIT) {
        throw new CliError(`${what} ${path} is too large for ${what} (limit ${SMALL_FILE_LIMIT} bytes)`);
      }
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } finally {
    closeSync(fd);
  }
}

/** A small input file (key, certificate, properties): read whole, once, when first asked. */
export class Input {
  constructor(what, path) {
    this.what = what;
    this.path = path;
  }

  bytes() {
    this._bytes ??= readSmall(this.what, this.path);
    return this._bytes;
  }
}

/** The image: streamed, never read whole. */
export class Image {
  constructor(path) {
    this.path = path;
  }

  error(e) {
    return new CliError(`cannot read image ${this.path}: ${typeof e === "string" ? e : osMessage(e)}`);
  }

  /** The open file (a FileHandle), or the Rust CLI's error for it. */
  async open() {
    let fh;
    try {
      fh = await open(this.path, "r");
    } catch (e) {
      throw this.error(e);
    }
    let dir;
    try {
      dir = (await fh.stat()).isDirectory();
    } catch (e) {
      await fh.close();
      throw this.error(e);
    }
    if (dir) {
      await fh.close();
      throw this.error("is a directory");
    }
    return fh;
  }

  /** Whether it can be read, as `sign` finds out when it opens it (for engines that read it elsewhere). */
  async check() {
    await (await this.open()).close();
  }

  /** Whether it is a readable file, as `verify` checks before any work. */
  checkIsFile() {
    try {
      const fd = openSync(this.path, "r");
      try {
        if (fstatSync(fd).isFile()) return;
      } finally {
        closeSync(fd);
      }
    } catch {
      // as below
    }
    throw this.error("not a readable file");
  }

  /**
   * Streams the image through `feed` in CHUNK-sized pieces. The next chunk is read (by libuv's
   * thread pool) while `feed` hashes the current one, so reading costs no time.
   */
  async stream(feed) {
    const fh = await this.open();
    const read = (buf) =>
      fh.read(buf, 0, CHUNK, null).then(
        (r) => r.bytesRead,
        (e) => {
          throw this.error(e);
        },
      );
    let pending;
    try {
      const bufs = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
      let current = 0;
      pending = read(bufs[current]);
      for (;;) {
        const n = await pending;
        if (n === 0) break;
        const chunk = bufs[current];
        current ^= 1;
        pending = read(bufs[current]);
        feed(n === CHUNK ? chunk : chunk.subarray(0, n));
      }
    } finally {
      // Settle the read in flight (at end of file, or abandoned after an error) before closing.
      await pending?.catch(() => 0);
      await fh.close();
    }
  }
}

/** The first line of a passphrase file, without its line ending (input.rs). */
function passphraseFrom(path) {
  const raw = Buffer.from(readSmall("passphrase file", path));
  let line = raw.subarray(0, raw.indexOf(10) === -1 ? raw.length : raw.indexOf(10));
  if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
  return new Uint8Array(line);
}

/** Now, in Unix seconds. */
export function now() {
  return BigInt(Math.floor(Date.now() / 1000));
}

/** `--at` as humantime::parse_rfc3339_weak reads it (UTC only), else now; Unix seconds. */
function parseTime(at) {
  if (at === undefined) return now();
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z?$/.exec(at);
  const bad = (why) =>
    new CliError(`--at ${at}: ${why} (use RFC 3339, e.g. 2030-01-01T00:00:00Z)`);
  if (!m) throw bad("bad timestamp format");
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] || h > 23 || mi > 59 || s > 60) {
    throw bad("timestamp is out of range");
  }
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s) / 1000);
}

/** Unix seconds as humantime's RFC 3339 (seconds precision). */
export function rfc3339(unix) {
  if (unix < 0n) return `${unix} (before 1970)`;
  return new Date(Number(unix) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// --- the commands ----------------------------------------------------------------------------

const ctx = {
  warn(message) {
    process.stderr.write(`glance-sig: warning: ${safe(message)}\n`);
  },
};

/** `sign` (crates/glance-sig-cli/src/sign.rs). */
async function sign(engine, args) {
  const hash = await engine.hashMethod(args["hash-method"]);
  const certificateUuid = args["cert-uuid"].trim();
  if (certificateUuid === "") {
    throw new CliError("--cert-uuid must not be empty: give the Barbican secret id of the certificate");
  }
  const keyInput = new Input("private key", args.key);
  const keyBytes = keyInput.bytes();
  let passphrase;
  if (args["passphrase-file"] !== undefined) {
    passphrase = passphraseFrom(args["passphrase-file"]);
  } else if (process.stdin.isTTY && engine.isEncrypted?.(keyBytes)) {
    throw new CliError(`the private key is encrypted: give its passphrase with --passphrase-file (the ${engine.label} engine does not prompt)`);
  }
  const key = await engine.privateKey(keyInput, passphrase);
  let cert;
  if (args.cert !== undefined) {
    cert = await engine.certificate(new Input("certificate", args.cert));
    await engine.checkPair(key, cert, ctx);
  }
  const result = await engine.sign({ key, cert, hash, certificateUuid, at: now(), image: new Image(args.image) }, ctx);
  process.stdout.write(result.json);
  return 0;
}

/** `verify` (crates/glance-sig-cli/src/verify.rs). */
async function verify(engine, args) {
  const properties = await engine.properties(new Input("properties file", args.properties));
  const cert = await engine.certificate(new Input("certificate", args.cert));
  const trusted = await engine.trusted(args.trusted.map((path) => new Input("trusted certificate", path)));
  const at = parseTime(args.at);
  const image = new Image(args.image);
  image.checkIsFile();
  const result = await engine.verify(
    {
      properties,
      cert,
      trusted,
      at,
      explain: !args["no-explain"],
      requireTrust: Boolean(args["require-trust"]),
      image,
    },
    ctx,
  );
  // The component's own words: the report as `glance-sig verify --json` and as `glance-sig verify` print it.
  process.stdout.write(args.json ? result.json : result.text);
  return result.exitCode;
}

// --- main -----------------------------------------------------------------------------------

/** Runs the command line with `engine`; sets the exit code. */
export async function main(engine) {
  // A closed pipe is not an error (as in the Rust CLI).
  process.stdout.on("error", () => {});
  let code;
  let args;
  try {
    const parsed = parseArgs(process.argv.slice(2), engine);
    args = parsed.args;
    await engine.open();
    code = parsed.command === "sign" ? await sign(engine, args) : await verify(engine, args);
  } catch (caught) {
    const e = caught instanceof EngineError ? fromEngine(caught, args) : caught;
    if (e instanceof CliError) {
      process.stderr.write(`glance-sig: error: ${safe(e.message)}\n`);
      if (e.fix) process.stderr.write(`  fix: ${safe(e.fix)}\n`);
      code = e.exitCode;
    } else {
      // A trap or a bug: like the Rust CLI's component engine, a failure of the engine.
      process.stderr.write(`glance-sig: error: the component failed: ${safe(String(e?.stack ?? e))}\n`);
      code = 2;
    }
  } finally {
    await engine.close?.();
  }
  process.exitCode = code;
}
