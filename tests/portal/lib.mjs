// Helpers for the portal's end-to-end tests: Chromium (Debian's, through playwright-core),
// request capture, key fixtures made with openssl, and direct API calls to check what the
// cloud holds.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, openSync, closeSync, writeSync } from "node:fs";
import { X509Certificate, createECDH, createPrivateKey, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { CHROMIUM_ARGS } from "../../web/component/chromium.mjs";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

// The portal built with the test hooks (tests/portal/run.sh: target/portal-test/).
export const PORTAL = process.env.PORTAL_URL || "http://127.0.0.1:8080/";
// The directory PORTAL is served from (run.sh: a fresh copy of the test build in
// target/portal-served/): the trust tests give its config.json trusted certificates.
export const PORTAL_DIR = process.env.PORTAL_DIR || new URL("../../target/portal-served/", import.meta.url).pathname;
export const HOST_OK = process.env.PORTAL_HOST_URL || "http://127.0.0.1:8081/";
export const HOST_BAD = process.env.PORTAL_BAD_HOST_URL || "http://127.0.0.1:8082/";
export const AUTH_URL = process.env.OS_AUTH_URL || "http://127.0.0.1:5000/v3";
// The catalog also lists the https fronts (RegionTLS, RegionMTLS): pick the plain region.
export const REGION = process.env.OS_REGION_NAME || "RegionOne";
export const USER = process.env.PORTAL_TEST_USER || "demo";
export const PASSWORD = process.env.PORTAL_TEST_PASSWORD || "demo-secret";
export const RUN = `portal-e2e-${Date.now().toString(36)}`;

export { CHROMIUM_ARGS };

/**
 * A fresh Chromium with a fresh user-data-dir, and every request of every page captured.
 * `args`: more Chromium switches (the https test trusts the stack's server key by its SPKI).
 */
export async function launch({ viewport = { width: 1200, height: 900 }, args = [] } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), "portal-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    viewport,
  });
  const requests = [];
  context.on("request", (request) => requests.push(request));
  const consoleLines = [];
  const cdp = [];
  const page = context.pages()[0] || (await context.newPage());
  const watch = (p) => {
    p.on("console", (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    p.on("pageerror", (error) => consoleLines.push(`[pageerror] ${error.message}`));
    p.on("worker", (worker) => worker.on("console", (message) => consoleLines.push(`[worker ${message.type()}] ${message.text()}`)));
    return watchNetwork(context, p, cdp);
  };
  await watch(page);
  context.on("page", watch);
  return { context, page, requests, consoleLines, cdp, userDataDir };
}

/** A `launch` that adds each browser to `list` (for the checks and the closing at the end). */
export function tracked(list) {
  return async (options) => {
    const b = await launch(options);
    list.push(b);
    return b;
  };
}

/** Waits for `selector`; on timeout, the error says what the page shows instead. */
export async function waitFor(page, selector, { timeout = 30_000, explain = [] } = {}) {
  try {
    return await page.waitForSelector(selector, { timeout });
  } catch (error) {
    const shown = [];
    for (const s of [...explain, "#auth-error", "#key-status", "#cert-status", "#outcome", "#worker-status"]) {
      const text = await page.$eval(s, (e) => e.innerText).catch(() => null);
      if (text) shown.push(`${s}: ${text}`);
    }
    error.message += `\n  the page shows: ${shown.join(" | ") || "(nothing)"}`;
    throw error;
  }
}

/** Waits until the portal's worker has loaded the component. */
export async function openPortal(page, query = "", base = PORTAL) {
  await page.goto(base + query);
  await waitFor(page, '#worker-status[data-status="ready"]', { timeout: 60_000 });
}

/** Password sign-in through the form (the demo user has one project: scoped at once). */
export async function signIn(page, user = USER, password = PASSWORD) {
  await page.fill("#auth-user", user);
  await page.fill("#auth-password", password);
  await page.click("#sign-in");
  await waitFor(page, "#session-user");
}

export async function loadKey(page, path, passphrase) {
  await page.setInputFiles("#key-file", path);
  if (passphrase !== undefined) {
    await page.waitForSelector('#key-status[data-status="passphrase"]');
    await page.fill("#key-passphrase", passphrase);
    await page.click("#key-unlock");
  }
  await waitFor(page, '#key-status[data-status="loaded"]');
}

export async function storeCertificate(page, path) {
  await page.setInputFiles("#cert-file", path);
  const status = await waitFor(page, '#cert-status[data-status="loaded"]:not([data-uuid=""])');
  return status.getAttribute("data-uuid");
}

export async function chooseImage(page, path, name) {
  await page.setInputFiles("#image-file", path);
  await page.waitForSelector("#image-chosen");
  await page.fill("#image-name", name);
}

/** Clicks "Sign and upload" and waits for the outcome element; returns its attributes. */
export async function signAndUpload(page, timeout = 120_000) {
  await page.click("#sign-upload");
  const outcome = await page.waitForSelector("#outcome", { timeout });
  return {
    kind: await outcome.getAttribute("data-outcome"),
    imageId: await outcome.getAttribute("data-image-id"),
    deleted: await outcome.getAttribute("data-deleted"),
    text: await outcome.innerText(),
  };
}

/**
 * signAndUpload, then asserts that Glance verified the upload and what it holds, asked over the
 * API with `tok`: the image active, all four signature properties set, the certificate
 * `certificateUuid`, and the fields of `expected` (e.g. name, size, img_signature_key_type).
 * Returns the outcome.
 */
export async function signAndUploadVerified(page, tok, certificateUuid, expected = {}) {
  const outcome = await signAndUpload(page);
  assert.equal(outcome.kind, "verified", outcome.text);
  assert.match(outcome.text, /Verified by Glance/);
  const shown = await glance(tok, "GET", `/v2/images/${outcome.imageId}`);
  assert.equal(shown.status, 200);
  assert.equal(shown.json.status, "active");
  for (const property of SIGNATURE_PROPERTIES) assert.ok(shown.json[property], `${property} is set`);
  assert.equal(shown.json.img_signature_certificate_uuid, certificateUuid);
  // One comparison, so that a failure shows every expected field next to what Glance holds.
  const held = Object.fromEntries(Object.keys(expected).map((field) => [field, shown.json[field]]));
  assert.deepEqual(held, expected);
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

export function workDir() {
  return mkdtempSync(join(tmpdir(), "portal-e2e-"));
}

function openssl(args, options = {}) {
  return execFileSync("openssl", args, { stdio: ["pipe", "pipe", "pipe"], ...options });
}

/** A key (PEM) and a self-signed certificate for it; `passphrase` encrypts the key (PKCS#8). */
export function keyPair(dir, name, { type = "rsa", passphrase } = {}) {
  const key = join(dir, `${name}.key.pem`);
  const plainKey = join(dir, `${name}.plain.key.pem`);
  const cert = join(dir, `${name}.cert.pem`);
  if (type === "rsa") {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", plainKey]);
  } else {
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", plainKey]);
  }
  openssl(["req", "-new", "-x509", "-key", plainKey, "-out", cert, "-days", "30", "-subj", `/CN=${RUN} ${name}`]);
  if (passphrase) {
    openssl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", plainKey, "-out", key, "-passout", `pass:${passphrase}`]);
  } else {
    writeFileSync(key, readFileSync(plainKey));
  }
  const der = openssl(["pkey", "-in", plainKey, "-outform", "DER"]);
  return { key, cert, plainKey, der, pem: readFileSync(key, "utf8"), plainPem: readFileSync(plainKey, "utf8") };
}

const CA_EXTENSIONS = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"];

/**
 * A certificate authority for the trust tests: an EC P-384 key and a self-signed CA
 * certificate (basicConstraints CA:TRUE, keyUsage keyCertSign, as Nova requires of an issuer).
 * `expired`: valid 2020-01-01 to 2021-01-01 only (made with `openssl ca`, which takes dates).
 */
export function certificateAuthority(dir, name, { expired = false } = {}) {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.cert.pem`);
  const subject = `/CN=${RUN} ${name}`;
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key]);
  if (!expired) {
    openssl(["req", "-new", "-x509", "-key", key, "-out", cert, "-days", "30", "-subj", subject, ...CA_EXTENSIONS]);
  } else {
    const db = join(dir, `${name}-db`);
    mkdirSync(db, { recursive: true });
    writeFileSync(join(db, "index.txt"), "");
    writeFileSync(join(db, "serial"), "01\n");
    const config = join(db, "ca.cnf");
    writeFileSync(config, [
      "[ca]", "default_ca = ca_default",
      "[ca_default]", `dir = ${db}`, "database = $dir/index.txt", "new_certs_dir = $dir",
      "serial = $dir/serial", "default_md = sha256", "policy = any", "unique_subject = no",
      "[any]", "commonName = supplied",
      "[v3_ca]", "basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier = hash", "",
    ].join("\n"));
    const csr = join(db, "ca.csr");
    openssl(["req", "-new", "-key", key, "-out", csr, "-subj", subject]);
    openssl(["ca", "-batch", "-config", config, "-selfsign", "-keyfile", key, "-in", csr, "-out", cert,
      "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-extensions", "v3_ca", "-notext"]);
  }
  return { key, cert, pem: readFileSync(cert, "utf8"), subject: subject.slice(1) };
}

/** An EC P-384 key and a leaf certificate for it issued by `ca` (valid for 30 days from now). */
export function issue(dir, ca, name) {
  const key = join(dir, `${name}.key.pem`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.cert.pem`);
  const ext = join(dir, `${name}.ext`);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", key]);
  openssl(["req", "-new", "-key", key, "-out", csr, "-subj", `/CN=${RUN} ${name}`]);
  writeFileSync(ext, "basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n");
  openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert,
    "-days", "30", "-sha256", "-extfile", ext]);
  return { key, cert, pem: readFileSync(cert, "utf8") };
}

