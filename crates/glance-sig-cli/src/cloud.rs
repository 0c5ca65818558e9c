//! The cloud commands: `upload`, `verify --image-id` and `audit`, against real Keystone,
//! Barbican and Glance.
//!
//! openstack-proto builds every request and reads every answer; this module owns the I/O: the
//! HTTP transport, the configuration files and variables, the files being signed and the
//! clock. One submodule per concept:
//!
//! - [`transport`]: proto `Request` values out over ureq, `Response` values back, bodies
//!   streamed both ways, redirects kept to one origin;
//! - [`tls`]: the CA roots, client certificates and what a refused certificate means;
//! - [`session`]: clouds.yaml and `OS_*` discovery, the Keystone token, the endpoints;
//! - [`certstore`]: the signing certificate in Barbican, in the form castellan reads;
//! - [`diskformat`]: the disk format from an image's first bytes;
//! - [`upload`], [`remote_verify`], [`audit`]: the commands.

pub mod args;
pub mod audit;
pub mod certstore;
pub mod cleanup;
pub mod error;
pub mod remote_verify;
pub mod session;
pub mod tls;
pub mod transport;
pub mod upload;

pub use error::CloudError;
