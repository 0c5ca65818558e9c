// Trusted Types: the portal's Content-Security-Policy (scripts/portal/csp.mjs) says
// `require-trusted-types-for 'script'; trusted-types default`, so every string that would
// become script (innerHTML, eval, a script or worker URL) must pass a policy, and the only
// policy that may exist is "default", made here. It allows one thing: a worker script URL of
// the portal's own origin inside this directory (worker/sig-worker.js, worker/slice-reader.js;
// the benchmark's worker/bench-worker.js). HTML and script strings have no rule, so they are
// refused. Imported first by boot.js (the page, before the app spawns its worker) and by
// ops.js (the signing worker, before it starts its reader thread). Browsers without Trusted
// Types skip this and ignore the directives.
const scope = globalThis;
const here = new URL("./", import.meta.url);

/** The URL when it names a .js file of this directory (same origin), else null (refused). */
export function workerScriptUrl(url) {
  let resolved;
  try {
    resolved = new URL(String(url), scope.location.href);
  } catch {
    return null;
  }
  if (resolved.origin !== here.origin || resolved.search || resolved.hash) return null;
  if (!resolved.pathname.startsWith(here.pathname)) return null;
  const name = resolved.pathname.slice(here.pathname.length);
  return /^[a-z0-9-]+\.js$/.test(name) ? resolved.href : null;
}

if (scope.trustedTypes && !scope.trustedTypes.defaultPolicy) {
  scope.trustedTypes.createPolicy("default", { createScriptURL: workerScriptUrl });
}
