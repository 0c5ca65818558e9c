// The switches every headless Chromium of the project starts with (the browser engine's
// daemon, the portal's tests, the portal benchmark): quiet, offline apart from what a page
// asks for, no GPU, no QUIC (the local cloud speaks TCP).
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
