// Reads a Blob for the signing worker, on a thread of its own, into buffers the signing
// worker hands back after hashing them.
//
// Why a thread: Blob reads deliver their data on the calling thread; in the signing worker,
// reading would take turns with hashing. Here the next slices are read while the signing
// worker hashes, and each buffer is transferred (not copied) between the two.
// Why recycled buffers: memory stays at a few slices whatever the file size. The file is read
// as one stream (Blob.stream()); its chunks are copied into the slice buffers.
//
// Messages, handled strictly in order:
//   {id, op: "open", blob}                      -> {id}
//   {id, op: "close"} / {id, op: "gc"}         -> {id}
//   {id, op: "fill", size, buffer?}             -> {id, buffer, length} (buffer transferred;
//                                                  length 0 at the end of the file)
//   any failure                                 -> {id, error}
let reader = null;
let leftover = null;
let queue = Promise.resolve();

async function fill(size, buffer) {
  const target = buffer && buffer.byteLength === size ? new Uint8Array(buffer) : new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    if (!leftover) {
      const { done, value } = await reader.read();
      if (done) break;
      leftover = value;
    }
    const n = Math.min(leftover.byteLength, size - filled);
    target.set(n === leftover.byteLength ? leftover : leftover.subarray(0, n), filled);
    filled += n;
    leftover = n === leftover.byteLength ? null : leftover.subarray(n);
  }
  return { buffer: target.buffer, length: filled };
}

async function handle(data) {
  const { id, op } = data;
  try {
    if (op === "open") {
      if (reader) await reader.cancel().catch(() => {});
      reader = data.blob.stream().getReader();
      leftover = null;
      postMessage({ id });
    } else if (op === "fill") {
      const { buffer, length } = await fill(data.size, data.buffer);
      postMessage({ id, buffer, length }, [buffer]);
    } else if (op === "gc") {
      // Benchmark only (Chromium started with --js-flags=--expose-gc).
      if (typeof globalThis.gc === "function") globalThis.gc();
      postMessage({ id });
    } else if (op === "close") {
      if (reader) await reader.cancel().catch(() => {});
      reader = null;
      leftover = null;
      postMessage({ id });
    }
  } catch (error) {
    postMessage({ id, error: String((error && error.message) || error) });
  }
}

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};
