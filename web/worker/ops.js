// The signing worker's operations, shared by the portal's worker (sig-worker.js) and the
// benchmark's (bench/bench-worker.js). All hashing, signing and verifying runs here, through
// the jco-transpiled glance-sig component: its sessions run the whole procedure (checks,
// explanation, chain, trust, notes) and return the report every door prints, so this file
// only feeds bytes and relays results.
//
// The private key is read, parsed and kept only here: the page hands over the File (a handle,
// not its bytes) and never sees the key material. Nothing here performs network I/O: image
// downloads arrive as ReadableStreams transferred from the page.
//
// Protocol: the page posts {id, op, ...}; the worker answers {id, type: "progress", ...}
// zero or more times, then {id, type: "ok", result} or {id, type: "error", code, message}.
// The messages' shapes are typed on the Rust side (web/src/worker.rs).
// First: the Trusted Types policy that lets this worker start its reader thread.
import "./trusted-types.js";

export let component;
try {
  component = await import("../component/index.js");
} catch (error) {
  postMessage({ id: 0, type: "failed", message: `the glance-sig component did not load: ${error}` });
  throw error;
}

const api = (name, qualified) =>
  component[name] ?? component[`openstack:image-signature/${qualified}@0.2.0`];
const properties = api("properties", "properties");
const certificates = api("certificates", "certificates");
const keys = api("keys", "keys");
const sessions = api("sessions", "sessions");

// Image data is read in slices of this size (Blob.slice, never the whole file); the next
// slice is being read while the current one is hashed.
export const DEFAULT_SLICE = 4 * 1024 * 1024;
// How many slices are being read ahead of the one being hashed.
export const READ_AHEAD = 3;
// Network chunks are small (tens of KiB): gather them to this size before each update().
const STREAM_BATCH = 4 * 1024 * 1024;
// Keys, certificates and property files are small; anything bigger is a mistake.
const SMALL_FILE_LIMIT = 1024 * 1024;


// Worker state: the loaded private key (a component resource), the parsed certificates by
// slot ("signing" for the certificate the key must match, "verify" for the verify view), and
// verifications waiting for a second download to explain a failure.
let privateKey = null;
let keyOrigin = null;
const certs = new Map();
const waiting = new Map();
let nextSession = 1;

export class PortalError extends Error {
  // `input`: which input was refused ("key", "certificate", "trusted" with its `index`).
  constructor(code, message, input = undefined, index = undefined) {
    super(message);
    this.code = code;
    this.input = input;
    this.index = index;
  }
}

// A component error (a WIT variant: {tag, val}) as a PortalError with the component's words.
function componentError(error, fallbackCode) {
  const payload = error && error.payload;
  if (payload && typeof payload === "object" && "tag" in payload) {
    const message = typeof payload.val === "string" ? payload.val : payload.tag;
    return new PortalError(payload.tag, message);
  }
  if (error instanceof PortalError) return error;
  return new PortalError(fallbackCode, String((error && error.message) || error));
}

function attempt(fallbackCode, f) {
  try {
    return f();
  } catch (error) {
    throw componentError(error, fallbackCode);
  }
}

// Component values (BigInt, undefined options) as structured-clone-friendly values.
function plain(value) {
  if (typeof value === "bigint") return Number(value);
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = plain(v);
    }
    return out;
  }
  return value;
}

export function dispose(resource) {
  if (resource && typeof resource[Symbol.dispose] === "function") resource[Symbol.dispose]();
}

function describeKey(key) {
  return { ...plain(key.publicKey()), keyTypeName: properties.keyTypeName(key.keyType()) };
}

const seconds = (at) => BigInt(Math.floor(at ?? Date.now() / 1000));

function certSummary(cert) {
  return { info: plain(cert.info(seconds())), pem: cert.toPem() };
}

function matchesSigning() {
  const cert = certs.get("signing");
  if (!privateKey || !cert) return null;
  return privateKey.matches(cert);
}

async function bytesOf(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof Blob) {
    if (value.size > SMALL_FILE_LIMIT) {
      throw new PortalError("too-large", `that file is too large to be ${what}`);
    }
    return new Uint8Array(await value.arrayBuffer());
  }
  if (typeof value === "string") return new TextEncoder().encode(value);
  throw new PortalError("no-file", `no ${what} given`);
}

