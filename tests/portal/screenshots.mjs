// Screenshots of each portal screen, for docs/portal.md (PNG files in docs/portal/).
// Run through `tests/portal/run.sh --screenshots` (it starts the cloud and the servers).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
// The walk through the screens uses most of lib.mjs: a namespace, not a list of names.
import * as lib from "./lib.mjs";

const out = new URL("../../docs/portal/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const dir = lib.workDir();
const rsa = lib.keyPair(dir, "release-signing");
const wrong = lib.keyPair(dir, "someone-else");
const small = lib.randomFile(join(dir, "ubuntu-24.04-minimal.img"), 24 * 1024 * 1024);
const big = lib.randomFile(join(dir, "debian-13-generic.raw"), 768 * 1024 * 1024);
const api = await lib.token();

const shot = async (page, name, selector) => {
  const path = join(out, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  console.log(`docs/portal/${name}.png`);
};

const browser = await lib.launch({ viewport: { width: 1180, height: 860 } });
const { page } = browser;
try {
  await lib.openPortal(page);
  await page.fill("#auth-user", "demo");
  await shot(page, "01-sign-in");
  await page.fill("#auth-password", "demo-secret");
  await page.click("#sign-in");
  await lib.waitFor(page, "#session-user");

  // Wrong key against the certificate: refused before anything is sent.
  await lib.storeCertificate(page, rsa.cert);
  await lib.loadKey(page, wrong.key);
  await lib.waitFor(page, '#key-match[data-match="false"]');
  await lib.chooseImage(page, small, `${lib.RUN}-ubuntu-24.04-minimal`);
  await shot(page, "03-key-does-not-match");

  // The right key: ready to sign.
  await lib.loadKey(page, rsa.key);
  await lib.waitFor(page, '#key-match[data-match="true"]');
  await lib.chooseImage(page, big, `${lib.RUN}-debian-13-generic`);
  await shot(page, "02-ready-to-sign");

  await page.click("#sign-upload");
  await page.waitForFunction(() => Number(document.querySelector("#sign-progress")?.dataset.done || 0) > 150e6, null, { timeout: 60_000 });
  await shot(page, "04-signing-progress", "#sign-panel");
  await page.waitForFunction(() => Number(document.querySelector("#upload-progress")?.dataset.done || 0) > 150e6, null, { timeout: 120_000 });
  await shot(page, "05-upload-progress", "#sign-panel");
  await lib.waitFor(page, "#outcome", { timeout: 300_000 });
  const verifiedId = await page.getAttribute("#outcome", "data-image-id");
  await shot(page, "06-verified-by-glance", "#sign-panel");

  // Refused by Glance (the debug=tamper test hook), image deleted.
  await page.goto(`${page.url().split("?")[0]}?debug=tamper`);
  await lib.waitFor(page, '#worker-status[data-status="ready"]', { timeout: 60_000 });
  await lib.signIn(page);
  await lib.loadKey(page, rsa.key);
  await page.selectOption("#cert-select", await page.getAttribute("#cert-select option:nth-child(2)", "value"));
  await lib.waitFor(page, '#key-match[data-match="true"]');
  await lib.chooseImage(page, small, `${lib.RUN}-tampered`);
  await page.click("#sign-upload");
  await lib.waitFor(page, "#outcome", { timeout: 120_000 });
  await shot(page, "07-refused-by-glance", "#sign-panel");

  // Verify in the browser, the image chosen in the picker.
  await page.click("#tab-verify");
  await page.waitForSelector(`#verify-pick option[value="${verifiedId}"]`, { state: "attached" });
  await page.selectOption("#verify-pick", verifiedId);
  await page.click("#verify-run");
  await page.waitForFunction(() => Number(document.querySelector("#verify-progress")?.dataset.done || 0) > 100e6, null, { timeout: 120_000 }).catch(() => {});
  await shot(page, "08-verify-progress", "#verify-panel");
  await lib.waitFor(page, "#verdict", { timeout: 300_000 });
  await shot(page, "09-verify-valid");

  // An image whose data changed after signing: the verified image's properties on other
  // bytes, stored unverified (created without its hash method, which is added after the data).
  const source = (await lib.glance(api, "GET", `/v2/images/${verifiedId}`)).json;
  const created = await lib.glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${lib.RUN}-debian-13-converted`, disk_format: "raw", container_format: "bare",
      ...Object.fromEntries(lib.SIGNATURE_PROPERTIES.filter((k) => k !== "img_signature_hash_method").map((k) => [k, source[k]])) }),
    { "Content-Type": "application/json" });
  const { readFileSync } = await import("node:fs");
  await lib.glance(api, "PUT", `/v2/images/${created.json.id}/file`, readFileSync(small), { "Content-Type": "application/octet-stream" });
  await lib.glance(api, "PATCH", `/v2/images/${created.json.id}`,
    JSON.stringify([{ op: "add", path: "/img_signature_hash_method", value: source.img_signature_hash_method }]),
    { "Content-Type": "application/openstack-images-v2.1-json-patch" });
  await page.fill("#verify-image-id", created.json.id);
  await page.click("#verify-run");
  await lib.waitFor(page, `#verdict[data-image-id="${created.json.id}"]`, { timeout: 300_000 });
  await shot(page, "12-verify-fails");

  // Catalog: one of each kind.
  await lib.glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${lib.RUN}-cirros-unsigned`, disk_format: "qcow2", container_format: "bare" }),
    { "Content-Type": "application/json" });
  await lib.glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${lib.RUN}-snapshot-partial`, disk_format: "raw", container_format: "bare",
      img_signature: "c2ln", img_signature_hash_method: "SHA-256" }),
    { "Content-Type": "application/json" });
  await page.click("#tab-catalog");
  await page.click("#catalog-refresh");
  await lib.waitFor(page, "#catalog-table");
  await page.waitForTimeout(500);
  await shot(page, "10-catalog");
  // Verify all: the signed images' data checked here, the failing one told apart.
  await page.click("#catalog-verify-all");
  await lib.waitFor(page, '#catalog-verify-progress[data-ended="true"]', { timeout: 600_000 });
  await shot(page, "13-catalog-verified");

  // Embedded in a dashboard (the test host page), signed in by the token it handed over.
  const tok = await lib.unscopedToken();
  await page.goto(`${lib.HOST_OK}#token=${encodeURIComponent(tok)}`);
  await page.frameLocator("#portal").locator("#handover-confirm").waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  await shot(page, "11-embedded");
} finally {
  await browser.context.close();
  await lib.cleanupImages(api).catch(() => {});
}
