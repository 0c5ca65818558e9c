#!/usr/bin/env node
// glance-sig's `sign` and `verify`, with the scheme work done by the WebAssembly component
// (transpiled by jco into dist/, see transpile.mjs) under Node. Same flags, same stdout (the
// component's sessions give the report as text and JSON), same exit codes as the Rust CLI
// (0 valid/done, 1 not valid or refused, 2 usage or bad input). `inspect` is not an engine
// command: scripts/component/glance-sig-node hands it to the native glance-sig.
//
// The front (flags, files, errors, exit codes, printing) is cli-front.mjs, shared with the
// browser engine (glance-sig-browser.mjs); the component is called in engine-node.mjs.
import { main } from "./cli-front.mjs";
import { engine } from "./engine-node.mjs";

await main(engine);
