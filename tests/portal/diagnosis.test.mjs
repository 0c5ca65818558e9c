// End-to-end tests of what the portal says when something fails, and of its forms, in real
// Chromium against the real local cloud (run through tests/portal/run.sh). The expected words
// are never written here: they come from the core, through the Node shim (the component's
// verification session, as `glance-sig verify` prints it) and, when a CLI binary is at hand
// (GLANCE_SIG_BIN, else target/release/glance-sig), from `glance-sig verify --image-id`,
// `audit --json` and `inspect --json` on the same images.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { AUTH_URL, RUN, chooseImage, cleanupImages, glance, keyPair, loadKey, openPortal, randomFile } from "./lib.mjs";
import { signAndUpload, signIn, storeCertificate, storeCertificateSecret, token, tracked, waitFor, workDir } from "./lib.mjs";
import { CLI, glanceSig, unverifiedImage } from "./lib.mjs";

const repo = new URL("../../", import.meta.url).pathname;
const dir = workDir();
const rsa = keyPair(dir, "diag");
const dup = keyPair(dir, "dup");
const ec = keyPair(dir, "forms", { type: "ec", passphrase: "forms passphrase" });
const data = randomFile(join(dir, "diag.img"), 2 * 1024 * 1024 + 3);
const other = randomFile(join(dir, "diag-other.img"), 1024 * 1024 + 5);

let api;
let certUuid;
let images;
const browsers = [];
const browser = tracked(browsers);