/** The SHA-256 fingerprint of a certificate, as the report writes it (`AB:CD:...`). */
export function fingerprint(certPath) {
  const out = openssl(["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"], { encoding: "utf8" });
  return out.trim().split("=")[1];
}

/** An ECDSA P-384 signature of `dataPath` with SHA-256 as Glance reads it: base64 of the DER. */
export function ecdsaSignature(keyPath, dataPath) {
  return openssl(["dgst", "-sha256", "-sign", keyPath, dataPath]).toString("base64");
}

/** A file of `size` random bytes (written in 1 MiB pieces). */
export function randomFile(path, size) {
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(1 << 20, size - done);
      writeSync(fd, randomBytes(n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// The private key must never leave the browser.

/**
 * Every encoding of a private key the leak check looks for, derived from the key itself
 * (node:crypto): its PKCS#8 PEM and DER, its PKCS#1 (RSA) or SEC1 (EC) PEM and DER, and its
 * raw private numbers from the JWK (RSA: d, p, q, dp, dq, qi; EC: d), each DER and number as
 * base64, base64url and hex, and as raw bytes. `fileText`: the key file as loaded (an
 * encrypted PEM, say), looked for too. Returns `{ name, texts: [[label, text]], raws: [[label, Buffer]] }`.
 */
export function keyNeedles(name, key, fileText) {
  const texts = new Map();
  const raws = new Map();
  const text = (label, value) => {
    if (value && value.length >= 16 && !texts.has(value)) texts.set(value, label);
  };
  const pemForms = (label, pem) => {
    text(`${label} PEM`, pem.trim());
    const body = pem.split("\n").filter((line) => line && !line.startsWith("-----"));
    text(`${label} PEM body`, body.join(""));
    body.forEach((line, i) => text(`${label} PEM line ${i + 1}`, line));
  };
  const bytes = (label, buffer) => {
    raws.set(label, buffer);
    text(`${label} base64`, buffer.toString("base64"));
    text(`${label} base64url`, buffer.toString("base64url"));
    text(`${label} hex`, buffer.toString("hex"));
    text(`${label} HEX`, buffer.toString("hex").toUpperCase());
  };
  const jwk = key.export({ format: "jwk" });
  const classic = jwk.kty === "RSA" ? "pkcs1" : "sec1";
  pemForms("PKCS#8", key.export({ type: "pkcs8", format: "pem" }));
  bytes("PKCS#8 DER", key.export({ type: "pkcs8", format: "der" }));
  pemForms(classic === "pkcs1" ? "PKCS#1" : "SEC1", key.export({ type: classic, format: "pem" }));
  bytes(classic === "pkcs1" ? "PKCS#1 DER" : "SEC1 DER", key.export({ type: classic, format: "der" }));
  const numbers = jwk.kty === "RSA" ? ["d", "p", "q", "dp", "dq", "qi"] : ["d"];
  for (const n of numbers) bytes(`${jwk.kty} ${n}`, Buffer.from(jwk[n], "base64url"));
  if (fileText) pemForms("key file", fileText);
  return {
    name,
    texts: [...texts].map(([value, label]) => [label, value]),
    raws: [...raws],
  };
}

/** The needles of a `keyPair` fixture: its key, and the file the tests load (maybe encrypted). */
export function fixtureNeedles(name, fixture) {
  return keyNeedles(name, createPrivateKey(fixture.plainPem), fixture.pem);
}

/**
 * The key a portal generated, found from what its worker drew from crypto.getRandomValues
 * (recorded by `recordWorkerRandomness`): the P-384 scalar is one 48-byte draw (rejection
 * sampling), the one whose public point is the certificate's. Returns the KeyObject.
 */
export function generatedKey(draws, certificatePem) {
  const pub = new X509Certificate(certificatePem).publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x, "base64url"), Buffer.from(pub.y, "base64url")]);
  for (const draw of draws) {
    const candidates = [];
    const buffer = Buffer.from(draw);
    for (let i = 0; i + 48 <= buffer.length; i++) candidates.push(buffer.subarray(i, i + 48));
    for (const d of candidates) {
      const ecdh = createECDH("secp384r1");
      try {
        ecdh.setPrivateKey(d);
      } catch {
        continue;
      }
      if (ecdh.getPublicKey().equals(point)) {
        return createPrivateKey({ key: { ...pub, d: d.toString("base64url") }, format: "jwk" });
      }
    }
  }
  throw new Error(`none of the ${draws.length} random draws of the worker is the generated key's scalar`);
}

