// The Node engine of glance-sig-node.mjs: the jco-transpiled component (dist/, see
// transpile.mjs) called in-process. The component's sessions run the whole procedure (checks,
// explanation, chain, trust, notes) and give the report as `glance-sig verify` prints it, text
// and JSON; this file feeds them the bytes the front (cli-front.mjs) read.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, EngineError } from "./cli-front.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const distModule = process.env.GLANCE_SIG_JS ?? join(here, "dist", "glance-sig.js");

let gs;

/** A ComponentError's payload (`{tag, val}`), or rethrow. */
function errPayload(e) {
  if (e && typeof e === "object" && "payload" in e) return e.payload;
  throw e;
}

/** The EngineError for a component error about `input`. */
function refused(e, input) {
  const p = errPayload(e);
  return new EngineError(p.tag, typeof p.val === "string" ? p.val : p.tag, { input });
}

/** Runs `f`, turning a component error into the EngineError about `input`. */
function attempt(input, f) {
  try {
    return f();
  } catch (e) {
    throw refused(e, input);
  }
}

export const engine = {
  label: "Node",
  program: "glance-sig-node",
  names: ["node"],

  async open() {
    try {
      gs = await import(pathToFileURL(distModule).href);
    } catch (e) {
      throw new CliError(
        `cannot load the transpiled component ${distModule}: ${e.message}`,
        2,
        "build it with scripts/component/build.sh (or point GLANCE_SIG_JS at glance-sig.js)",
      );
    }
  },

  // --- sign ---------------------------------------------------------------------------------

  async hashMethod(name) {
    return attempt("hash-method", () => gs.properties.parseHashMethod(name));
  },

  isEncrypted(bytes) {
    return gs.keys.isEncrypted(bytes);
  },

  async privateKey(input, passphrase) {
    return attempt(input, () => gs.keys.PrivateKey.parse(input.bytes(), passphrase));
  },

  // The signing session checks the pair (and the certificate's dates) when it starts.
  async checkPair() {},

  async sign({ key, cert, hash, certificateUuid, at, image }, ctx) {
    let signing;
    try {
      signing = gs.sessions.Signing.start(key, cert, hash, certificateUuid, at);
    } catch (e) {
      const p = errPayload(e);
      throw new EngineError(p.tag === "crypto" ? "sign-failed" : p.tag, typeof p.val === "string" ? p.val : p.tag);
    }
    for (const note of signing.notes()) ctx.warn(note.message);
    await image.stream((chunk) => signing.update(chunk));
    let signed;
    try {
      signed = signing.finish();
    } catch (e) {
      const p = errPayload(e);
      throw new EngineError("sign-failed", typeof p.val === "string" ? p.val : p.tag);
    }
    return { json: signed.json };
  },

  // --- verify -------------------------------------------------------------------------------

  async properties(input) {
    return attempt(input, () => gs.properties.fromJson(input.bytes()));
  },

  async certificate(input) {
    return attempt(input, () => gs.certificates.Certificate.parse(input.bytes()));
  },

  async trusted(inputs) {
    const out = [];
    for (const input of inputs) {
      const bytes = input.bytes();
      out.push(...attempt(input, () => gs.certificates.Certificate.parseAll(bytes)));
    }
    return out;
  },

  async verify({ properties, cert, trusted, at, explain, requireTrust, image }) {
    const verification = new gs.sessions.Verification(properties, cert, trusted, at, explain);
    // Each pass it wants reads the whole image (none when refused before any data).
    while (verification.wantsData() !== undefined) {
      await image.stream((chunk) => verification.update(chunk));
      verification.endPass();
    }
    const report = verification.report();
    const accepted = report.valid && (!requireTrust || report.trustEstablished);
    return { json: report.json, text: report.text, exitCode: accepted ? 0 : 1 };
  },
};
