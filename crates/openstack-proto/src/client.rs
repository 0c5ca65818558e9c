//! [`Client`]: what the Glance and Barbican clients share, a versioned base URL under the
//! service's root and the token every request carries. Each API adds its own requests:
//! [`Glance`](crate::glance::Glance) is `Client<ImageApi>`, [`Barbican`](crate::barbican::Barbican)
//! is `Client<KeyManagerApi>`.

use std::fmt;
use std::marker::PhantomData;

use crate::http::{service_root, Method, Request, AUTH_TOKEN_HEADER, JSON};
use crate::secret::Secret;
use crate::service::Service;

/// An API a [`Client`] speaks: its service, and the version segment of its URLs.
pub trait Api {
    /// The service.
    const SERVICE: Service;
    /// The version segment appended to the service's root (`v2`).
    const VERSION: &'static str;
}

/// Glance's image API, v2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageApi {}

/// Barbican's key-manager API, v1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyManagerApi {}

impl Api for ImageApi {
    const SERVICE: Service = Service::Image;
    const VERSION: &'static str = "v2";
}

impl Api for KeyManagerApi {
    const SERVICE: Service = Service::KeyManager;
    const VERSION: &'static str = "v1";
}

/// Builds the requests of one API for one endpoint and token.
///
/// `Debug` names the service and hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Client<A> {
    base_url: String,
    token: Secret,
    api: PhantomData<A>,
}

impl<A: Api> Client<A> {
    /// For an endpoint as the catalog gives it (`http://127.0.0.1:9292`, with or without a
    /// trailing slash or the version segment, or under a path such as
    /// `https://cloud.example/image`) and a project-scoped token.
    pub fn new(endpoint: &str, token: &Secret) -> Self {
        Self {
            base_url: format!("{}/{}", service_root(endpoint), A::VERSION),
            token: token.clone(),
            api: PhantomData,
        }
    }

    /// The versioned base URL, e.g. `http://127.0.0.1:9292/v2`, for requests this crate does not
    /// build.
    /// The same client with another token: a session's token renewed (same user, same
    /// project: the door checks that before it renews).
    #[must_use]
    pub fn with_token(&self, token: &Secret) -> Self {
        Self {
            base_url: self.base_url.clone(),
            token: token.clone(),
            api: PhantomData,
        }
    }

    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// A request for `path` under the base URL, with the token and `Accept: application/json`
    /// (so that error bodies are JSON and [`crate::ApiError`] can quote them).
    pub(crate) fn request(&self, method: Method, path: &str) -> Request {
        self.request_accepting(method, path, JSON)
    }

    /// A request for `path` under the base URL, with the token and the given `Accept`.
    pub(crate) fn request_accepting(&self, method: Method, path: &str, accept: &str) -> Request {
        Request::new(method, format!("{}{path}", self.base_url))
            .with_header(AUTH_TOKEN_HEADER, self.token.expose())
            .with_header("Accept", accept)
    }
}

impl<A: Api> fmt::Debug for Client<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(A::SERVICE.project_name())
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_service_and_hides_the_token() {
        let glance =
            Client::<ImageApi>::new("http://127.0.0.1:9292/", &Secret::from("gAAAAsecret"));
        assert_eq!(
            format!("{glance:?}"),
            r#"Glance { base_url: "http://127.0.0.1:9292/v2", token: <redacted> }"#
        );
    }
}
