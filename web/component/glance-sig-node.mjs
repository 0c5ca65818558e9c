#!/usr/bin/env node
// glance-sig's `sign` and `verify`, with the scheme work done by the WebAssembly component
// (transpiled by jco into dist/, see transpile.mjs) under Node. Same flags, same stdout for
// `sign` and `verify --json`, same exit codes as the Rust CLI:
//   0  valid / done
//   1  not valid, the key does not match the certificate, or signing refused
//   2  usage errors, unreadable or malformed input (and a failure inside the component)
// `verify` without --json prints the same JSON (the readable text is the Rust CLI's).
// `inspect` is not an engine command: scripts/component/glance-sig-node hands it to the native
// glance-sig.
//
// This file only reads files, parses flags and prints; every check, message and verdict comes
// from the component. The report is the component's verdict, chain verdict and diagnosis laid
// out as `glance-sig verify --json` lays out the core's report (crates/glance-sig-core/src/report.rs).
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const VERSION = "0.1.0";
/** Keys, certificates and property files are small; anything bigger is a mistake. */
const SMALL_FILE_LIMIT = 16 * 1024 * 1024;
/** Image read size, one `update` call per chunk: large enough that the per-call cost (~5 us)
 * vanishes, small enough that the chunk copied into the component stays in L2 for hashing. */
const CHUNK = 1024 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const distModule = process.env.GLANCE_SIG_JS ?? join(here, "dist", "glance-sig.js");

/** An error that ends the command: its message, an optional fix, and the exit code. */
class CliError extends Error {
  constructor(message, code = 2, fix = undefined) {
    super(message);
    this.exitCode = code;
    this.fix = fix;
  }
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
      trusted: { value: true, repeat: true },
      at: { value: true },
      json: { value: false },
      "no-explain": { value: false },
      engine: { value: true },
      component: { value: true },
    },
  },
};

