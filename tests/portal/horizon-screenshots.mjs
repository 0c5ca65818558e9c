// Screenshots of the portal inside a real Horizon, for docs/horizon.md (docs/horizon/*.png).
// Run through `tests/portal/run.sh --screenshots` (it starts the cloud, Horizon and the servers).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as lib from "./lib.mjs";

const out = new URL("../../docs/horizon/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const dir = lib.workDir();
const rsa = lib.keyPair(dir, "release-signing");
const image = lib.randomFile(join(dir, "cirros-0.6.3.img"), 16 * 1024 * 1024);
const api = await lib.token();

const shot = async (page, name) => {
  await page.screenshot({ path: join(out, `${name}.png`) });
  console.log(`docs/horizon/${name}.png`);
};

const browser = await lib.launch({ viewport: { width: 1280, height: 1000 } });
const { page } = browser;
try {
  await lib.horizonLogin(page);
  await page.goto(lib.HORIZON_PANEL);
  let frame = await lib.horizonPanelFrame(page);
  await shot(page, "01-panel-confirm-account");
  await frame.click("#handover-confirm");
  await lib.loadKey(frame, rsa.key);
  await lib.storeCertificate(frame, rsa.cert);
  await frame.waitForSelector('#key-match[data-match="true"]');
  const name = `${lib.RUN}-cirros-0.6.3`;
  await lib.chooseImage(frame, image, name);
  await shot(page, "02-panel-ready-to-sign");
  const outcome = await lib.signAndUpload(frame);
  await frame.locator("#outcome").scrollIntoViewIfNeeded();
  await shot(page, "03-panel-verified-by-glance");

  await page.goto(`${lib.HORIZON}project/images/`);
  const row = await lib.horizonImageRow(page, name);
  await row.locator(".dropdown-toggle").click();
  await shot(page, "04-images-verify-action");
  await row.locator("a, button", { hasText: "Verify signature" }).click();
  await page.waitForURL(`${lib.HORIZON_PANEL}?verify=${outcome.imageId}`);
  frame = await lib.horizonPanelFrame(page);
  await frame.click("#handover-confirm");
  await frame.waitForSelector(`#verdict[data-image-id="${outcome.imageId}"]:not([data-valid="error"])`, { timeout: 90_000 });
  await shot(page, "05-verify-verdict");
} finally {
  await lib.cleanupImages(api).catch(() => {});
  await browser.context.close();
}
