// Transpiles the glance-sig component into JS + core wasm with jco, for Node (the
// glance-sig-node.mjs shim) and browsers (the portal's worker).
//
//   node transpile.mjs [COMPONENT] [OUT_DIR]
//   defaults: ../../target/component/glance_sig_component.wasm, dist
//
// The output is an ES module, dist/glance-sig.js, exporting one namespace per WIT interface
// (`types`, `properties`, `certificates`, `keys`, `sessions`); its only import is
// @bytecodealliance/preview2-shim/random (wasi:random/random, used for signing).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { transpile } from "@bytecodealliance/jco";

const here = dirname(fileURLToPath(import.meta.url));
const componentPath = resolve(process.argv[2] ?? join(here, "../../target/component/glance_sig_component.wasm"));
const outDir = resolve(process.argv[3] ?? join(here, "dist"));

const component = await readFile(componentPath);
const { files, imports } = await transpile(component, { name: "glance-sig", quiet: true });

const unexpected = imports.filter((i) => !/^@bytecodealliance\/preview2-shim\/random$/.test(i));
if (unexpected.length > 0) {
  console.error(`transpile: the component imports more than wasi:random: ${unexpected.join(", ")}`);
  process.exit(1);
}

await rm(outDir, { recursive: true, force: true });
for (const [name, bytes] of Object.entries(files)) {
  const path = join(outDir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}
console.error(`transpile: ${Object.keys(files).length} files in ${outDir}; imports: ${imports.join(", ")}`);