/** RSA-PSS (maximum salt) over `file` with SHA-256, base64, as Glance reads it. */
function pssSignature(key, file) {
  return execFileSync("openssl", ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-2", "-sign", key, file]).toString("base64");
}

/** The core's report for `file` with `props` and the certificate, through the Node shim. */
function coreReport(file, props) {
  const path = join(dir, `props-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(props));
  const run = spawnSync("node", [join(repo, "web/component/glance-sig-node.mjs"), "verify", "--image", file, "--properties", path, "--cert", rsa.cert, "--json"], { encoding: "utf8" });
  assert.ok(run.stdout, `the Node shim printed nothing: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const capitalized = (text) => text.charAt(0).toUpperCase() + text.slice(1);

before(async () => {
  api = await token();
  certUuid = await storeCertificateSecret(api, `${RUN}-diag`, readFileSync(rsa.cert, "utf8"));
  const props = {
    img_signature: pssSignature(rsa.key, data),
    img_signature_hash_method: "SHA-256",
    img_signature_key_type: "RSA-PSS",
    img_signature_certificate_uuid: certUuid,
  };
  const created = await glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${RUN}-diag-good`, disk_format: "raw", container_format: "bare", ...props }), { "Content-Type": "application/json" });
  assert.equal(created.status, 201, created.text);
  const put = await glance(api, "PUT", `/v2/images/${created.json.id}/file`, readFileSync(data), { "Content-Type": "application/octet-stream" });
  assert.equal(put.status, 204, put.text);
  const wrongHash = { ...props, img_signature_hash_method: "SHA-512" };
  images = {
    good: created.json.id,
    // The signature of other data: the image changed after signing.
    tampered: await unverifiedImage(api, `${RUN}-diag-tampered`, other, props),
    // A SHA-256 signature that says SHA-512.
    wrongHash: await unverifiedImage(api, `${RUN}-diag-wrong-hash`, data, wrongHash),
    expected: {
      tampered: coreReport(other, props).diagnosis.map((d) => d.message),
      wrongHash: coreReport(data, wrongHash).diagnosis.map((d) => d.message),
    },
  };
  assert.ok(images.expected.tampered.length > 0 && images.expected.wrongHash.length > 0, JSON.stringify(images.expected));
});

after(async () => {
  for (const b of browsers) await b.context.close().catch(() => {});
  await cleanupImages(api).catch(() => {});
});

async function signedIn(query = "") {
  const b = await browser();
  await openPortal(b.page, query);
  await signIn(b.page);
  return b;
}

describe("portal: causes, catalog states, forms", () => {
  test("verify view: a tampered and a wrong-hash image each show the core's cause and fix, the signer and the trust verdict", async () => {
    const { page } = await signedIn();
    await page.click("#tab-verify");
    for (const kind of ["tampered", "wrongHash"]) {
      // Chosen in the picker, not pasted.
      await page.waitForSelector(`#verify-pick option[value="${images[kind]}"]`, { state: "attached" });
      await page.selectOption("#verify-pick", images[kind]);
      await page.click("#verify-run");
      const verdict = await page.waitForSelector(`#verdict[data-image-id="${images[kind]}"][data-valid="false"]`, { timeout: 60_000 });
      const shown = await page.$$eval("#verdict-diagnosis li", (items) => items.map((li) => li.textContent));
      assert.deepEqual(shown, images.expected[kind], await verdict.innerText());
      assert.match(await page.innerText("#verdict-diagnosis"), /Cause and fix/);
      // The same words as `glance-sig verify --image-id` on the same image.
      const report = glanceSig("verify", "--image-id", images[kind], "--json");
      if (report) assert.deepEqual(shown, report.diagnosis.map((d) => d.message));
      assert.doesNotMatch(`${await page.innerText("#verdict-error")}\n${await page.innerText("#verdict-diagnosis")}`, /see the diagnosis/i, "the fix is shown, not pointed at");
      assert.match(await page.innerText("#verdict-signer"), new RegExp(`Signed by: CN=${RUN} diag .* certificate valid \\S+ to \\S+ · not trusted`));
      assert.match(await page.innerText("#verdict-trust"), /Authenticity NOT established/);
      // Checks in words, never their ids.
      assert.doesNotMatch(await page.innerText("#verdict-checks"), /properties-present:|key-class:/);
    }
    assert.match(images.expected.wrongHash.join("\n"), /verifies with SHA-256, not SHA-512: set img_signature_hash_method to SHA-256/);
  });

  test("verify view: the good image shows signer, validity, salt and trust; a malformed id is refused before any request", async () => {
    const { page, requests } = await signedIn();
    await page.click("#tab-verify");
    await page.fill("#verify-image-id", images.good);
    await page.click("#verify-run");
    await page.waitForSelector('#verdict[data-valid="true"]', { timeout: 60_000 });
    assert.match(await page.innerText("#verdict-signer"), new RegExp(`Signed by: CN=${RUN} diag`));
    assert.match(await page.innerText("#verdict-pss"), /RSA-PSS salt length: 222 bytes/);
    assert.match(await page.innerText("#verdict-trust"), /Authenticity NOT established/);
    const before = requests.length;
    await page.fill("#verify-image-id", "not-an-image-id");
    await page.click("#verify-run");
    const failed = await page.waitForSelector('#verdict[data-image-id="not-an-image-id"][data-valid="error"]');
    assert.match(await failed.innerText(), /"not-an-image-id" is not a Glance image id: ids are uuids/);
    assert.deepEqual(requests.slice(before).map((r) => r.url()).filter((u) => u.includes("not-an-image-id")), [], "no request");
  });

  test("catalog: not checked before Verify all, failing after, each cause said once, the signer shown", async () => {
    const { page } = await signedIn();
    await page.click("#tab-catalog");
    await page.waitForSelector("#catalog-table");
    const row = (id) => page.locator(`#catalog-table tr[data-image-id="${id}"]`);
    for (const id of [images.good, images.tampered, images.wrongHash]) {
      assert.equal(await row(id).getAttribute("data-state"), "not-checked");
      assert.match(await row(id).innerText(), /signed, data not checked here/);
    }
    // The signer column, before any verification: the certificate read from Barbican.
    await page.waitForSelector(`#catalog-table tr[data-image-id="${images.good}"] .signer-trust`);
    const unverified = await row(images.good).locator("td.signer").innerText();
    assert.match(unverified, new RegExp(`${RUN} diag[\\s\\S]*expires \\d{4}-[\\s\\S]*trust: verify to check`));
    await page.click("#catalog-verify-all");
    await page.waitForSelector('#catalog-verify-progress[data-ended="true"]', { timeout: 300_000 });
    assert.equal(await row(images.tampered).getAttribute("data-state"), "fails");
    assert.equal(await row(images.wrongHash).getAttribute("data-state"), "fails");
    assert.match(await row(images.tampered).innerText(), /signature fails/);
    assert.equal(await row(images.good).getAttribute("data-state"), "verified");
    assert.match(await row(images.good).innerText(), /verified here at \d{4}-\d\d-\d\dT/);
    const signer = await row(images.good).locator("td.signer").innerText();
    assert.match(signer, new RegExp(`${RUN} diag`));
    assert.match(signer, /expires \d{4}-/);
    assert.match(signer, /not trusted/);
    // Each cause once, however many images share it, naming the images.
    const advice = await page.$$eval("#catalog-advice li .advice-text", (items) => items.map((li) => li.textContent));
    for (const message of [...images.expected.tampered, ...images.expected.wrongHash]) {
      assert.equal(advice.filter((text) => text === capitalized(message)).length, 1, `${message} in ${JSON.stringify(advice)}`);
    }
    assert.equal(new Set(advice).size, advice.length, "no advice twice");
  });

  test("catalog: Verify all can be cancelled", async () => {
    const { page } = await signedIn();
    await page.click("#tab-catalog");
    await page.waitForSelector("#catalog-table");
    await page.click("#catalog-verify-all");
    await page.click("#catalog-verify-cancel");
    const progress = await page.waitForSelector('#catalog-verify-progress[data-ended="true"]', { timeout: 120_000 });
    assert.equal(await progress.getAttribute("data-cancelled"), "true");
    assert.match(await progress.innerText(), /Verify all cancelled: \d+ of \d+ images verified/);
    assert.equal(await page.$("#catalog-verify-cancel"), null);
  });

  test("the partially-signed advice is the same words in the portal, audit and inspect", async (t) => {
    const partial = await glance(api, "POST", "/v2/images",
      JSON.stringify({ name: `${RUN}-diag-partial`, disk_format: "raw", container_format: "bare", img_signature: "c2ln", img_signature_hash_method: "SHA-256" }),
      { "Content-Type": "application/json" });
    const { page } = await signedIn();
    await page.click("#tab-catalog");
    await page.waitForSelector(`#catalog-table tr[data-image-id="${partial.json.id}"]`);
    const portal = await page.$$eval('#catalog-advice li[data-state="partial"]', (items, name) =>
      items.filter((li) => li.textContent.includes(name)).map((li) => li.querySelector(".advice-text").textContent), `${RUN}-diag-partial`);
    assert.equal(portal.length, 1, JSON.stringify(portal));
    const audit = glanceSig("audit", "--json");
    if (!audit) return t.skip(`no CLI binary at ${CLI} (GLANCE_SIG_BIN): portal text ${portal[0]}`);
    const finding = audit.images.find((i) => i.id === partial.json.id).findings.find((f) => f.code === "partially-signed");
    assert.equal(portal[0], `${capitalized(finding.message)}. Fix: ${finding.fix}.`);
    const path = join(dir, "partial.json");
    writeFileSync(path, JSON.stringify({ img_signature: "c2ln", img_signature_hash_method: "SHA-256" }));
    const inspect = glanceSig("inspect", path, "--json");
    assert.equal(inspect.cloud[0], `${finding.message}; fix: ${finding.fix}`);
  });

  test("a tampered upload is explained: the cause and fix from verifying what was sent", async () => {
    const { page } = await signedIn("?debug=tamper");
    await loadKey(page, rsa.key);
    await storeCertificate(page, rsa.cert);
    await page.waitForSelector('#key-match[data-match="true"]');
    await chooseImage(page, data, `${RUN}-diag-upload-tampered`);
    const outcome = await signAndUpload(page);
    assert.equal(outcome.kind, "refused", outcome.text);
    const causes = await page.$$eval("#outcome-diagnosis li", (items) => items.map((li) => li.textContent));
    assert.deepEqual(causes, images.expected.tampered.map(capitalized), outcome.text);
    // The result keeps the time and the average rate of both steps.
    assert.match(await page.innerText("#outcome-timings"), /^Signed \S+ \S+ in \d+\.\d s, \d+ MB\/s on average · Uploaded \S+ \S+ in \d+\.\d s, \d+ MB\/s on average$/);
  });

  test("an identical certificate is stored once", async () => {
    const { page, requests } = await signedIn();
    const first = await storeCertificate(page, dup.cert);
    await page.reload();
    await waitFor(page, '#worker-status[data-status="ready"]', { timeout: 60_000 });
    await signIn(page);
    await page.setInputFiles("#cert-file", dup.cert);
    const status = await waitFor(page, `#cert-status[data-status="loaded"][data-uuid="${first}"]`);
    assert.ok(status);
    const stores = requests.filter((r) => r.method() === "POST" && /\/v1\/secrets$/.test(r.url()));
    assert.equal(stores.length, 1, "one secret stored");
  });

  test("forms: labelled passphrase, chosen files shown, timings kept; no console error on load", async () => {
    const { page, requests, consoleLines } = await browser();
    await openPortal(page);
    assert.deepEqual(consoleLines.filter((line) => /^\[(error|warning|pageerror)\]/.test(line)), [], "console on load");
    assert.equal(requests.filter((r) => r.url().endsWith("/favicon.ico")).length, 0, "no favicon request");
    await signIn(page);
    await page.setInputFiles("#key-file", ec.key);
    await page.waitForSelector('#key-status[data-status="passphrase"]');
    assert.match(await page.innerText('label[for="key-passphrase"]'), /Passphrase of forms\.key\.pem/);
    assert.equal(await page.getAttribute("#key-passphrase", "placeholder"), "the key file's passphrase");
    await page.fill("#key-passphrase", "forms passphrase");
    await page.click("#key-unlock");
    await waitFor(page, '#key-status[data-status="loaded"]');
    assert.equal(await page.innerText("#key-file-chosen"), basename(ec.key));
    await storeCertificate(page, ec.cert);
    assert.equal(await page.innerText("#cert-file-chosen"), basename(ec.cert));
    await chooseImage(page, data, `${RUN}-diag-forms`);
    assert.equal(await page.innerText("#image-file-chosen"), basename(data));
    const outcome = await signAndUpload(page);
    assert.equal(outcome.kind, "verified", outcome.text);
    assert.match(await page.innerText("#outcome-timings"), /Signed .* MB\/s on average · Uploaded .* MB\/s on average/);
  });

  test("sign-out revokes the token at Keystone", async () => {
    const { page, requests } = await signedIn();
    await page.click("#tab-catalog");
    await page.waitForSelector("#catalog-table");
    const used = requests.find((r) => r.url().includes("/v2/images") && r.headers()["x-auth-token"]);
    const portalToken = used.headers()["x-auth-token"];
    await page.click("#sign-out");
    await page.waitForSelector("#login");
    await page.waitForTimeout(500);
    const revoked = requests.filter((r) => r.method() === "DELETE" && r.url() === `${AUTH_URL}/auth/tokens`);
    assert.equal(revoked.length, 1, "DELETE /v3/auth/tokens sent");
    const check = await fetch(`${AUTH_URL}/auth/tokens`, { headers: { "X-Auth-Token": api.value, "X-Subject-Token": portalToken } });
    assert.equal(check.status, 404, "the portal's token no longer validates");
  });
});