function usage() {
  return [
    "Sign and verify OpenStack image signatures with the glance-sig WebAssembly component (Node).",
    "",
    "Usage: glance-sig-node <COMMAND> [OPTIONS]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.about}`),
    "",
    "Options of each command: as glance-sig's (glance-sig <COMMAND> --help).",
  ].join("\n");
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(usage() + "\n");
    process.exit(0);
  }
  if (command === "-V" || command === "--version") {
    process.stdout.write(`glance-sig ${VERSION}\n`);
    process.exit(0);
  }
  if (command === undefined) throw new CliError(`no command given\n\n${usage()}`);
  const spec = COMMANDS[command];
  if (spec === undefined) throw new CliError(`unrecognized subcommand '${command}'\n\n${usage()}`);
  const args = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "-h" || arg === "--help") {
      const opts = Object.entries(spec.options).map(([n, o]) => `  --${n}${o.value ? " <VALUE>" : ""}`);
      process.stdout.write(`${spec.about}\n\nUsage: glance-sig-node ${command} [OPTIONS]\n\nOptions:\n${opts.join("\n")}\n`);
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
    }
  }
  if (args.engine !== undefined && !["component", "node"].includes(args.engine)) {
    throw new CliError(`--engine ${args.engine}: this is the Node engine (use the Rust glance-sig for others)`);
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

/**
 * Streams the image through `feed` in CHUNK-sized pieces. The next chunk is read (by libuv's
 * thread pool) while `feed` hashes the current one in the component, so reading costs no time.
 */
async function streamImage(path, feed) {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new CliError(`cannot read image ${path}: ${osMessage(e)}`);
  }
  const read = (buf) =>
    fh.read(buf, 0, CHUNK, null).then(
      (r) => r.bytesRead,
      (e) => {
        throw new CliError(`cannot read image ${path}: ${osMessage(e)}`);
      },
    );
  let pending;
  try {
    if ((await fh.stat()).isDirectory()) throw new CliError(`cannot read image ${path}: is a directory`);
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

function isFile(path) {
  try {
    const fd = openSync(path, "r");
    try {
      return fstatSync(fd).isFile();
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** `--at` as humantime::parse_rfc3339_weak reads it (UTC only), else now; Unix seconds. */
function parseTime(at) {
  if (at === undefined) return BigInt(Math.floor(Date.now() / 1000));
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
function rfc3339(unix) {
  if (unix < 0n) return `${unix} (before 1970)`;
  return new Date(Number(unix) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// --- the component --------------------------------------------------------------------------

let gs;

/** A ComponentError's payload (`{tag, val}`), or rethrow. */
function errPayload(e) {
  if (e && typeof e === "object" && "payload" in e) return e.payload;
  throw e;
}

/** The message of an error variant whose cases carry it, or of a tag. */
function variantMessage(p) {
  return typeof p.val === "string" ? p.val : p.tag;
}

function malformed(what, path, detail, fix) {
  return new CliError(`${what} ${path}: ${detail}`, 2, fix);
}

function keyTypeName(k) {
  return k === undefined ? null : gs.properties.keyTypeName(k);
}

function hashMethodName(h) {
  return h === undefined ? null : gs.properties.hashMethodName(h);
}

// --- sign (crates/glance-sig-cli/src/sign.rs) -----------------------------------------------

async function sign(args) {
  let hash;
  try {
    hash = gs.properties.parseHashMethod(args["hash-method"]);
  } catch (e) {
    throw new CliError(`invalid value '${args["hash-method"]}' for '--hash-method <HASH_METHOD>': ${variantMessage(errPayload(e))}`);
  }
  const certUuid = args["cert-uuid"].trim();
  if (certUuid === "") {
    throw new CliError("--cert-uuid must not be empty: give the Barbican secret id of the certificate");
  }
  const keyBytes = readSmall("private key", args.key);
  let passphrase;
  if (args["passphrase-file"] !== undefined) {
    const raw = Buffer.from(readSmall("passphrase file", args["passphrase-file"]));
    let line = raw.subarray(0, raw.indexOf(10) === -1 ? raw.length : raw.indexOf(10));
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    passphrase = new Uint8Array(line);
  } else if (gs.signing.isEncrypted(keyBytes) && process.stdin.isTTY) {
    throw new CliError("the private key is encrypted: give its passphrase with --passphrase-file (the Node engine does not prompt)");
  }
  let key;
  try {
    key = gs.signing.PrivateKey.parse(keyBytes, passphrase);
  } catch (e) {
    throw malformed("private key", args.key, variantMessage(errPayload(e)));
  }
  if (args.cert !== undefined) {
    const cert = parseCertificate("certificate", args.cert);
    const info = cert.info(0n);
    if (!key.matches(cert)) {
      throw new CliError(
        `the private key ${args.key} does not match the certificate ${args.cert} (${info.publicKey.summary}): a cloud would refuse every signature it makes`,
        1,
        "pass the certificate that holds this key's public half (openssl x509 -noout -pubkey shows it), or the key the certificate was made for",
      );
    }
    if (BigInt(Math.floor(Date.now() / 1000)) > info.notAfter) {
      process.stderr.write(
        `glance-sig: warning: the certificate expired at ${rfc3339(info.notAfter)}; Glance still accepts the signature, Nova with trusted certificates refuses it\n`,
      );
    }
  }
  const signer = new gs.signing.Signer(key, hash);
  await streamImage(args.image, (chunk) => signer.update(chunk));
  let props;
  try {
    props = signer.finish(certUuid);
  } catch (e) {
    throw new CliError(variantMessage(errPayload(e)), 1);
  }
  process.stdout.write(gs.properties.toJson(props));
  return 0;
}

// --- verify (crates/glance-sig-cli/src/verify.rs) -------------------------------------------

function parseCertificate(what, path) {
  const bytes = readSmall(what, path);
  try {
    return gs.certificates.Certificate.parse(bytes);
  } catch (e) {
    throw malformed(what, path, variantMessage(errPayload(e)));
  }
}

async function verify(args) {
  const propsBytes = readSmall("properties file", args.properties);
  let props;
  try {
    props = gs.properties.fromJson(propsBytes);
  } catch (e) {
    throw malformed(
      "properties file",
      args.properties,
      variantMessage(errPayload(e)),
      "give a JSON object of image properties, or the output of `openstack image show -f json IMAGE`",
    );
  }
  const cert = parseCertificate("certificate", args.cert);
  const trusted = [];
  for (const path of args.trusted) {
    const bytes = readSmall("trusted certificate", path);
    try {
      trusted.push(...gs.certificates.Certificate.parseAll(bytes));
    } catch (e) {
      throw malformed("trusted certificate", path, variantMessage(errPayload(e)));
    }
  }
  const at = parseTime(args.at);
  if (!isFile(args.image)) throw new CliError(`cannot read image ${args.image}: not a readable file`);

  const verifier = new gs.verification.Verifier(props, cert);
  // Refused before any data is read, as Glance answers at once.
  if (verifier.needsData()) await streamImage(args.image, (chunk) => verifier.update(chunk));
  const verdict = verifier.finish();
  let diagnosis = [];
  if (!args["no-explain"] && !verdict.valid && verdict.rejection?.explainable) {
    const explainer = new gs.verification.Explainer(props, cert);
    if (explainer.needsData()) await streamImage(args.image, (chunk) => explainer.update(chunk));
    diagnosis = explainer.finish();
  }
  let chain;
  if (args.trusted.length > 0) {
    const store = new gs.certificates.TrustStore();
    for (const t of trusted) store.add(t);
    chain = store.validate(cert, at);
  }
  const info = cert.info(0n);
  const warnings = [...verdict.warnings];
  if (args.trusted.length === 0 && (at > info.notAfter || at < info.notBefore)) {
    warnings.push({
      code: "certificate-outside-validity",
      message: `the certificate is valid ${rfc3339(info.notBefore)} to ${rfc3339(info.notAfter)}; Glance does not check dates, but Nova with trusted certificates refuses it`,
    });
  }
  const report = {
    valid: verdict.valid && (chain === undefined || chain.valid),
    signature: {
      valid: verdict.valid,
      key_type: keyTypeName(verdict.keyType),
      hash_method: hashMethodName(verdict.hashMethod),
      certificate_uuid: verdict.certificateUuid ?? null,
      pss:
        verdict.pss === undefined
          ? null
          : {
              salt_length: verdict.pss.saltLength ?? null,
              max_salt_length: verdict.pss.maxSaltLength,
              accepted_by_older_clouds: verdict.pss.acceptedByOlderClouds,
            },
    },
    chain:
      chain === undefined
        ? null
        : {
            valid: chain.valid,
            path: chain.path,
            error:
              chain.error === undefined
                ? null
                : { code: chain.error.code, message: chain.error.message, cursive_message: chain.error.cursiveMessage },
            skipped_trusted: chain.skippedTrusted.map((s) => ({ subject: s.subject, reason: s.reason })),
          },
    error:
      verdict.rejection === undefined
        ? null
        : {
            code: verdict.rejection.code,
            message: verdict.rejection.message,
            cursive_message: verdict.rejection.cursiveMessage,
            fix: verdict.rejection.fix,
          },
    diagnosis: diagnosis.map((d) => ({ code: d.code, message: d.message })),
    warnings: warnings.map((n) => ({ code: n.code, message: n.message })),
    checks: [...verdict.checks, ...(chain === undefined ? [] : [chain.check])].map((c) => ({
      name: c.name,
      passed: c.passed,
      description: c.description,
    })),
  };
  // serde_json's pretty printer and JSON.stringify(_, null, 2) agree byte for byte on this data.
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return report.valid ? 0 : 1;
}

// --- main -----------------------------------------------------------------------------------

async function main() {
  // A closed pipe is not an error (as in the Rust CLI).
  process.stdout.on("error", () => {});
  let code;
  try {
    const { command, args } = parseArgs(process.argv.slice(2));
    try {
      gs = await import(pathToFileURL(distModule).href);
    } catch (e) {
      throw new CliError(
        `cannot load the transpiled component ${distModule}: ${e.message}`,
        2,
        "build it with scripts/component/build.sh (or point GLANCE_SIG_JS at glance-sig.js)",
      );
    }
    code = command === "sign" ? await sign(args) : await verify(args);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`glance-sig: error: ${e.message}\n`);
      if (e.fix) process.stderr.write(`  fix: ${e.fix}\n`);
      code = e.exitCode;
    } else {
      // A trap or a bug: like the Rust CLI's component engine, a failure of the engine.
      process.stderr.write(`glance-sig: error: the component failed: ${e?.stack ?? e}\n`);
      code = 2;
    }
  }
  process.exitCode = code;
}

await main();
