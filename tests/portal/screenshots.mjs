// Screenshots of each portal screen, for docs/portal.md (PNG files in docs/portal/).
// Run through `tests/portal/run.sh --screenshots` (it starts the cloud and the servers).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  HOST_OK,
  RUN,
  chooseImage,
  cleanupImages,
  glance,
  keyPair,
  launch,
  loadKey,
  openPortal,
  randomFile,
  signIn,
  storeCertificate,
  token,
  unscopedToken,
  waitFor,
  workDir,
} from "./lib.mjs";

const out = new URL("../../docs/portal/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const dir = workDir();
const rsa = keyPair(dir, "release-signing");
const wrong = keyPair(dir, "someone-else");
const small = randomFile(join(dir, "ubuntu-24.04-minimal.img"), 24 * 1024 * 1024);
const big = randomFile(join(dir, "debian-13-generic.raw"), 768 * 1024 * 1024);
const api = await token();

const shot = async (page, name, selector) => {
  const path = join(out, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  console.log(`docs/portal/${name}.png`);
};

const browser = await launch({ viewport: { width: 1180, height: 860 } });
const { page } = browser;
try {
  await openPortal(page);
  await page.fill("#auth-user", "demo");
  await shot(page, "01-sign-in");
  await page.fill("#auth-password", "demo-secret");
  await page.click("#sign-in");
  await waitFor(page, "#session-user");

  // Wrong key against the certificate: refused before anything is sent.
  await storeCertificate(page, rsa.cert);
  await loadKey(page, wrong.key);
  await waitFor(page, '#key-match[data-match="false"]');
  await chooseImage(page, small, `${RUN}-ubuntu-24.04-minimal`);
  await shot(page, "03-key-does-not-match");

  // The right key: ready to sign.
  await loadKey(page, rsa.key);
  await waitFor(page, '#key-match[data-match="true"]');
  await chooseImage(page, big, `${RUN}-debian-13-generic`);
  await shot(page, "02-ready-to-sign");

  await page.click("#sign-upload");
  await page.waitForFunction(() => Number(document.querySelector("#sign-progress")?.dataset.done || 0) > 150e6, null, { timeout: 60_000 });
  await shot(page, "04-signing-progress", "#sign-panel");
  await page.waitForFunction(() => Number(document.querySelector("#upload-progress")?.dataset.done || 0) > 150e6, null, { timeout: 120_000 });
  await shot(page, "05-upload-progress", "#sign-panel");
  await waitFor(page, "#outcome", { timeout: 300_000 });
  const verifiedId = await page.getAttribute("#outcome", "data-image-id");
  await shot(page, "06-verified-by-glance", "#sign-panel");

  // Refused by Glance (the debug=tamper test hook), image deleted.
  await page.goto(`${page.url().split("?")[0]}?debug=tamper`);
  await waitFor(page, '#worker-status[data-status="ready"]', { timeout: 60_000 });
  await signIn(page);
  await loadKey(page, rsa.key);
  await page.selectOption("#cert-select", await page.getAttribute("#cert-select option:nth-child(2)", "value"));
  await waitFor(page, '#key-match[data-match="true"]');
  await chooseImage(page, small, `${RUN}-tampered`);
  await page.click("#sign-upload");
  await waitFor(page, "#outcome", { timeout: 120_000 });
  await shot(page, "07-refused-by-glance", "#sign-panel");

  // Verify in the browser.
  await page.click("#tab-verify");
  await page.fill("#verify-image-id", verifiedId);
  await page.click("#verify-run");
  await page.waitForFunction(() => Number(document.querySelector("#verify-progress")?.dataset.done || 0) > 100e6, null, { timeout: 120_000 }).catch(() => {});
  await shot(page, "08-verify-progress", "#verify-panel");
  await waitFor(page, "#verdict", { timeout: 300_000 });
  await shot(page, "09-verify-valid");

  // Catalog: one of each kind.
  await glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${RUN}-cirros-unsigned`, disk_format: "qcow2", container_format: "bare" }),
    { "Content-Type": "application/json" });
  await glance(api, "POST", "/v2/images",
    JSON.stringify({ name: `${RUN}-snapshot-partial`, disk_format: "raw", container_format: "bare",
      img_signature: "c2ln", img_signature_hash_method: "SHA-256" }),
    { "Content-Type": "application/json" });
  await page.click("#tab-catalog");
  await page.click("#catalog-refresh");
  await waitFor(page, "#catalog-table");
  await page.waitForTimeout(500);
  await shot(page, "10-catalog");

  // Embedded in a dashboard (the test host page), signed in by the token it handed over.
  const tok = await unscopedToken();
  await page.goto(`${HOST_OK}#token=${encodeURIComponent(tok)}`);
  await page.frameLocator("#portal").locator("#session-user").waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  await shot(page, "11-embedded");
} finally {
  await browser.context.close();
  await cleanupImages(api).catch(() => {});
}
