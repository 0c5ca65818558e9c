// The benchmark's worker (bench/portal-bench.mjs): the portal's own operations (ops.js) and
// the benchmark's. bench/portal.sh copies this file next to ops.js in a copy of dist/worker/;
// nothing here ships with the portal.
import { DEFAULT_SLICE, PortalError, ask, component, dispose, loadedKey, ops, reader, serve, sessions, slices } from "./ops.js";

// The hash method as the component reads its name (as ops.js's `sign` does).
const properties = component.properties ?? component["openstack:image-signature/properties@0.2.0"];

const bench = {
  // The component's in-memory rate: one zero-filled chunk of `sliceSize` fed `total` bytes'
  // worth to a signing session with the loaded key (jco copies each chunk into the
  // component's memory; no file is read). The component has no hash-zeros any more: this is
  // the in-memory baseline.
  async "bench-update"({ hashMethod, sliceSize, total }) {
    if (!loadedKey) throw new PortalError("no-key", "load or generate a key first");
    const hash = properties.parseHashMethod(String(hashMethod || "SHA-256"));
    const chunk = new Uint8Array(sliceSize || DEFAULT_SLICE);
    const signing = sessions.Signing.start(loadedKey, undefined, hash, "bench", BigInt(Math.floor(Date.now() / 1000)));
    const started = performance.now();
    let bytes = 0;
    try {
      while (bytes < total) {
        const part = total - bytes >= chunk.byteLength ? chunk : chunk.subarray(0, total - bytes);
        signing.update(part);
        bytes += part.byteLength;
      }
      signing.finish();
    } finally {
      dispose(signing);
    }
    return { ms: performance.now() - started, bytes };
  },

  // Reading the file's slices without hashing them.
  async "bench-read"({ file, sliceSize, readAhead }) {
    const started = performance.now();
    let bytes = 0;
    for await (const chunk of slices(file, sliceSize || DEFAULT_SLICE, readAhead)) {
      bytes += chunk.byteLength;
    }
    return { ms: performance.now() - started, bytes };
  },

  // A full garbage collection here and in the reader thread, when Chromium runs with
  // --js-flags=--expose-gc (to tell garbage not yet collected from memory held).
  async gc() {
    if (typeof globalThis.gc === "function") globalThis.gc();
    if (reader) await ask(reader, { op: "gc" });
    return { exposed: typeof globalThis.gc === "function" };
  },

  // The portal's `sign` (the same slices and component calls), timed.
  async "bench-sign"(message, id) {
    const started = performance.now();
    const result = await ops.sign(message, id);
    return { ...result, ms: performance.now() - started };
  },
};

serve({ ...ops, ...bench });