/**
 * Wraps crypto.getRandomValues in the portal's signing worker (once it runs) so that every
 * draw is kept in the worker as self.__draws; returns a function that reads them out.
 */
export async function recordWorkerRandomness(page) {
  const isSigner = (w) => w.url().endsWith("/worker/sig-worker.js");
  const worker = page.workers().find(isSigner) || (await page.waitForEvent("worker", { predicate: isSigner }));
  await worker.evaluate(() => {
    const original = crypto.getRandomValues.bind(crypto);
    self.__draws = [];
    crypto.getRandomValues = (array) => {
      const result = original(array);
      self.__draws.push(Array.from(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)));
      return result;
    };
  });
  return () => worker.evaluate(() => self.__draws);
}

/**
 * Everything a page's origin keeps: localStorage, sessionStorage, IndexedDB (every database,
 * store, key and value), Cache Storage (every request URL and response body) and the origin
 * private file system (every file). Runs in the page (or frame) with `evaluate`. Returns
 * `[{ where, text } | { where, base64 }]`; a private CryptoKey found in IndexedDB is reported
 * as the text "CryptoKey(private)", which the check counts as a hit.
 */
export async function storageOf(target) {
  return target.evaluate(async () => {
    const out = [];
    const b64 = (u8) => {
      let s = "";
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const add = async (where, v, depth = 0) => {
      if (v === null || v === undefined || depth > 20) return;
      if (typeof v === "string") out.push({ where, text: v });
      else if (v instanceof ArrayBuffer) out.push({ where, base64: b64(new Uint8Array(v)) });
      else if (ArrayBuffer.isView(v)) out.push({ where, base64: b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) });
      else if (v instanceof Blob) out.push({ where, base64: b64(new Uint8Array(await v.arrayBuffer())) });
      else if (typeof CryptoKey !== "undefined" && v instanceof CryptoKey) {
        out.push({ where, text: v.type === "private" ? "CryptoKey(private)" : `CryptoKey(${v.type})` });
      } else if (v instanceof Map) {
        for (const [k, x] of v) {
          await add(`${where}[key]`, k, depth + 1);
          await add(`${where}[value]`, x, depth + 1);
        }
      } else if (typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          out.push({ where: `${where}.key`, text: k });
          await add(`${where}.${k}`, x, depth + 1);
        }
      } else out.push({ where, text: String(v) });
    };
    for (const [name, store] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]]) {
      for (let i = 0; i < store.length; i++) {
        const key = store.key(i);
        out.push({ where: `${name} key`, text: key });
        out.push({ where: `${name}[${key}]`, text: store.getItem(key) });
      }
    }
    const request = (r) => new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    for (const { name, version } of await indexedDB.databases()) {
      const db = await request(indexedDB.open(name, version));
      for (const storeName of db.objectStoreNames) {
        const store = db.transaction(storeName, "readonly").objectStore(storeName);
        await add(`IndexedDB ${name}/${storeName} keys`, await request(store.getAllKeys()));
        await add(`IndexedDB ${name}/${storeName} values`, await request(store.getAll()));
      }
      db.close();
    }
    for (const cacheName of await caches.keys()) {
      const cache = await caches.open(cacheName);
      for (const req of await cache.keys()) {
        out.push({ where: `Cache Storage ${cacheName} URL`, text: req.url });
        const res = await cache.match(req);
        if (res) await add(`Cache Storage ${cacheName} ${req.url}`, await res.arrayBuffer());
      }
    }
    const walk = async (dir, path) => {
      for await (const [name, handle] of dir.entries()) {
        out.push({ where: `OPFS name`, text: `${path}/${name}` });
        if (handle.kind === "directory") await walk(handle, `${path}/${name}`);
        else await add(`OPFS ${path}/${name}`, await (await handle.getFile()).arrayBuffer());
      }
    };
    await walk(await navigator.storage.getDirectory(), "");
    return out;
  });
}

