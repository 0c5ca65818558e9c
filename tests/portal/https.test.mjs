// The portal over https, as a production cloud serves it: the page from https://127.0.0.1:8443
// and Keystone, Barbican and Glance from their https fronts (scripts/cloud/tlsfront.py, with the
// stack's private CA). Run through tests/portal/run.sh, which serves target/portal-https/ (dist/
// with an https config.json) on 127.0.0.1:8083, behind the front on 8443.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  RUN,
  assertNoKeyMaterial,
  fixtureNeedles,
  chooseImage,
  cleanupImages,
  keyPair,
  launch,
  loadKey,
  randomFile,
  signAndUploadVerified,
  signIn,
  storeCertificate,
  token,
  waitFor,
  workDir,
} from "./lib.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const stack = process.env.GLANCE_SIG_STACK_DIR || join(repo, ".stack");
const PORTAL_HTTPS = process.env.PORTAL_HTTPS_URL || "https://127.0.0.1:8443/";
const port = (name, fallback) => process.env[name] || fallback;
const KEYSTONE = `https://127.0.0.1:${port("GLANCE_SIG_KEYSTONE_TLS_PORT", "5443")}`;
const GLANCE = `https://127.0.0.1:${port("GLANCE_SIG_GLANCE_TLS_PORT", "9293")}`;
const BARBICAN = `https://127.0.0.1:${port("GLANCE_SIG_BARBICAN_TLS_PORT", "9312")}`;
// Chromium trusts exactly the stack's server key (not its CA, not any other certificate).
const SPKI = readFileSync(join(stack, "tls", "server-spki.txt"), "utf8").trim();

const dir = workDir();
const rsa = keyPair(dir, "https-rsa");
const image = randomFile(join(dir, "https-disk.img"), 2 * 1024 * 1024 + 333);

// Console lines that would mean the page is not purely https or broke its policy.
const INSECURE = /mixed content|content security policy|refused to (connect|load|execute|frame)|ERR_CERT|ERR_SSL|insecure/i;

let api;
const made = { secrets: [] };
let browser;

before(async () => {
  api = await token(); // the plain API (RegionOne), to check what the cloud holds
});

after(async () => {
  try {
    if (browser) await assertNoKeyMaterial(browser.requests, [fixtureNeedles("https-rsa", rsa)]);
  } finally {
    await browser?.context.close().catch(() => {});
    await cleanupImages(api).catch(() => {});
    for (const uuid of made.secrets) {
      await fetch(`${api.barbican}/v1/secrets/${uuid}`, { method: "DELETE", headers: { "X-Auth-Token": api.value } });
    }
  }
});

describe("portal over https", () => {
  test("https: sign in, store the certificate, sign and upload, every request https and within the CSP", async () => {
    browser = await launch({ args: [`--ignore-certificate-errors-spki-list=${SPKI}`] });
    const { page, requests, consoleLines } = browser;
    page.on("worker", (worker) =>
      worker.on("console", (message) => consoleLines.push(`[worker ${message.type()}] ${message.text()}`)),
    );
    // CSP violations of the page, as events (the worker's show in the console).
    await browser.context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });

    // This is the shipped build (dist/): it has no test hooks, so ?debug=tamper changes
    // nothing, and the upload below is verified, not refused.
    const response = await page.goto(`${PORTAL_HTTPS}?debug=tamper`);
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).protocol, "https:");
    const securityDetails = await response.securityDetails();
    assert.match(securityDetails.protocol, /^TLS 1\.[23]$/);
    assert.equal(securityDetails.subjectName, "glance-sig test server");
    assert.equal(securityDetails.issuer, "glance-sig test CA");
    const connectSrc = `connect-src 'self' ${KEYSTONE} ${GLANCE} ${BARBICAN};`;
    assert.ok(response.headers()["content-security-policy"].includes(connectSrc), response.headers()["content-security-policy"]);
    const meta = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.ok(`${meta};`.includes(connectSrc), meta);
    assert.doesNotMatch(meta, /http:\/\//, "the https build's meta policy lists no http origin");

    await waitFor(page, '#worker-status[data-status="ready"]', { timeout: 60_000 });
    await signIn(page);
    assert.match(await page.innerText("#session-user"), /demo in project demo/);
    await page.waitForSelector("#sign-panel");
    assert.equal(await page.$("#tamper-warning"), null, "no test hook in the shipped build");
    await loadKey(page, rsa.key);
    const certUuid = await storeCertificate(page, rsa.cert);
    made.secrets.push(certUuid);
    await page.waitForSelector('#key-match[data-match="true"]');
    const name = `${RUN}-https`;
    await chooseImage(page, image, name);
    // What Glance holds is asked over the plain API (`api`): active, with all four properties.
    const outcome = await signAndUploadVerified(page, api, certUuid, {
      name,
      size: 2 * 1024 * 1024 + 333,
      img_signature_key_type: "RSA-PSS",
    });

    // Every request of the page and its workers went over https (loopback http would not even
    // count as mixed content in Chromium, so this is checked request by request).
    const urls = requests.map((r) => r.url());
    assert.deepEqual(urls.filter((u) => !/^(https:|data:|blob:)/.test(u)), [], "only https requests");
    const origins = [...new Set(urls.map((u) => new URL(u).origin))];
    console.log(`# https: ${urls.length} requests, to ${origins.join(" ")}`);
    const sent = (prefix, method) => requests.some((r) => r.url().startsWith(prefix) && (!method || r.method() === method));
    assert.ok(sent(`${KEYSTONE}/v3/auth/tokens`, "POST"), "sign-in through the Keystone front");
    assert.ok(sent(`${BARBICAN}/v1/secrets`, "POST"), "certificate stored through the Barbican front");
    assert.ok(sent(`${GLANCE}/v2/images`, "POST"), "image created through the Glance front");
    assert.ok(sent(`${GLANCE}/v2/images/${outcome.imageId}/file`, "PUT"), "data uploaded through the Glance front");
    assert.ok(
      urls.some((u) => u.startsWith(PORTAL_HTTPS) && u.endsWith("/component/glance-sig.core.wasm")),
      "the worker's requests were captured too",
    );

    // No mixed-content, certificate or CSP complaint anywhere.
    await page.waitForTimeout(300);
    assert.deepEqual(consoleLines.filter((line) => INSECURE.test(line)), []);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);

    // The canary: the same checks do see a violation. The plain Glance is not in this build's
    // connect-src, so the browser blocks the request, and says so.
    const blocked = await page.evaluate(async () => {
      try {
        await fetch("http://127.0.0.1:9292/v2/images");
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(blocked, true, "the https build's CSP blocks plain http endpoints");
    await page.waitForTimeout(300);
    assert.ok((await page.evaluate(() => window.__violations)).some((v) => v.startsWith("connect-src http://127.0.0.1:9292")));
    assert.ok(consoleLines.some((line) => INSECURE.test(line)), consoleLines.join("\n"));
  });
});
