// The portal inside a real Horizon (27, from PyPI; scripts/horizon/horizon.sh, started by
// run.sh) with the glance-sig plugin (horizon/), against the real local cloud: Horizon's login,
// its Images panel, the plugin's panel framing the portal (served from its own origin, :8080)
// and handing it Horizon's session token by postMessage.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import {
  HOST_BAD, PORTAL, RUN, assertBrowserKeepsKeys, chooseImage, cleanupImages, fixtureNeedles,
  glance, glanceSig, issue, certificateAuthority, keyPair, loadKey, randomFile, signAndUploadVerified,
  storeCertificate, storeCertificateSecret, token, tracked, unverifiedImage, uploadSignedImage, workDir,
} from "./lib.mjs";
import { HORIZON, HORIZON_PANEL as PANEL, horizonLogin, horizonImageRow as imageRow, horizonPanelFrame as panelFrame } from "./lib.mjs";

const dir = workDir();
const rsa = keyPair(dir, "horizon-rsa");
const ca = certificateAuthority(dir, "horizon-ca");
const ecLeaf = issue(dir, ca, "horizon-ec");
const data = randomFile(join(dir, "horizon.img"), 3 * 1024 * 1024 + 17);
const other = randomFile(join(dir, "horizon-other.img"), 1024 * 1024 + 3);
const needles = [fixtureNeedles("horizon-rsa", rsa)];

let api;
let images;
const browsers = [];
const browser = tracked(browsers);

before(async () => {
  api = await token();
  const ecUuid = await storeCertificateSecret(api, `${RUN}-horizon-ec`, readFileSync(ecLeaf.cert, "utf8"));
  const good = await uploadSignedImage(api, `${RUN}-horizon-good`, data, ecLeaf.key, ecUuid);
  const props = {
    img_signature: (await glance(api, "GET", `/v2/images/${good}`)).json.img_signature,
    img_signature_hash_method: "SHA-256",
    img_signature_key_type: "ECC_SECP384R1",
    img_signature_certificate_uuid: ecUuid,
  };
  // The good image's signature over other data: stored unverified, so Nova would refuse it.
  const tampered = await unverifiedImage(api, `${RUN}-horizon-tampered`, other, props);
  images = { good, tampered };
});

after(async () => {
  for (const b of browsers) await b.context.close().catch(() => {});
  await cleanupImages(api).catch(() => {});
});