/**
 * The hits of `needles` (from `keyNeedles`) in `haystacks`: `[{ where, text }]` or
 * `[{ where, bytes }]`. Text is searched as is, percent-decoded, and with every base64 run of
 * 40 characters or more decoded (a JSON payload could carry base64 of a PEM); bytes are
 * searched for the raw encodings, and as latin1 text. Returns `[{ where, what }]`.
 */
export function keyMaterialIn(haystacks, needles) {
  const hits = [];
  const searchText = (where, text) => {
    if (text.includes("CryptoKey(private)")) hits.push({ where, what: "a private CryptoKey" });
    for (const n of needles) {
      for (const [label, value] of n.texts) {
        if (text.includes(value)) hits.push({ where, what: `${n.name} ${label}` });
      }
    }
  };
  const searchBytes = (where, bytes) => {
    for (const n of needles) {
      for (const [label, raw] of n.raws) {
        if (bytes.includes(raw)) hits.push({ where, what: `${n.name} ${label} (raw bytes)` });
      }
    }
    searchText(where, bytes.toString("latin1"));
  };
  for (const { where, text, bytes } of haystacks) {
    if (bytes) {
      searchBytes(where, bytes);
      continue;
    }
    if (typeof text !== "string") continue;
    searchText(where, text);
    const decoded = safeDecode(text);
    if (decoded !== text) searchText(`${where} (percent-decoded)`, decoded);
    for (const match of text.matchAll(/[A-Za-z0-9+/_-]{40,}={0,2}/g)) {
      searchBytes(`${where} (base64 decoded)`, Buffer.from(match[0], match[0].includes("-") || match[0].includes("_") ? "base64url" : "base64"));
    }
  }
  return hits;
}

