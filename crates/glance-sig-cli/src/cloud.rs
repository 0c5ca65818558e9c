//! The OpenStack client: Keystone, Barbican and Glance reached over HTTP.
//!
//! openstack-proto builds every request and reads every answer; this module sends them and
//! owns what that needs: the configuration files and variables, TLS, the token, the clean-up
//! of a failed upload. The commands that use it (`upload`, `verify --image-id`, `audit`) are in
//! `commands/`.
//!
//! The transport, TLS, session and clean-up stay here rather than under `io/`: they are one
//! unit with [`error::CloudError`] (which wraps their errors and gives each its fix and exit
//! code), and `io/` is the local I/O (files, the terminal, the clock) that every command uses
//! and that needs no network crate. One submodule per concept:
//!
//! - [`transport`]: proto `Request` values out over ureq, `Response` values back, bodies
//!   streamed both ways, redirects kept to one origin;
//! - [`tls`]: the CA roots, client certificates and what a refused certificate means;
//! - [`session`]: clouds.yaml and `OS_*` discovery, the Keystone token, the endpoints;
//! - [`cleanup`]: deleting the image a failed or interrupted upload created;
//! - [`certstore`]: the signing certificate in Barbican, in the form castellan reads;
//! - [`diskformat`]: the disk format from an image's first bytes;
//! - [`error`]: what went wrong with the cloud, its fix and its exit code.

pub mod certstore;
pub mod cleanup;
pub mod error;
pub mod session;
pub mod tls;
pub mod transport;
