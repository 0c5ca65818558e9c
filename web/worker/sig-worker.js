// The portal's Web Worker: all hashing, signing and verifying runs here, through the
// jco-transpiled glance-sig component (web/component/dist, staged as ../component/ by
// scripts/portal/build.sh), so the page stays responsive and the code that signs is the same
// audited component the Node and Rust hosts run.
//
// The private key is read, parsed and kept only here: the page hands over the File (a handle,
// not its bytes) and never sees the key material. Nothing in this file performs network I/O:
// image downloads arrive as a ReadableStream transferred from the page.
//
// Protocol: the page posts {id, op, ...}; the worker answers {id, type: "progress", ...}
// zero or more times, then {id, type: "ok", result} or {id, type: "error", code, message}.

let component;
try {
  component = await import("../component/index.js");
} catch (error) {
  postMessage({ id: 0, type: "failed", message: `the glance-sig component did not load: ${error}` });
  throw error;
}

const api = (name, qualified) =>
  component[name] ?? component[`openstack:image-signature/${qualified}@0.1.0`];
const signing = api("signing", "signing");
const certificates = api("certificates", "certificates");
const verification = api("verification", "verification");
const selfTest = api("selfTest", "self-test");

// Image data is read in slices of this size (Blob.slice, never the whole file); the next
// slice is being read while the current one is hashed.
const DEFAULT_SLICE = 4 * 1024 * 1024;
// How many slices are being read ahead of the one being hashed.
const READ_AHEAD = 3;
// Network chunks are small (tens of KiB): gather them to this size before each update().
const STREAM_BATCH = 4 * 1024 * 1024;