/** Throws when `keyMaterialIn` finds anything; `channel` names what was searched. */
export function assertNoKeyMaterialIn(channel, haystacks, needles) {
  const hits = keyMaterialIn(haystacks, needles);
  if (hits.length) {
    const shown = [...new Set(hits.map((h) => `${h.what} in ${h.where}`))].slice(0, 20);
    throw new Error(`private key material in ${channel}: ${shown.join("; ")}`);
  }
  return haystacks.length;
}

/** The haystacks of captured requests: URL, every header, the body. */
export async function requestHaystacks(requests) {
  const out = [];
  for (const request of requests) {
    const label = `${request.method()} ${request.url()}`;
    let headers;
    try {
      headers = await request.allHeaders();
    } catch {
      headers = request.headers();
    }
    const body = request.postDataBuffer() || Buffer.alloc(0);
    out.push({ where: `the URL of ${label}`, text: request.url() });
    out.push({ where: `the headers of ${label}`, text: JSON.stringify(headers) });
    out.push({ where: `the body of ${label}`, text: body.toString("latin1") });
    out.push({ where: `the body of ${label}`, bytes: body });
  }
  return out;
}

/**
 * Checks every captured request (URL, all headers, body) for key material. Returns the list
 * of requests checked (method and URL), and throws on any hit.
 */
