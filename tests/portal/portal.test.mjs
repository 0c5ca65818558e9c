// End-to-end tests of the portal in real Chromium against the real local cloud
// (scripts/cloud/stack.sh) and the built portal served on 127.0.0.1:8080.
// Run through tests/portal/run.sh, which starts what they need.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
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
const fixtures = [rsa, ec, wrong];

let api;
// Every browser of every test: their captured requests are checked for key material at the end.
const browsers = [];
const browser = tracked(browsers);

before(async () => {
  api = await token();
});

after(async () => {
  let checked = [];
  try {
    for (const b of browsers) checked = checked.concat(await assertNoKeyMaterial(b.requests, fixtures));
  } finally {
    for (const b of browsers) await b.context.close().catch(() => {});
    await cleanupImages(api).catch(() => {});
  }
  console.log(`# key-leak check: ${checked.length} requests checked, no key material found`);
});

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
    // A browser outside `browsers`: its requests carry key material on purpose.
    const canary = await launch();
    try {
      await canary.page.goto(PORTAL);
      const line = rsa.plainPem.split("\n")[5];
      const derB64 = rsa.der.toString("base64");
      await canary.page.evaluate(async ([line, derB64]) => {
        await fetch("/canary-body", { method: "POST", body: `x${line}y` }).catch(() => {});
        await fetch(`/canary-url?k=${encodeURIComponent(derB64)}`).catch(() => {});
        await fetch("/canary-json", { method: "POST", body: JSON.stringify({ payload: btoa(String.fromCharCode(...new TextEncoder().encode(line))) }) }).catch(() => {});
      }, [line, derB64]);
      await canary.page.waitForTimeout(300);
      for (const path of ["/canary-body", "/canary-url", "/canary-json"]) {
        const requests = canary.requests.filter((r) => new URL(r.url()).pathname === path);
        assert.equal(requests.length, 1, path);
        await assert.rejects(assertNoKeyMaterial(requests, fixtures), /private key material/, path);
      }
    } finally {
      await canary.context.close();
    }
  });

  test("sign and upload: Glance verifies it, the image is active with all four properties", async () => {
    const { page, requests } = await browser();
    await openPortal(page);
    await signIn(page);
    await loadKey(page, rsa.key);
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
    const { page } = await browser();
    await openPortal(page);
    await signIn(page);
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

  test("embedding: an allowed host page hands a token over by postMessage", async () => {
    const tok = await unscopedToken();
    const { page, requests } = await browser();
    await page.goto(`${HOST_OK}#token=${encodeURIComponent(tok)}`);
    const frame = page.frameLocator("#portal");
    await frame.locator("#session-user").waitFor({ timeout: 60_000 });
    assert.match(await frame.locator("#session-user").innerText(), /demo in project demo/);
    // The handed-over token went only to Keystone (validated, then rescoped) and the services.
    for (const r of requests.filter((r) => JSON.stringify(r.headers()).includes(tok))) {
      assert.ok(/^http:\/\/127\.0\.0\.1:(5000|9292|9311)\//.test(r.url()) || r.url().startsWith(HOST_OK), r.url());
    }
  });

  test("embedding: a #token= fragment signs in and leaves the address bar at once", async () => {
    const tok = (await token()).value;
    const { page } = await browser();
    await page.goto(`${PORTAL}#token=${encodeURIComponent(tok)}`);
    await page.waitForSelector("#session-user", { timeout: 60_000 });
    assert.equal(new URL(page.url()).hash, "");
    assert.ok(!page.url().includes(tok));
    const history = await page.evaluate(() => [location.href, history.length]);
    assert.ok(!history[0].includes("token="));
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
      let inline = true;
      const s = document.createElement("script");
      s.textContent = "window.__inlineRan = true";
      document.head.appendChild(s);
      inline = window.__inlineRan === true;
      await new Promise((r) => setTimeout(r, 200));
      return { blocked, inline, violations };
    });
    assert.equal(result.blocked, true, "fetch to an unlisted origin is blocked");
    assert.equal(result.inline, false, "inline scripts do not run");
    assert.ok(result.violations.includes("connect-src"), JSON.stringify(result.violations));
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
