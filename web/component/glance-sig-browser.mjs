#!/usr/bin/env node
// glance-sig's `sign` and `verify`, with the scheme work done by the built portal's Web Worker
// (dist/worker/sig-worker.js running the jco-transpiled component) in headless Chromium. Same
// flags, stdout, stderr and exit codes as glance-sig-node.mjs (the front, cli-front.mjs, is
// theirs in common); the engine is engine-browser.mjs, which talks to browser-daemon.mjs.
// `inspect` is not an engine command: scripts/component/glance-sig-browser hands it to the
// native glance-sig.
//
//   glance-sig-browser.mjs --daemon start|stop|status   the warm Chromium, explicitly
// (otherwise the first command starts it, and it exits after GLANCE_SIG_BROWSER_IDLE seconds,
// default 120, without a command).
import { main } from "./cli-front.mjs";
import { ask, daemonPaths, engine, runOnDaemon } from "./engine-browser.mjs";

async function daemon(action) {
  const paths = daemonPaths();
  const status = () => ask(paths, "GET", "/status");
  if (action === "start") {
    // An empty run starts the daemon if needed and waits until Chromium and the portal are ready.
    try {
      await runOnDaemon(paths, { files: [], steps: [] });
    } catch (e) {
      process.stderr.write(`glance-sig-browser: ${e.message}\n${e.fix ? `  fix: ${e.fix}\n` : ""}`);
      return 2;
    }
    process.stdout.write(JSON.stringify(await status()) + "\n");
    return 0;
  }
  if (action === "stop" || action === "status") {
    let s;
    try {
      s = await status();
    } catch {
      process.stdout.write(`no browser daemon on ${paths.socket}\n`);
      return action === "stop" ? 0 : 1;
    }
    if (action === "stop") {
      await ask(paths, "POST", "/stop");
      process.stdout.write(`stopped the browser daemon (pid ${s.pid}, ${s.runs} runs)\n`);
    } else {
      process.stdout.write(JSON.stringify(s) + "\n");
    }
    return 0;
  }
  process.stderr.write("glance-sig-browser: --daemon start|stop|status\n");
  return 2;
}

if (process.argv[2] === "--daemon") process.exitCode = await daemon(process.argv[3]);
else await main(engine);
