// The Node engine of glance-sig-node.mjs: the jco-transpiled component (dist/, see
// transpile.mjs) called in-process. Every check, message and verdict comes from the component;
// the report is the component's verdict, chain verdict and diagnosis laid out as
// `glance-sig verify --json` lays out the core's report (crates/glance-sig-core/src/report.rs).
// The front (cli-front.mjs) reads the files, and prints.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError, EngineError, now, rfc3339 } from "./cli-front.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const distModule = process.env.GLANCE_SIG_JS ?? join(here, "dist", "glance-sig.js");

let gs;

/** A ComponentError's payload (`{tag, val}`), or rethrow. */
function errPayload(e) {
  if (e && typeof e === "object" && "payload" in e) return e.payload;
  throw e;
}

/** The message of an error variant whose cases carry it, or of a tag. */
function variantMessage(p) {
  return typeof p.val === "string" ? p.val : p.tag;
}

/** The EngineError for a component error about `input`. */
function refused(e, input) {
  const p = errPayload(e);
  return new EngineError(p.tag, variantMessage(p), { input });
}

function keyTypeName(k) {
  return k === undefined ? null : gs.properties.keyTypeName(k);
}

function hashMethodName(h) {
  return h === undefined ? null : gs.properties.hashMethodName(h);
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

  // --- sign (crates/glance-sig-cli/src/sign.rs) ---------------------------------------------

  async hashMethod(name) {
    try {
      return gs.properties.parseHashMethod(name);
    } catch (e) {
      throw refused(e, "hash-method");
    }
  },

  isEncrypted(bytes) {
    return gs.signing.isEncrypted(bytes);
  },

  async privateKey(input, passphrase) {
    try {
      return gs.signing.PrivateKey.parse(input.bytes(), passphrase);
    } catch (e) {
      throw refused(e, input);
    }
  },

  async checkPair(key, cert, ctx) {
    const info = cert.info(0n);
    if (!key.matches(cert)) {
      throw new EngineError("key-mismatch", "the private key does not match the certificate", {
        certKey: info.publicKey.summary,
      });
    }
    if (now() > info.notAfter) {
      ctx.warn(
        `the certificate expired at ${rfc3339(info.notAfter)}; Glance still accepts the signature, Nova with trusted certificates refuses it`,
      );
    }
  },

  async sign({ key, hash, certificateUuid, image }) {
    const signer = new gs.signing.Signer(key, hash);
    await image.stream((chunk) => signer.update(chunk));
    let props;
    try {
      props = signer.finish(certificateUuid);
    } catch (e) {
      throw new EngineError("sign-failed", variantMessage(errPayload(e)));
    }
    return { json: gs.properties.toJson(props) };
  },

  // --- verify (crates/glance-sig-cli/src/verify.rs) -----------------------------------------

  async properties(input) {
    try {
      return gs.properties.fromJson(input.bytes());
    } catch (e) {
      throw refused(e, input);
    }
  },

  async certificate(input) {
    try {
      return gs.certificates.Certificate.parse(input.bytes());
    } catch (e) {
      throw refused(e, input);
    }
  },

  async trusted(inputs) {
    const out = [];
    for (const input of inputs) {
      const bytes = input.bytes();
      try {
        out.push(...gs.certificates.Certificate.parseAll(bytes));
      } catch (e) {
        throw refused(e, input);
      }
    }
    return out;
  },

  async verify({ properties: props, cert, trusted, at, explain, requireTrust, image }) {
    const verifier = new gs.verification.Verifier(props, cert);
    // Refused before any data is read, as Glance answers at once.
    if (verifier.needsData()) await image.stream((chunk) => verifier.update(chunk));
    const verdict = verifier.finish();
    let diagnosis = [];
    if (explain && !verdict.valid && verdict.rejection?.explainable) {
      const explainer = new gs.verification.Explainer(props, cert);
      if (explainer.needsData()) await image.stream((chunk) => explainer.update(chunk));
      diagnosis = explainer.finish();
    }
    let chain;
    if (requireTrust) {
      const store = new gs.certificates.TrustStore();
      for (const t of trusted) store.add(t);
      chain = store.validate(cert, at);
    }
    const info = cert.info(0n);
    const warnings = [...verdict.warnings];
    if (!requireTrust && (at > info.notAfter || at < info.notBefore)) {
      warnings.push({
        code: "certificate-outside-validity",
        message: `the certificate is valid ${rfc3339(info.notBefore)} to ${rfc3339(info.notAfter)}; Glance does not check dates, but Nova with trusted certificates refuses it`,
      });
    }
    const report = {
      valid: verdict.valid && (chain === undefined || chain.valid),
      signature: {
        valid: verdict.valid,
        key_type: keyTypeName(verdict.keyType),
        hash_method: hashMethodName(verdict.hashMethod),
        certificate_uuid: verdict.certificateUuid ?? null,
        pss:
          verdict.pss === undefined
            ? null
            : {
                salt_length: verdict.pss.saltLength ?? null,
                max_salt_length: verdict.pss.maxSaltLength,
                accepted_by_older_clouds: verdict.pss.acceptedByOlderClouds,
              },
      },
      chain:
        chain === undefined
          ? null
          : {
              valid: chain.valid,
              path: chain.path,
              error:
                chain.error === undefined
                  ? null
                  : { code: chain.error.code, message: chain.error.message, cursive_message: chain.error.cursiveMessage },
              skipped_trusted: chain.skippedTrusted.map((s) => ({ subject: s.subject, reason: s.reason })),
            },
      error:
        verdict.rejection === undefined
          ? null
          : {
              code: verdict.rejection.code,
              message: verdict.rejection.message,
              cursive_message: verdict.rejection.cursiveMessage,
              fix: verdict.rejection.fix,
            },
      diagnosis: diagnosis.map((d) => ({ code: d.code, message: d.message })),
      warnings: warnings.map((n) => ({ code: n.code, message: n.message })),
      checks: [...verdict.checks, ...(chain === undefined ? [] : [chain.check])].map((c) => ({
        name: c.name,
        passed: c.passed,
        description: c.description,
      })),
    };
    // No text: the front prints the JSON without --json too (the readable text is the Rust CLI's).
    return { report };
  },
};