const parseCertificate = (bytes) => attempt("not-a-certificate", () => certificates.Certificate.parse(bytes));

// The properties as the component reads them: a raw JSON file (its own errors), or the four
// values as strings (absent when absent).
function propertiesOf({ properties: map, propertiesJson }) {
  if (propertiesJson) return attributed("properties", undefined, () => attempt("properties", () => properties.fromJson(propertiesJson)));
  const entries = Object.entries(map || {}).filter(([, v]) => typeof v === "string");
  return attributed("properties", undefined, () => attempt("properties", () => properties.fromMap(entries)));
}

// The component's words for every key problem, "passphrase-required" included.
function parseKey(bytes, passphrase) {
  const pass = typeof passphrase === "string" ? new TextEncoder().encode(passphrase) : passphrase || undefined;
  return attributed("key", undefined, () => attempt("not-a-key", () => keys.PrivateKey.parse(bytes, pass)));
}

// Runs `f`; a refusal says which input it was about.
function attributed(input, index, f) {
  try {
    return f();
  } catch (error) {
    const failure = componentError(error, "invalid-input");
    failure.input = input;
    failure.index = index;
    throw failure;
  }
}

// A reader thread for files (slice-reader.js): reading in this thread would stall while a
// slice is being hashed. Without it (a nested worker that cannot start), slices are read here.
let reader = null;
let readerFailed = false;
let nextRead = 1;
const reads = new Map();

function readerThread() {
  if (reader || readerFailed) return reader;
  try {
    reader = new Worker(new URL("./slice-reader.js", import.meta.url), { type: "module" });
    reader.onmessage = ({ data }) => {
      const pending = reads.get(data.id);
      reads.delete(data.id);
      if (!pending) return;
      if (data.error) pending.reject(new PortalError("read-failed", `reading the file failed: ${data.error}`));
      else pending.resolve(data);
    };
    reader.onerror = () => {
      readerFailed = true;
      reader = null;
      for (const pending of reads.values()) {
        pending.reject(new PortalError("read-failed", "the file reader thread failed"));
      }
      reads.clear();
    };
  } catch {
    readerFailed = true;
    reader = null;
  }
  return reader;
}

function ask(thread, message, transfer = []) {
  return new Promise((resolve, reject) => {
    const id = nextRead++;
    reads.set(id, { resolve, reject });
    thread.postMessage({ ...message, id }, transfer);
  });
}

// Yields the blob's bytes in slices of `size` (the last one shorter), keeping `depth` slices
// being read ahead while the current one is hashed. The buffers go back to the reader thread
// once hashed: at most depth + 1 slices exist, whatever the file size. The caller must be done
// with a slice before asking for the next one.
async function* slices(blob, size, depth = READ_AHEAD) {
  const thread = readerThread();
  if (!thread) {
    for (let offset = 0; offset < blob.size; offset += size) {
      yield new Uint8Array(await blob.slice(offset, Math.min(offset + size, blob.size)).arrayBuffer());
    }
    return;
  }
  await ask(thread, { op: "open", blob });
  const pending = [];
  let requested = 0;
  const request = (buffer) => {
    if (requested >= blob.size) return;
    requested += size;
    const read = buffer ? ask(thread, { op: "fill", size, buffer }, [buffer]) : ask(thread, { op: "fill", size });
    read.catch(() => {});
    pending.push(read);
  };
  try {
    for (let i = 0; i < depth; i++) request();
    while (pending.length > 0) {
      const { buffer, length } = await pending.shift();
      if (length === 0) break;
      yield new Uint8Array(buffer, 0, length);
      // Hashed: the buffer goes back to be filled again.
      request(buffer);
    }
  } finally {
    await ask(thread, { op: "close" }).catch(() => {});
  }
}

function progressReporter(id, total) {
  const started = performance.now();
  let last = 0;
  return (done, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    postMessage({ id, type: "progress", done, total, elapsedMs: now - started });
  };
}

async function* batched(stream) {
  const reader = stream.getReader();
  let parts = [];
  let size = 0;
  const flush = () => {
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    parts = [];
    size = 0;
    return out;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
    if (size >= STREAM_BATCH) yield flush();
  }
  if (size > 0) yield flush();
}


