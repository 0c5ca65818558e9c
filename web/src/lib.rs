//! The glance-sig portal: sign images in the browser and upload them to Glance with all four
//! signature properties, verify images in Glance, and see which images are signed.
//!
//! Layout (following yew's `function_todomvc` and `web_worker_prime` examples):
//! - [`state`]: the one reducer: `State`, `Action`, `reduce` (unit-tested natively);
//! - [`flows`]: the I/O (Keystone, Barbican, Glance through `openstack-proto`; the worker);
//! - [`worker`]: the bridge to `worker/sig-worker.js`, which runs the jco-transpiled
//!   glance-sig component, reading files in slices;
//! - [`host`]: messages to and from the page that embeds the portal;
//! - [`renewal`]: when to ask the host page for a fresh token, and which one to take;
//! - [`api`]: `fetch` and `XMLHttpRequest` as the transport for `openstack-proto` requests;
//! - [`components`]: small function components that render the state and dispatch actions.
//!
//! The private key is read and kept only in the worker; the token only in memory.

pub mod api;
pub mod components;
pub mod config;
pub mod flows;
pub mod format;
pub mod host;
pub mod renewal;
pub mod state;
pub mod worker;
