//! A sans-IO OpenStack client layer for Keystone v3, Barbican v1 and Glance v2.
//!
//! Like rustls, this crate does no I/O: it builds [`Request`] values (method, URL, headers, a
//! JSON body or a marker for a body the caller streams) and parses the [`Response`] values the
//! caller fills in. It opens no sockets and no files, reads no clock and no environment, and
//! needs no async runtime, so the same code serves a native CLI with a blocking HTTP client and
//! a browser page using `fetch` (it builds for `wasm32-unknown-unknown`). It does no
//! cryptography: signing and verifying live in `glance-sig-core`.
//!
//! ```
//! use openstack_proto::keystone::{self, Auth, EndpointFilter, Keystone};
//! use openstack_proto::{config, glance::Glance, Response};
//!
//! # fn main() -> Result<(), openstack_proto::ApiError> {
//! let clouds = config::CloudsYaml::parse(
//!     "clouds:\n  demo:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      \
//!      username: demo\n      password: demo-secret\n      project_name: demo\n",
//! )?;
//! let cloud = config::resolve(Some(&clouds), [("OS_CLOUD", "demo")], None)?;
//! let request = cloud.keystone()?.authenticate(&cloud.auth()?);
//! assert_eq!(request.url, "http://127.0.0.1:5000/v3/auth/tokens");
//! // ... the caller sends `request` and builds a `Response` from the answer ...
//! # let response = Response::new(401, Vec::new(), Vec::new());
//! match keystone::parse_token(&response) {
//!     Ok(token) => {
//!         let glance = Glance::new(token.endpoint(&EndpointFilter::image())?, &token.value);
//!         let _list = glance.list_images(&Default::default());
//!     }
//!     Err(error) => assert!(error.is_unauthorized()),
//! }
//! # Ok(())
//! # }
//! ```

#[macro_use]
mod named_enum;

pub mod barbican;
pub mod cert_reuse;
pub mod client;
pub mod config;
mod config_error;
pub mod diskformat;
mod error;
pub mod glance;
mod http;
pub mod image_pager;
pub mod keystone;
mod secret;
mod service;
pub mod signature;
#[cfg(test)]
mod test_support;
pub mod time;
pub mod upload_plan;
pub mod url;

pub use error::{server_message, ApiError, ErrorKind, GlanceRefusal};
pub use http::{
    Body, Method, Request, Response, AUTH_TOKEN_HEADER, REQUEST_ID_HEADER, SUBJECT_TOKEN_HEADER,
};
pub use secret::Secret;
pub use service::{Interface, Service};