// Streams `data` (a Blob, re-read for each pass; or a ReadableStream, read once) through
// `feed`; returns the bytes fed.
async function stream(data, feed, report, sliceSize, readAhead) {
  let done = 0;
  const source = data instanceof Blob ? slices(data, sliceSize || DEFAULT_SLICE, readAhead || READ_AHEAD) : batched(data);
  for await (const chunk of source) {
    feed(chunk);
    done += chunk.byteLength;
    report(done);
  }
  report(done, true);
  return done;
}

// Runs the verification's passes over `data` for as long as it wants them. A stream is read
// once: when a second pass is wanted after it, the session waits for `verify-more`.
async function runVerification(entry, data, total, id) {
  const { verification } = entry;
  for (let pass = verification.wantsData(); pass; pass = verification.wantsData()) {
    if (!data) {
      const session = nextSession++;
      waiting.set(session, entry);
      return { wants: pass, session };
    }
    const size = data instanceof Blob ? data.size : total || 0;
    entry.bytes += await stream(data, (chunk) => verification.update(chunk), progressReporter(id, size));
    verification.endPass();
    if (!(data instanceof Blob)) data = null;
  }
  if (data && typeof data.cancel === "function") await data.cancel();
  const report = verification.report();
  const accepted = report.valid && (!entry.requireTrust || report.trustEstablished);
  const result = {
    report: JSON.parse(report.json),
    json: report.json,
    text: report.text,
    valid: report.valid,
    trustEstablished: report.trustEstablished,
    exitCode: accepted ? 0 : 1,
    bytes: entry.bytes,
  };
  entry.release();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Operations

export const ops = {
  async hello() {
    return { ready: true, exports: Object.keys(component).filter((k) => !k.includes(":")) };
  },

  async "load-key"({ file, passphrase }) {
    const bytes = await bytesOf(file, "a private key");
    try {
      const key = parseKey(bytes, passphrase);
      dispose(privateKey);
      privateKey = key;
      keyOrigin = "file";
      return { key: describeKey(key), origin: keyOrigin, matches: matchesSigning() };
    } finally {
      bytes.fill(0);
    }
  },

  async "forget-key"() {
    dispose(privateKey);
    privateKey = null;
    keyOrigin = null;
    return {};
  },

  // A throw-away P-384 key and a self-signed certificate for it, made by the component, for
  // test clouds. The key never leaves this worker; the page gets the certificate only.
  async "generate-key"({ commonName, days, now }) {
    const [key, cert] = attempt("generate-failed", () =>
      keys.testIdentity(String(commonName || "glance-sig test key"), seconds(now), days || 365),
    );
    dispose(privateKey);
    privateKey = key;
    keyOrigin = "generated";
    dispose(certs.get("signing"));
    certs.set("signing", cert);
    return { key: describeKey(key), origin: keyOrigin, certificate: certSummary(cert), matches: true };
  },

  // What a certificate says, for the catalog's signer column: parsed, described, dropped.
  async "describe-cert"({ pem }) {
    const cert = parseCertificate(await bytesOf(pem, "a certificate"));
    try {
      return { certificate: certSummary(cert), matches: null };
    } finally {
      dispose(cert);
    }
  },

  async "load-cert"({ slot, pem }) {
    const cert = parseCertificate(await bytesOf(pem, "a certificate"));
    dispose(certs.get(slot));
    certs.set(slot, cert);
    return { certificate: certSummary(cert), matches: slot === "signing" ? matchesSigning() : null };
  },

  // Signs `data` (a Blob). With `key` (bytes), a key for this call only, and the certificate
  // from `certificate` (bytes) when given; else the loaded key and the "signing" certificate.
  async sign(message, id) {
    const { key: keyBytes, passphrase, certificate, hashMethod, certificateUuid, at, sliceSize, readAhead } = message;
    const data = message.data ?? message.file;
    if (!(data instanceof Blob)) throw new PortalError("no-file", "no image file given");
    // The core's reading of the name, and its words for a near miss.
    const hash = attributed("hash-method", undefined, () => attempt("invalid-hash-method", () => properties.parseHashMethod(String(hashMethod))));
    const own = [];
    try {
      let key = privateKey;
      let cert = certs.get("signing");
      if (keyBytes) {
        const bytes = await bytesOf(keyBytes, "a private key");
        try {
          key = parseKey(bytes, passphrase);
        } finally {
          bytes.fill(0);
        }
        own.push(key);
        const certBytes = certificate ? await bytesOf(certificate, "a certificate") : undefined;
        cert = certBytes ? attributed("certificate", undefined, () => parseCertificate(certBytes)) : undefined;
        if (cert) own.push(cert);
      } else {
        if (!key) throw new PortalError("no-key", "load a private key first");
        if (!cert) throw new PortalError("no-certificate", "choose the signing certificate first");
      }
      const signing = attempt("sign-failed", () =>
        sessions.Signing.start(key, cert, hash, String(certificateUuid ?? ""), seconds(at)),
      );
      own.push(signing);
      const notes = plain(signing.notes());
      const bytes = await stream(data, (chunk) => signing.update(chunk), progressReporter(id, data.size), sliceSize, readAhead);
      const signed = attempt("sign-failed", () => signing.finish());
      return { properties: plain(signed.properties), json: signed.json, notes, bytes };
    } finally {
      own.forEach(dispose);
    }
  },

  // Verifies image data: the properties (a map of the four values, or the raw JSON file as
  // `propertiesJson`), the certificate (`certificate` bytes, else the "verify" slot; none:
  // the report says so), the trusted certificates (`trusted`: one PEM bundle or DER each),
  // `at` (Unix seconds), `explain`, `requireTrust`. `data` is a Blob (a local file, re-read for
  // the explanation) or a ReadableStream (a Glance download): after a stream, a failure worth
  // explaining answers {wants: "explain", session} and waits for `verify-more`.
  async verify(message, id) {
    const own = [];
    try {
      const props = propertiesOf(message);
      let cert = certs.get("verify");
      if (message.certificate) {
        const bytes = await bytesOf(message.certificate, "a certificate");
        cert = attributed("certificate", undefined, () => parseCertificate(bytes));
        own.push(cert);
      } else if (message.certificate === null) {
        cert = undefined;
      }
      const anchors = [];
      for (const [index, given] of (message.trusted || []).entries()) {
        const bundle = await bytesOf(given, "a trusted certificate");
        const all = attributed("trusted", index, () =>
          attempt("not-a-certificate", () => certificates.Certificate.parseAll(bundle)),
        );
        own.push(...all);
        anchors.push(...all);
      }
      const verification = new sessions.Verification(props, cert, anchors, seconds(message.at), message.explain !== false);
      own.push(verification);
      // From here the entry owns the resources: released with the report, or kept while the
      // session waits for `verify-more`.
      const held = own.splice(0);
      const entry = {
        verification,
        requireTrust: Boolean(message.requireTrust),
        bytes: 0,
        release: () => held.splice(0).forEach(dispose),
      };
      try {
        return await runVerification(entry, message.data, message.total, id);
      } catch (error) {
        entry.release();
        throw error;
      }
    } catch (error) {
      throw componentError(error, "verify-failed");
    } finally {
      own.forEach(dispose);
    }
  },

  // A verification that asked for data the page cannot give (its download failed): dropped,
  // so that it does not wait until the page is closed.
  async "verify-cancel"({ session }) {
    const entry = waiting.get(session);
    waiting.delete(session);
    if (entry) entry.release();
    return {};
  },

  // The second download for a verification that asked for one.
  async "verify-more"({ session, data, total }, id) {
    const entry = waiting.get(session);
    waiting.delete(session);
    if (!entry) throw new PortalError("no-session", "that verification is not waiting for data");
    try {
      return await runVerification(entry, data, total, id);
    } catch (error) {
      entry.release();
      throw componentError(error, "verify-failed");
    }
  },
};

// Answers the page's messages with `handlers`.
export function serve(handlers) {
  self.onmessage = async (event) => {
    const { id, op } = event.data || {};
    const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
    if (!handler) {
      postMessage({ id, type: "error", code: "unknown-op", message: `unknown operation ${op}` });
      return;
    }
    try {
      const result = await handler(event.data, id);
      postMessage({ id, type: "ok", result });
    } catch (error) {
      const failure = error instanceof PortalError ? error : componentError(error, "internal");
      postMessage({ id, type: "error", code: failure.code, message: failure.message, input: failure.input, index: failure.index });
    }
  };
  postMessage({ id: 0, type: "ready" });
}

export { slices, stream, progressReporter, reader, ask, privateKey as loadedKey, sessions };