export async function assertNoKeyMaterial(requests, needles) {
  assertNoKeyMaterialIn("requests", await requestHaystacks(requests), needles);
  return requests.map((r) => `${r.method()} ${r.url()}`);
}

/**
 * Everything a tracked browser let out or kept, by channel: requests (Playwright), the
 * Chrome DevTools Protocol's view of requests and WebSocket frames, console output, messages
 * the test host pages received (postMessage to a parent or opener), and the storage of every
 * page and frame of the portal's origin. Read at the end, before the browser closes.
 */
export async function channelsOf(b) {
  const channels = {
    requests: await requestHaystacks(b.requests),
    "DevTools network (requests, WebSocket frames)": b.cdp.map((e) => ({ where: e.where, text: e.text })),
    console: b.consoleLines.map((line) => ({ where: "console", text: line })),
    "postMessage to the host page": [],
    storage: [],
  };
  const portalOrigin = new URL(PORTAL).origin;
  const hostOrigins = [new URL(HOST_OK).origin, new URL(HOST_BAD).origin];
  for (const page of b.context.pages()) {
    for (const frame of page.frames()) {
      let origin;
      try {
        origin = new URL(frame.url()).origin;
      } catch {
        continue;
      }
      if (hostOrigins.includes(origin)) {
        const received = await frame.evaluate(() => window.received || []).catch(() => []);
        for (const m of received) channels["postMessage to the host page"].push({ where: `a message from ${m.origin} to ${frame.url()}`, text: m.data });
      }
      if (origin === portalOrigin) {
        for (const item of await storageOf(frame).catch((error) => [{ where: "storage", text: `unreadable: ${error.message}` }])) {
          channels.storage.push(item.base64 !== undefined ? { where: item.where, bytes: Buffer.from(item.base64, "base64") } : item);
        }
      }
    }
  }
  return channels;
}

/** Checks every channel of `b` for any of `needles`; returns how many items each had. */
export async function assertBrowserKeepsKeys(b, needles) {
  const channels = await channelsOf(b);
  const counts = {};
  for (const [channel, haystacks] of Object.entries(channels)) counts[channel] = assertNoKeyMaterialIn(channel, haystacks, needles);
  return counts;
}

