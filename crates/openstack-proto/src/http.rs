//! The plain HTTP values the caller moves: [`Request`] out, [`Response`] back in.
//!
//! Nothing here performs I/O. A native client (blocking HTTP) and a browser (`fetch`) both turn a
//! [`Request`] into a real request, and a real answer into a [`Response`].

use std::fmt;

/// The header that carries the Keystone token on every authenticated request.
pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";
/// The header in which Keystone returns a new token.
pub const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";
/// The header that carries the id OpenStack services give each request (for their logs).
pub const REQUEST_ID_HEADER: &str = "X-Openstack-Request-Id";

/// `application/json`.
pub(crate) const JSON: &str = "application/json";
/// `application/octet-stream`.
pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

named_enum! {
    /// An HTTP method: each variant is the method of the same name.
    pub enum Method {
        Get = "GET", Head = "HEAD", Post = "POST", Put = "PUT", Patch = "PATCH", Delete = "DELETE",
    }

    /// The method as it goes on the wire (`"GET"`, ...).
    pub fn as_str;
}

/// The body of a [`Request`].
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON document, already serialized. The request's `Content-Type` header names the exact
    /// media type (`application/json`, or Glance's JSON-patch type).
    Json(Vec<u8>),
    /// Bytes the caller streams itself (image data for upload or stage). The request's headers
    /// say `Content-Type: application/octet-stream` and, when the caller gave a size,
    /// `Content-Length`.
    Stream,
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            // JSON bodies may hold passwords (Keystone) or certificate payloads: show the size only.
            Self::Json(bytes) => write!(f, "Json({} bytes)", bytes.len()),
            Self::Stream => f.write_str("Stream"),
        }
    }
}

/// A request for the caller to send.
///
/// `Debug` hides the values of `X-Auth-Token` and of JSON bodies, so a request can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The absolute URL, query string included.
    pub url: String,
    /// Headers, in the order they should be sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::None,
        }
    }

    /// Adds a header (builder style).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets a JSON body with the given media type, and the matching `Content-Type`.
    #[must_use]
    pub(crate) fn with_json(self, content_type: &str, value: &serde_json::Value) -> Self {
        // `Value`'s `Display` cannot fail: every map key is a string.
        let mut request = self.with_header("Content-Type", content_type);
        request.body = Body::Json(value.to_string().into_bytes());
        request
    }

    /// Marks the body as streamed by the caller, with an octet-stream `Content-Type` and, if
    /// known, the `Content-Length`.
    #[must_use]
    pub(crate) fn with_stream(self, content_length: Option<u64>) -> Self {
        let mut request = self.with_header("Content-Type", OCTET_STREAM);
        if let Some(length) = content_length {
            request = request.with_header("Content-Length", &length.to_string());
        }
        request.body = Body::Stream;
        request
    }

    /// The first value of a header, matched without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case(AUTH_TOKEN_HEADER) {
                    (name.as_str(), "<redacted>")
                } else {
                    (name.as_str(), value.as_str())
                }
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A response as the caller received it.
///
/// For streamed downloads the caller may first fill in only the status and headers (empty body)
/// to check the answer, and read the body into `body` only when the status is an error, since
/// error bodies are small.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, any case.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response from its three parts.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The first value of a header, matched without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The `X-Openstack-Request-Id` the service gave this request, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.header(REQUEST_ID_HEADER)
            .or_else(|| self.header("X-Compute-Request-Id"))
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The root of a service: the catalog (or auth) URL without trailing slashes, query, or a final
/// version segment (`/v2`, `/v2.0`, `/v3`, `/v1`), so that the caller's API version can be
/// appended: `http://h:9292`, `http://h:9292/`, `http://h:9292/v2/` and `http://h/image/v2` become
/// `http://h:9292` or `http://h/image`.
pub(crate) fn service_root(endpoint: &str) -> String {
    let endpoint = endpoint.trim();
    let endpoint = endpoint
        .split_once(['?', '#'])
        .map_or(endpoint, |(before, _)| before);
    // The path starts at the first '/' after "scheme://"; the authority is never stripped.
    let path_start = endpoint
        .find("://")
        .map(|i| i + 3)
        .and_then(|after| endpoint[after..].find('/').map(|p| after + p))
        .unwrap_or(endpoint.len());
    let (authority, path) = endpoint.split_at(path_start);
    let mut path = path.trim_end_matches('/');
    if let Some((head, last)) = path.rsplit_once('/') {
        if is_version_segment(last) {
            path = head.trim_end_matches('/');
        }
    }
    format!("{authority}{path}")
}

fn is_version_segment(segment: &str) -> bool {
    let Some(rest) = segment
        .strip_prefix('v')
        .or_else(|| segment.strip_prefix('V'))
    else {
        return false;
    };
    let (major, minor) = rest.split_once('.').unwrap_or((rest, "0"));
    !major.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && !minor.is_empty()
        && minor.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_root_strips_slashes_and_version() {
        for (input, root) in [
            ("http://127.0.0.1:9292", "http://127.0.0.1:9292"),
            ("http://127.0.0.1:9292/", "http://127.0.0.1:9292"),
            ("http://127.0.0.1:9292/v2", "http://127.0.0.1:9292"),
            ("http://127.0.0.1:9292/v2/", "http://127.0.0.1:9292"),
            ("http://127.0.0.1:9292/v2.1//", "http://127.0.0.1:9292"),
            ("https://cloud.example/image", "https://cloud.example/image"),
            (
                "https://cloud.example/image/v2",
                "https://cloud.example/image",
            ),
            ("http://127.0.0.1:5000/v3", "http://127.0.0.1:5000"),
            ("http://127.0.0.1:5000/v2.0/", "http://127.0.0.1:5000"),
            ("http://127.0.0.1:5000/v3?x=1", "http://127.0.0.1:5000"),
            ("http://v2", "http://v2"),
            ("http://h/version", "http://h/version"),
            ("http://h/v", "http://h/v"),
            ("http://h/v2.x", "http://h/v2.x"),
        ] {
            assert_eq!(service_root(input), root, "{input}");
        }
    }

    #[test]
    fn headers_are_case_insensitive() {
        let response = Response::new(
            200,
            vec![("x-openstack-request-id".into(), "req-1".into())],
            Vec::new(),
        );
        assert_eq!(response.request_id(), Some("req-1"));
        assert_eq!(response.header("X-OPENSTACK-REQUEST-ID"), Some("req-1"));
        assert_eq!(response.header("missing"), None);
    }

    #[test]
    fn debug_hides_token_and_json_body() {
        let request = Request::new(Method::Post, "http://h/v3/auth/tokens")
            .with_header(AUTH_TOKEN_HEADER, "gAAAAAsecret")
            .with_json(JSON, &serde_json::json!({"password": "hunter2"}));
        let text = format!("{request:?}");
        assert!(!text.contains("gAAAAAsecret"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"));
    }
}