describe("horizon", () => {
  test("horizon: log in, open the panel from Images, sign and upload; Glance holds all four properties and Horizon lists the image", async () => {
    const b = await browser();
    const { page, requests } = b;
    await horizonLogin(page);
    // The plugin's button on the Images panel, next to Create Image.
    await page.locator("button, a", { hasText: "Sign and upload image" }).filter({ hasNot: page.locator("nav *") }).last().click();
    await page.waitForURL(PANEL);
    const frame = await panelFrame(page);
    // Horizon's session, handed over: the account Horizon shows.
    assert.match(await frame.innerText("#handover-who"), /signed you in as demo in project demo/);
    await frame.click("#handover-confirm");
    await loadKey(frame, rsa.key);
    const certUuid = await storeCertificate(frame, rsa.cert);
    await frame.waitForSelector('#key-match[data-match="true"]');
    const name = `${RUN}-horizon-signed`;
    await chooseImage(frame, data, name);
    const outcome = await signAndUploadVerified(frame, api, certUuid, { name, img_signature_key_type: "RSA-PSS" });
    // Horizon's own image list shows it.
    await page.goto(`${HORIZON}project/images/`);
    const row = await imageRow(page, name);
    assert.match(await row.innerText(), /Active/i);
    // The key stayed in the tab: no request, frame, console line or storage holds it.
    await assertBrowserKeepsKeys(b, needles);
    // Horizon's token reached only the cloud's services and Horizon itself.
    const token = requests.find((r) => r.url().includes(`/v2/images/${outcome.imageId}`))?.headers()["x-auth-token"];
    assert.ok(token, "the upload carried a token");
    for (const r of requests.filter((r) => JSON.stringify(r.headers()).includes(token))) {
      assert.match(r.url(), /^http:\/\/127\.0\.0\.1:(5000|9292|9311)\//, r.url());
    }
  });

  test("horizon: the Verify signature action shows the CLI's verdict, for a good and a tampered image", async () => {
    const { page } = await browser();
    await horizonLogin(page);
    for (const [kind, id] of Object.entries(images)) {
      await page.goto(`${HORIZON}project/images/`);
      const row = await imageRow(page, `${RUN}-horizon-${kind}`);
      await row.locator(".dropdown-toggle").click();
      await row.locator("a, button", { hasText: "Verify signature" }).click();
      await page.waitForURL(`${PANEL}?verify=${id}`);
      const frame = await panelFrame(page);
      await frame.click("#handover-confirm");
      const verdict = await frame.waitForSelector(`#verdict[data-image-id="${id}"]:not([data-valid="error"])`, { timeout: 90_000 });
      const cli = glanceSig("verify", "--image-id", id, "--json");
      assert.ok(cli, "the CLI binary is built (target/release/glance-sig)");
      const shown = {
        valid: await verdict.getAttribute("data-valid"),
        signature: await verdict.getAttribute("data-signature-valid"),
        trust: await verdict.getAttribute("data-trust-code"),
        error: await verdict.getAttribute("data-error-code"),
        checks: await frame.$$eval("#verdict-checks li", (items) => items.map((li) => `${li.dataset.check}:${li.dataset.passed}`)),
      };
      assert.deepEqual(shown, {
        valid: String(cli.valid),
        signature: String(cli.signature.valid),
        trust: cli.trust.code,
        error: cli.error?.code ?? "",
        checks: cli.checks.map((c) => `${c.name}:${c.passed}`),
      });
      assert.equal(shown.valid, kind === "good" ? "true" : "false", kind);
    }
  });

  test("horizon: a page of another origin can neither frame the panel nor get the session's token", async () => {
    const { page, context } = await browser();
    await horizonLogin(page);
    // Framing: refused by X-Frame-Options / frame-ancestors.
    const foreign = await context.newPage();
    await foreign.goto(HOST_BAD);
    const framed = await foreign.evaluate(async (url) => {
      const frame = document.createElement("iframe");
      frame.src = url;
      document.body.appendChild(frame);
      await new Promise((resolve) => { frame.onload = resolve; setTimeout(resolve, 10_000); });
      try {
        return frame.contentDocument ? "readable" : "opaque";
      } catch {
        return "opaque";
      }
    }, PANEL);
    assert.equal(framed, "opaque");
    const blocked = foreign.frames().find((f) => f.url().startsWith(PANEL) || f.url().startsWith("chrome-error"));
    if (blocked && blocked.url().startsWith(PANEL)) {
      assert.equal(await blocked.$("#glance-sig-portal").catch(() => null), null, "the panel must not render in a foreign frame");
    }
    // The token endpoint: not readable from another origin, with or without the header.
    const fetched = await foreign.evaluate(async (url) => {
      const outcomes = [];
      for (const headers of [{ "X-Requested-With": "glance-sig" }, {}]) {
        try {
          const response = await fetch(url, { credentials: "include", headers });
          outcomes.push(`read ${response.status}: ${(await response.text()).slice(0, 80)}`);
        } catch (error) {
          outcomes.push(`refused: ${error.name}`);
        }
      }
      return outcomes;
    }, `${PANEL}token/`);
    assert.deepEqual(fetched, ["refused: TypeError", "refused: TypeError"]);
    // A window it opens on the panel answers a "ready" from it with nothing.
    const answers = await foreign.evaluate(async (url) => {
      const opened = window.open(url, "_blank");
      const got = [];
      window.addEventListener("message", (event) => got.push(JSON.stringify(event.data)));
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      for (let i = 0; i < 5; i++) {
        opened.postMessage({ type: "glance-sig:ready" }, "*");
        opened.postMessage({ type: "glance-sig:token-expiring", needed_until: "2099-01-01T00:00:00Z" }, "*");
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return got;
    }, PANEL);
    assert.deepEqual(answers, []);
    // And straight from a client that is not the panel's script: no token, signed in or not.
    for (const headers of [{}, { "X-Requested-With": "glance-sig" }]) {
      const direct = await fetch(`${PANEL}token/`, { headers, redirect: "manual" });
      assert.ok([302, 401, 403].includes(direct.status), `HTTP ${direct.status}`);
      assert.doesNotMatch(await direct.text(), /"token"/);
    }
    const cookies = (await context.cookies(HORIZON)).map((c) => `${c.name}=${c.value}`).join("; ");
    const noHeader = await fetch(`${PANEL}token/`, { headers: { Cookie: cookies }, redirect: "manual" });
    assert.equal(noHeader.status, 403, "the session alone is not enough: the panel's header is required");
  });

  test("horizon: asked for a fresh token, the panel answers with its session's and says when the session ends first", async () => {
    const { page } = await browser();
    await horizonLogin(page);
    await page.goto(PANEL);
    const frame = await panelFrame(page);
    const session = await page.evaluate(async () => (await fetch("token/", { headers: { "X-Requested-With": "glance-sig" } })).json());
    assert.equal(session.project_id.length > 0, true);
    // What the portal posts when an upload would outlive its token (here: past Horizon's session).
    const answer = await frame.evaluate(() => new Promise((resolve) => {
      window.addEventListener("message", (event) => {
        if (event.data && event.data.type === "glance-sig:token-refresh") resolve({ origin: event.origin, token: event.data.token, project_id: event.data.project_id });
      });
      parent.postMessage({ type: "glance-sig:token-expiring", expires_at: "", needed_until: "2099-01-01T00:00:00Z" }, "*");
    }));
    assert.deepEqual(answer, { origin: new URL(HORIZON).origin, token: session.token, project_id: session.project_id });
    await page.waitForSelector("#glance-sig-notice:not([hidden])");
    assert.match(await page.innerText("#glance-sig-notice"), /session ends at .* before the upload is expected to finish.*Sign in to the dashboard again/);
    // The portal's origin only: Horizon posts to it, not to "*" (checked by the frame's origin above).
    assert.equal(new URL(PORTAL).origin, new URL(frame.url()).origin);
  });
});