/** Records, through the DevTools protocol, the requests and WebSocket frames of `page`. */
async function watchNetwork(context, page, into) {
  const session = await context.newCDPSession(page).catch(() => null);
  if (!session) return;
  session.on("Network.requestWillBeSent", ({ request }) => {
    into.push({ where: `DevTools request ${request.method} ${request.url}`, text: `${request.url}\n${JSON.stringify(request.headers)}\n${request.postData || ""}` });
  });
  session.on("Network.webSocketCreated", ({ url }) => into.push({ where: `WebSocket ${url}`, text: url }));
  session.on("Network.webSocketFrameSent", ({ response }) => {
    // Binary frames (opcode 2) arrive base64-encoded; the check decodes base64 runs.
    into.push({ where: `a WebSocket frame sent (opcode ${response.opcode})`, text: response.payloadData });
  });
  await session.send("Network.enable").catch(() => {});
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Direct API calls (Node's fetch), to check what the cloud holds.

export async function token(user = USER, password = PASSWORD, project = USER) {
  const response = await fetch(`${AUTH_URL}/auth/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: user, domain: { name: "Default" }, password } },
        },
        scope: { project: { name: project, domain: { name: "Default" } } },
      },
    }),
  });
  if (response.status !== 201) throw new Error(`Keystone: HTTP ${response.status}`);
  const body = await response.json();
  const endpoint = (type) =>
    body.token.catalog
      .find((s) => s.type === type)
      .endpoints.find((e) => e.interface === "public" && (e.region_id || e.region) === REGION).url;
  return {
    value: response.headers.get("x-subject-token"),
    glance: endpoint("image").replace(/\/+$/, ""),
    barbican: endpoint("key-manager").replace(/\/+$/, ""),
    projectId: body.token.project.id,
  };
}

export async function unscopedToken(user = USER, password = PASSWORD) {
  const response = await fetch(`${AUTH_URL}/auth/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: user, domain: { name: "Default" }, password } } },
        scope: "unscoped",
      },
    }),
  });
  if (response.status !== 201) throw new Error(`Keystone: HTTP ${response.status}`);
  return response.headers.get("x-subject-token");
}

export async function glance(tok, method, path, body, headers = {}) {
  const response = await fetch(`${tok.glance}${path}`, {
    method,
    headers: { "X-Auth-Token": tok.value, Accept: "application/json", ...headers },
    body,
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json, text };
}

/** Stores a PEM certificate in Barbican as castellan reads it (as the portal does); its id. */
export async function storeCertificateSecret(tok, name, pem) {
  const response = await fetch(`${tok.barbican}/v1/secrets`, {
    method: "POST",
    headers: { "X-Auth-Token": tok.value, "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      name,
      secret_type: "certificate",
      payload_content_type: "application/octet-stream",
      payload_content_encoding: "base64",
      payload: Buffer.from(pem).toString("base64"),
    }),
  });
  if (response.status !== 201) throw new Error(`Barbican: HTTP ${response.status} ${await response.text()}`);
  const { secret_ref: ref } = await response.json();
  return ref.split("/").pop();
}

/**
 * An image signed with an ECDSA P-384 key (openssl), created with all four properties and
 * uploaded, so that Glance verifies it on upload. Returns its id.
 */
export async function uploadSignedImage(tok, name, dataPath, keyPath, certificateUuid) {
  const created = await glance(tok, "POST", "/v2/images",
    JSON.stringify({
      name, disk_format: "raw", container_format: "bare",
      img_signature: ecdsaSignature(keyPath, dataPath),
      img_signature_hash_method: "SHA-256",
      img_signature_key_type: "ECC_SECP384R1",
      img_signature_certificate_uuid: certificateUuid,
    }),
    { "Content-Type": "application/json" });
  if (created.status !== 201) throw new Error(`Glance create: HTTP ${created.status} ${created.text}`);
  const put = await glance(tok, "PUT", `/v2/images/${created.json.id}/file`, readFileSync(dataPath),
    { "Content-Type": "application/octet-stream" });
  if (put.status !== 204) throw new Error(`Glance upload (it verifies the signature): HTTP ${put.status} ${put.text}`);
  return created.json.id;
}