const HASHES = { "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
const KEY_TYPE_NAMES = {
  "rsa-pss": "RSA-PSS",
  dsa: "DSA",
  "ecc-secp384r1": "ECC_SECP384R1",
  "ecc-secp521r1": "ECC_SECP521R1",
};

// Worker state: the loaded private key (a component resource) and the parsed certificates,
// by slot ("signing" for the certificate the key must match, "verify" for the verify view).
let privateKey = null;
let keyOrigin = null;
const certs = new Map();

class PortalError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function componentError(error, fallbackCode) {
  const payload = error && error.payload;
  if (payload && typeof payload === "object" && "tag" in payload) {
    const val = payload.val;
    const message = typeof val === "string" ? val : JSON.stringify(plain(val));
    return new PortalError(payload.tag, message);
  }
  if (error instanceof PortalError) return error;
  return new PortalError(fallbackCode, String((error && error.message) || error));
}

// Component values (BigInt, undefined options) as JSON-friendly values.
function plain(value) {
  if (typeof value === "bigint") return Number(value);
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return Array.from(value);
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

function dispose(resource) {
  if (resource && typeof resource[Symbol.dispose] === "function") resource[Symbol.dispose]();
}

function describeKey(key) {
  const description = plain(key.publicKey());
  return { ...description, keyTypeName: KEY_TYPE_NAMES[key.keyType()] };
}

function nowSeconds() {
  return BigInt(Math.floor(Date.now() / 1000));
}

function certSummary(cert) {
  const info = plain(cert.info(nowSeconds()));
  return { info, pem: cert.toPem() };
}

function matchesSigning() {
  const cert = certs.get("signing");
  if (!privateKey || !cert) return null;
  return privateKey.matches(cert);
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

// ---------------------------------------------------------------------------------------------
// Operations

const ops = {
  async hello() {
    return { ready: true, exports: Object.keys(component).filter((k) => !k.includes(":")) };
  },

  async "load-key"({ file, passphrase }) {
    if (!(file instanceof Blob)) throw new PortalError("no-file", "no key file given");
    if (file.size > 1024 * 1024) {
      throw new PortalError("not-a-key", "that file is too large to be a private key");
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      if (signing.isEncrypted(bytes) && !passphrase) {
        throw new PortalError("passphrase-required", "the key is encrypted: enter its passphrase");
      }
      const pass = passphrase ? new TextEncoder().encode(passphrase) : undefined;
      let key;
      try {
        key = signing.PrivateKey.parse(bytes, pass);
      } catch (error) {
        throw componentError(error, "not-a-key");
      }
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

  // A throw-away ECDSA P-384 key (WebCrypto) and a self-signed certificate for it, for test
  // clouds. The key never leaves this worker; the page gets the certificate only.
  async "generate-key"({ commonName, days }) {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, [
      "sign",
      "verify",
    ]);
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    const certDer = await selfSignedCertificate(pair.privateKey, spki, commonName, days || 365);
    let key;
    let cert;
    try {
      key = signing.PrivateKey.parse(pkcs8, undefined);
      cert = certificates.Certificate.parse(certDer);
    } catch (error) {
      throw componentError(error, "generate-failed");
    } finally {
      pkcs8.fill(0);
    }
    if (!key.matches(cert)) throw new PortalError("generate-failed", "generated key does not match");
    dispose(privateKey);
    privateKey = key;
    keyOrigin = "generated";
    dispose(certs.get("signing"));
    certs.set("signing", cert);
    return { key: describeKey(key), origin: keyOrigin, certificate: certSummary(cert), matches: true };
  },

  async "load-cert"({ slot, pem }) {
    const bytes = pem instanceof Uint8Array ? pem : new TextEncoder().encode(String(pem));
    let cert;
    try {
      cert = certificates.Certificate.parse(bytes);
    } catch (error) {
      throw componentError(error, "not-a-certificate");
    }
    dispose(certs.get(slot));
    certs.set(slot, cert);
    return { certificate: certSummary(cert), matches: slot === "signing" ? matchesSigning() : null };
  },

  async sign({ file, hashMethod, certificateUuid, sliceSize, readAhead }, id) {
    if (!privateKey) throw new PortalError("no-key", "load a private key first");
    const cert = certs.get("signing");
    if (!cert) throw new PortalError("no-certificate", "choose the signing certificate first");
    if (!privateKey.matches(cert)) {
      throw new PortalError(
        "key-mismatch",
        "the private key does not match the certificate: every cloud would refuse the signature",
      );
    }
    const hash = HASHES[hashMethod];
    if (!hash) throw new PortalError("invalid-hash-method", `unknown hash method ${hashMethod}`);
    const signer = new signing.Signer(privateKey, hash);
    const report = progressReporter(id, file.size);
    let done = 0;
    try {
      for await (const chunk of slices(file, sliceSize || DEFAULT_SLICE, readAhead || READ_AHEAD)) {
        signer.update(chunk);
        done += chunk.byteLength;
        report(done);
      }
      report(done, true);
      const properties = signer.finish(certificateUuid);
      return { properties: plain(properties), bytes: done };
    } catch (error) {
      throw componentError(error, "sign-failed");
    } finally {
      dispose(signer);
    }
  },

  // Verifies image data against the four properties and the "verify" certificate. The data
  // is a Blob (a local file) or a ReadableStream (a Glance download handed over by the page).
  async verify({ properties, data, total }, id) {
    const cert = certs.get("verify");
    if (!cert) throw new PortalError("no-certificate", "no certificate loaded for verification");
    const props = {
      signature: properties.img_signature ?? undefined,
      hashMethod: properties.img_signature_hash_method ?? undefined,
      keyType: properties.img_signature_key_type ?? undefined,
      certificateUuid: properties.img_signature_certificate_uuid ?? undefined,
    };
    const verifier = new verification.Verifier(props, cert);
    const size = data instanceof Blob ? data.size : total || 0;
    const report = progressReporter(id, size);
    let done = 0;
    try {
      if (verifier.needsData()) {
        const source = data instanceof Blob ? slices(data, DEFAULT_SLICE) : batched(data);
        for await (const chunk of source) {
          verifier.update(chunk);
          done += chunk.byteLength;
          report(done);
        }
      } else if (data && typeof data.cancel === "function") {
        await data.cancel();
      }
      report(done, true);
      const verdict = verifier.finish();
      return { verdict: plain(verdict), bytes: done };
    } catch (error) {
      throw componentError(error, "verify-failed");
    } finally {
      dispose(verifier);
    }
  },

  // The component's in-memory hash rate: `length` zero bytes hashed inside the component.
  async "hash-zeros"({ hashMethod, length }) {
    const started = performance.now();
    const digest = selfTest.hashZeros(HASHES[hashMethod] || "sha256", BigInt(length));
    return { ms: performance.now() - started, digest: Array.from(digest) };
  },

  // Benchmark diagnostics: reading the file's slices without hashing them.
  async "bench-read"({ file, sliceSize, readAhead }) {
    const started = performance.now();
    let bytes = 0;
    for await (const chunk of slices(file, sliceSize || DEFAULT_SLICE, readAhead || READ_AHEAD)) {
      bytes += chunk.byteLength;
    }
    return { ms: performance.now() - started, bytes };
  },

  // Benchmark diagnostics: the signer fed one in-memory chunk over and over (the component's
  // rate through the host boundary, with jco's copy into wasm memory, and no file reading).
  async "bench-update"({ hashMethod, sliceSize, total }) {
    if (!privateKey) throw new PortalError("no-key", "load a private key first");
    const chunk = new Uint8Array(sliceSize || DEFAULT_SLICE);
    const signer = new signing.Signer(privateKey, HASHES[hashMethod] || "sha256");
    const started = performance.now();
    let bytes = 0;
    try {
      while (bytes < total) {
        const part = total - bytes >= chunk.byteLength ? chunk : chunk.subarray(0, total - bytes);
        signer.update(part);
        bytes += part.byteLength;
      }
      signer.finish("bench");
    } finally {
      dispose(signer);
    }
    return { ms: performance.now() - started, bytes };
  },

  // Benchmark only: a full garbage collection here and in the reader thread, when Chromium
  // runs with --js-flags=--expose-gc (to tell garbage not yet collected from memory held).
  async gc() {
    if (typeof globalThis.gc === "function") globalThis.gc();
    if (reader) await ask(reader, { op: "gc" });
    return { exposed: typeof globalThis.gc === "function" };
  },

  // Hashing only (sign without keeping the result), for the benchmark: the same slices and
  // the same component calls as `sign`, with timing.
  async "bench-sign"(message, id) {
    const started = performance.now();
    const result = await ops.sign(message, id);
    return { ...result, ms: performance.now() - started };
  },
};

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

// ---------------------------------------------------------------------------------------------
// A minimal DER writer for the self-signed test certificate.

function derLength(n) {
  if (n < 0x80) return [n];
  const bytes = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | bytes.length, ...bytes];
}
function der(tag, ...parts) {
  const body = concat(parts);
  return concat([new Uint8Array([tag, ...derLength(body.length)]), body]);
}
function concat(parts) {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
const seq = (...parts) => der(0x30, ...parts);
const set = (...parts) => der(0x31, ...parts);
function derUint(bytes) {
  let b = Array.from(bytes);
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b.shift();
  if (b[0] >= 0x80) b.unshift(0);
  return der(0x02, b);
}
function oid(text) {
  const ids = text.split(".").map(Number);
  const out = [40 * ids[0] + ids[1]];
  for (const id of ids.slice(2)) {
    const stack = [id & 0x7f];
    let v = Math.floor(id / 128);
    while (v > 0) {
      stack.unshift(0x80 | (v & 0x7f));
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  }
  return der(0x06, out);
}
const utf8 = (text) => der(0x0c, new TextEncoder().encode(text));
function generalizedTime(date) {
  const pad = (n) => String(n).padStart(2, "0");
  const text =
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return der(0x18, new TextEncoder().encode(text));
}
function utcOrGeneralized(date) {
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) {
    const g = generalizedTime(date);
    // UTCTime drops the century: YYMMDDHHMMSSZ.
    return der(0x17, g.slice(4));
  }
  return generalizedTime(date);
}
function name(commonName) {
  return seq(
    set(seq(oid("2.5.4.10"), utf8("glance-sig portal test key"))),
    set(seq(oid("2.5.4.3"), utf8(commonName))),
  );
}

async function selfSignedCertificate(privateKey, spki, commonName, days) {
  const ecdsaWithSha384 = seq(oid("1.2.840.10045.4.3.3"));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const notBefore = new Date(Date.now() - 60 * 1000);
  const notAfter = new Date(Date.now() + days * 86400 * 1000);
  const subject = name(commonName);
  const extensions = der(
    0xa3,
    seq(
      // basicConstraints CA:TRUE (critical): Nova accepts a self-signed certificate only when
      // it is among the trusted certificates, and then requires CA:TRUE.
      seq(oid("2.5.29.19"), der(0x01, [0xff]), der(0x04, seq(der(0x01, [0xff])))),
      // keyUsage digitalSignature + keyCertSign (critical).
      seq(oid("2.5.29.15"), der(0x01, [0xff]), der(0x04, der(0x03, [0x02, 0x84]))),
    ),
  );
  const tbs = seq(
    der(0xa0, derUint([2])),
    derUint(serial),
    ecdsaWithSha384,
    subject,
    seq(utcOrGeneralized(notBefore), utcOrGeneralized(notAfter)),
    subject,
    spki,
    extensions,
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-384" }, privateKey, tbs),
  );
  // WebCrypto gives r||s; X.509 wants DER SEQUENCE { r, s }.
  const half = raw.length / 2;
  const signature = seq(derUint(raw.slice(0, half)), derUint(raw.slice(half)));
  return seq(tbs, ecdsaWithSha384, der(0x03, concat([[0], signature])));
}

// ---------------------------------------------------------------------------------------------

self.onmessage = async (event) => {
  const { id, op } = event.data || {};
  const handler = ops[op];
  if (!handler) {
    postMessage({ id, type: "error", code: "unknown-op", message: `unknown operation ${op}` });
    return;
  }
  try {
    const result = await handler(event.data, id);
    postMessage({ id, type: "ok", result });
  } catch (error) {
    const failure = error instanceof PortalError ? error : componentError(error, "internal");
    postMessage({ id, type: "error", code: failure.code, message: failure.message });
  }
};

postMessage({ id: 0, type: "ready" });