/** An image holding `file` whose properties are `props`, stored unverified: created without
 * its hash method, uploaded (Glance verifies nothing then), the hash method added after. */
export async function unverifiedImage(tok, name, file, props) {
  const { img_signature_hash_method: hash, ...rest } = props;
  const created = await glance(tok, "POST", "/v2/images",
    JSON.stringify({ name, disk_format: "raw", container_format: "bare", ...rest }), { "Content-Type": "application/json" });
  assert.equal(created.status, 201, created.text);
  const put = await glance(tok, "PUT", `/v2/images/${created.json.id}/file`, readFileSync(file), { "Content-Type": "application/octet-stream" });
  assert.equal(put.status, 204, put.text);
  const patched = await glance(tok, "PATCH", `/v2/images/${created.json.id}`,
    JSON.stringify([{ op: "add", path: "/img_signature_hash_method", value: hash }]),
    { "Content-Type": "application/openstack-images-v2.1-json-patch" });
  assert.equal(patched.status, 200, patched.text);
  return created.json.id;
}

// The CLI, run against the local cloud as the demo user (the same verdicts from another door).
const repo = new URL("../../", import.meta.url).pathname;
export const CLI = process.env.GLANCE_SIG_BIN || join(repo, "target/release/glance-sig");
const CLOUDS = process.env.OS_CLIENT_CONFIG_FILE || join(repo, ".stack/clouds.yaml");

/** `glance-sig ...args` (with --json) against the local cloud, parsed; null without a CLI binary. */
export function glanceSig(...args) {
  if (!existsSync(CLI)) return null;
  const run = spawnSync(CLI, args, { encoding: "utf8", env: { ...process.env, OS_CLIENT_CONFIG_FILE: CLOUDS, OS_CLOUD: "glance-sig-demo" } });
  assert.ok(run.stdout, `${CLI} ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

export async function imagesNamed(tok, name) {
  const { json } = await glance(tok, "GET", `/v2/images?name=${encodeURIComponent(name)}`);
  return json.images;
}

/** Deletes every image of this test run (names start with RUN). */
export async function cleanupImages(tok) {
  const { json } = await glance(tok, "GET", "/v2/images?limit=1000");
  for (const image of json.images.filter((i) => (i.name || "").startsWith(RUN))) {
    await glance(tok, "DELETE", `/v2/images/${image.id}`);
  }
}

export const SIGNATURE_PROPERTIES = [
  "img_signature",
  "img_signature_hash_method",
  "img_signature_key_type",
  "img_signature_certificate_uuid",
];

// ---------------------------------------------------------------------------------------------
// Horizon (scripts/horizon/horizon.sh, with the glance-sig panel; run.sh starts it)

export const HORIZON = process.env.HORIZON_URL || "http://127.0.0.1:8090/";
export const HORIZON_PANEL = `${HORIZON}project/glance_sig/`;

/** Horizon's own login form, as the demo user; lands on Project > Compute > Images. */
export async function horizonLogin(page) {
  await page.goto(`${HORIZON}auth/login/`);
  await page.fill("#id_username", USER);
  await page.fill("#id_password", PASSWORD);
  await Promise.all([page.waitForURL(/\/project\/images\/$/, { timeout: 60_000 }), page.click("#loginBtn")]);
}

/** The portal's frame in the plugin's panel, once it shows the hand-over's confirmation. */
export async function horizonPanelFrame(page) {
  const frame = await (await page.waitForSelector("#glance-sig-portal")).contentFrame();
  await waitFor(frame, "#handover-confirm-card", { timeout: 60_000 });
  return frame;
}

/** The row of image `name` in Horizon's (Angular) images table. */
export async function horizonImageRow(page, name) {
  const row = page.locator("tr", { hasText: name }).first();
  await row.waitFor({ timeout: 60_000 });
  return row;
}
