//! [`ApiError`], the one error of this crate, and the reading of OpenStack error bodies.

use crate::config_error::ConfigError;
use crate::http::Response;
use crate::service::{Interface, Service, UnknownInterface};
pub use glance_sig_core::GlanceRefusal;

/// Everything that can go wrong in this crate.
///
/// The request builders do not fail on well-typed input; parsers and configuration readers do.
/// [`ApiError::kind`] and the `is_*` helpers sort an error for the caller (show a message, ask
/// for a new token, retry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The service answered with a status other than 2xx.
    #[error("{service} answered HTTP {status}: {message}{}", request_id_suffix(.request_id))]
    Status {
        /// The service that answered.
        service: Service,
        /// The HTTP status code.
        status: u16,
        /// The `X-Openstack-Request-Id` of the answer, for the operator's logs.
        request_id: Option<String>,
        /// The server's own message, taken out of its JSON, HTML or plain-text error body; the
        /// status line when the body said nothing.
        message: String,
    },
    /// A 2xx answer without the expected shape (bad JSON, a missing field or header).
    #[error(
        "{service} answered HTTP {status} with an unexpected response: {detail}{}",
        request_id_suffix(.request_id)
    )]
    InvalidResponse {
        /// The service that answered.
        service: Service,
        /// The HTTP status code.
        status: u16,
        /// The `X-Openstack-Request-Id` of the answer.
        request_id: Option<String>,
        /// What was expected and what was found.
        detail: String,
    },
    /// The token's service catalog has no endpoint of this type, interface and region.
    #[error(
        "the service catalog has no {interface} endpoint for service type {service_type}{}",
        region_suffix(.region)
    )]
    EndpointNotFound {
        /// The service type looked for (`image`, `key-manager`, `identity`).
        service_type: String,
        /// The interface looked for.
        interface: Interface,
        /// The region looked for, if one was named.
        region: Option<String>,
    },
    /// The clouds.yaml text or the `OS_*` variables do not give a usable configuration.
    #[error("cloud configuration: {0}")]
    Config(#[from] ConfigError),
    /// An argument cannot make a request the service would accept.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl From<UnknownInterface> for ApiError {
    fn from(error: UnknownInterface) -> Self {
        Self::InvalidInput(error.to_string())
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn region_suffix(region: &Option<String>) -> String {
    region
        .as_deref()
        .map(|region| format!(" in region {region}"))
        .unwrap_or_default()
}

/// What kind of failure an [`ApiError`] is, for the caller's decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Glance refused image data because the image's signature did not verify or could not be
    /// checked (400 on upload); see [`ApiError::signature_refusal`].
    SignatureRefused,
    /// 400 for another reason.
    BadRequest,
    /// 401: wrong credentials, or the token expired or was revoked; authenticate again.
    Unauthorized,
    /// 403: the token's user or project may not do this.
    Forbidden,
    /// 404.
    NotFound,
    /// 409: the resource is in a state that forbids this (e.g. upload to an active image).
    Conflict,
    /// 413: the request (image data) is larger than the service accepts (quota, size cap).
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 429.
    RateLimited,
    /// 502, 503, 504: try again later.
    Unavailable,
    /// Another 5xx.
    ServerError,
    /// Another non-2xx status.
    OtherStatus,
    /// A 2xx answer with an unexpected shape.
    InvalidResponse,
    /// No catalog endpoint.
    EndpointNotFound,
    /// Bad configuration.
    Config,
    /// A bad argument.
    InvalidInput,
}

impl ApiError {
    /// The error for a non-2xx answer: the server's message and request id taken out of
    /// `response`. Callers that send requests this crate does not build can use it too.
    pub fn from_response(service: Service, response: &Response) -> Self {
        let mut message = server_message(&response.body);
        if message.is_empty() {
            message = status_line(response.status);
        }
        Self::Status {
            service,
            status: response.status,
            request_id: response.request_id().map(str::to_owned),
            message,
        }
    }

    /// An [`ApiError::InvalidResponse`] for `response`.
    pub(crate) fn invalid_response(
        service: Service,
        response: &Response,
        detail: impl Into<String>,
    ) -> Self {
        Self::InvalidResponse {
            service,
            status: response.status,
            request_id: response.request_id().map(str::to_owned),
            detail: detail.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Status {
                service, status, ..
            } => match status {
                400 if *service == Service::Image && self.signature_refusal().is_some() => {
                    ErrorKind::SignatureRefused
                }
                400 => ErrorKind::BadRequest,
                401 => ErrorKind::Unauthorized,
                403 => ErrorKind::Forbidden,
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                413 => ErrorKind::PayloadTooLarge,
                415 => ErrorKind::UnsupportedMediaType,
                429 => ErrorKind::RateLimited,
                502..=504 => ErrorKind::Unavailable,
                500..=599 => ErrorKind::ServerError,
                _ => ErrorKind::OtherStatus,
            },
            Self::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Self::EndpointNotFound { .. } => ErrorKind::EndpointNotFound,
            Self::Config(_) => ErrorKind::Config,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }

    /// Why Glance refused signed image data, when this is such a refusal (a 400 from Glance whose
    /// message is about signature verification).
    pub fn signature_refusal(&self) -> Option<GlanceRefusal> {
        match self {
            Self::Status {
                service: Service::Image,
                status: 400,
                message,
                ..
            } => GlanceRefusal::from_message(message),
            _ => None,
        }
    }

    /// Whether Glance refused image data over its signature.
    pub fn is_signature_refusal(&self) -> bool {
        self.kind() == ErrorKind::SignatureRefused
    }

    /// Whether the answer was 404.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// Whether the answer was 401: bad credentials, or an expired or revoked token.
    pub fn is_unauthorized(&self) -> bool {
        self.kind() == ErrorKind::Unauthorized
    }

    /// Whether the answer was 403.
    pub fn is_forbidden(&self) -> bool {
        self.kind() == ErrorKind::Forbidden
    }

    /// Whether the answer was 409.
    pub fn is_conflict(&self) -> bool {
        self.kind() == ErrorKind::Conflict
    }

    /// The HTTP status, for errors that come from an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::InvalidResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service that answered, for errors that come from an answer.
    pub fn service(&self) -> Option<Service> {
        match self {
            Self::Status { service, .. } | Self::InvalidResponse { service, .. } => Some(*service),
            _ => None,
        }
    }

    /// The `X-Openstack-Request-Id` of the answer, if it carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Status { request_id, .. } | Self::InvalidResponse { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The server's message, for a non-2xx answer.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            Self::Status { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// Checks that `response` is 2xx; otherwise the [`ApiError::Status`] it carries.
pub(crate) fn check_status(service: Service, response: &Response) -> Result<(), ApiError> {
    if response.is_success() {
        Ok(())
    } else {
        Err(ApiError::from_response(service, response))
    }
}

/// Parses a 2xx JSON body into `T`, after [`check_status`].
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    service: Service,
    response: &Response,
) -> Result<T, ApiError> {
    check_status(service, response)?;
    serde_json::from_slice(&response.body).map_err(|error| {
        ApiError::invalid_response(service, response, format!("JSON body: {error}"))
    })
}

/// The longest message kept from an error body (a proxy's HTML page can be long).
const MAX_MESSAGE: usize = 1000;
/// How much of an error body is read for its message.
const MAX_BODY_SCANNED: usize = 16 * 1024;

/// The human message inside an OpenStack error body.
///
/// Understands Keystone and keystonemiddleware (`{"error": {"message": ...}}`), Barbican
/// (`{"description": ...}`, pecan's `{"faultstring": ...}`), Glance's webob bodies in JSON
/// (`{"message": "<text><br /><br />\n<detail>", "code": ..., "title": ...}`), HTML and plain
/// text, and `{"<name>": {"message": ...}}`. Glance usually puts its own message where webob's
/// explanation goes; webob's generic explanation ("The server could not comply with the request
/// ...") is dropped when a more specific detail follows it. Returns the trimmed body
/// itself (cut to 1000 characters) when it has none of these shapes, and `""` for an empty body.
/// Only the first 16 KiB of the body are read: OpenStack's error bodies are far smaller.
pub fn server_message(body: &[u8]) -> String {
    // Error bodies are small; a bigger one is a proxy's page or garbage, and only its start
    // can matter.
    let body = &body[..body.len().min(MAX_BODY_SCANNED)];
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Some(message) = json_message(&value) {
            return clean_text(&message);
        }
        return truncate(text);
    }
    clean_text(&strip_html(text))
}

fn json_message(value: &serde_json::Value) -> Option<String> {
    let as_text = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let object = value.as_object()?;
    if let Some(error) = object.get("error") {
        if let Some(message) = as_text(error.get("message")).or_else(|| as_text(Some(error))) {
            return Some(message);
        }
    }
    for key in ["description", "faultstring", "message", "detail"] {
        if let Some(message) = as_text(object.get(key)) {
            return Some(message);
        }
    }
    // Nova-style {"badRequest": {"message": "...", "code": 400}}.
    if object.len() == 1 {
        if let Some(inner) = object.values().next() {
            if let Some(message) = as_text(inner.get("message")) {
                return Some(message);
            }
        }
    }
    as_text(object.get("title"))
}

/// Turns HTML into text: `<br>` and block ends become line breaks, other tags vanish, the five
/// common entities are decoded. Plain text passes through (only `<br />` is rewritten).
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        match name {
            // The title repeats the h1 status line; drop its contents.
            "title" if !tag.starts_with('/') => {
                let after = &rest[start + end + 1..];
                rest = after
                    .find("</title>")
                    .or_else(|| after.find("</TITLE>"))
                    .map_or(after, |close| &after[close + "</title>".len()..]);
                continue;
            }
            "br" => out.push('\n'),
            // Block ends separate paragraphs.
            "p" | "h1" | "h2" | "h3" | "div" | "body" | "html" | "head" | "pre" | "li" => {
                out.push_str("\n\n");
            }
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// webob's default explanations, dropped when a more specific detail follows.
const WEBOB_EXPLANATIONS: &[&str] = &[
    "The server could not comply with the request since it is either malformed or otherwise incorrect.",
    "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.",
    "Access was denied to this resource.",
    "The resource could not be found.",
    "There was a conflict when trying to complete your request.",
    "The request is larger than the server is willing or able to process.",
    "The server has either erred or is incapable of performing the requested operation.",
    "The server is currently unavailable. Please try again at a later time.",
];

/// Splits into paragraphs, drops status lines (`400 Bad Request`) and webob's generic text when
/// something more specific remains, and joins what is left with single spaces.
fn clean_text(text: &str) -> String {
    let text = text
        .replace("<br />", "\n\n")
        .replace("<br/>", "\n\n")
        .replace("<br>", "\n\n");
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim).chain(std::iter::once("")) {
        if line.is_empty() {
            if !current.is_empty() {
                let paragraph = current
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !is_status_line(&paragraph) {
                    paragraphs.push(paragraph);
                }
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    let specific: Vec<&str> = paragraphs
        .iter()
        .map(String::as_str)
        .filter(|p| !WEBOB_EXPLANATIONS.contains(p))
        .collect();
    let kept = if specific.is_empty() {
        paragraphs.iter().map(String::as_str).collect()
    } else {
        specific
    };
    truncate(&kept.join(" "))
}

/// `400 Bad Request`, `404 Not Found`: three digits, a space, and up to five capitalized words.
fn is_status_line(paragraph: &str) -> bool {
    let Some((code, reason)) = paragraph.split_once(' ') else {
        return false;
    };
    let words: Vec<&str> = reason.split(' ').collect();
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && words.len() <= 5
        && words.iter().all(|word| {
            word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && word.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
        })
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_MESSAGE).collect();
    cut.push('…');
    cut
}

/// `404 Not Found`, for answers whose body said nothing.
fn status_line(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("{status} {reason}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response::new(
            status,
            vec![(
                "x-openstack-request-id".into(),
                "req-6f1c2a4e-3b0d-4e7f-9a51-2c8d3e4f5a6b".into(),
            )],
            body.as_bytes().to_vec(),
        )
    }

    const SIG_FAILED_JSON: &str =
        include_str!("../tests/fixtures/glance_400_signature_failed.json");
    const SIG_FAILED_HTML: &str =
        include_str!("../tests/fixtures/glance_400_signature_failed.html");
    const SIG_FAILED_TEXT: &str = include_str!("../tests/fixtures/glance_400_signature_failed.txt");
    const SIG_EXPECTED: &str = "Signature verification failed for image \
        8a2ea42d-06b5-42c2-a54d-97105420f2bb: Signature verification failed";

    #[test]
    fn glance_signature_failure_in_all_three_body_formats() {
        for body in [SIG_FAILED_JSON, SIG_FAILED_HTML, SIG_FAILED_TEXT] {
            let error = ApiError::from_response(Service::Image, &response(400, body));
            assert_eq!(error.server_message(), Some(SIG_EXPECTED), "{body}");
            assert_eq!(error.kind(), ErrorKind::SignatureRefused);
            assert!(error.is_signature_refusal());
            assert_eq!(error.signature_refusal(), Some(GlanceRefusal::DataMismatch));
            assert_eq!(
                error.request_id(),
                Some("req-6f1c2a4e-3b0d-4e7f-9a51-2c8d3e4f5a6b")
            );
            assert_eq!(error.status(), Some(400));
            assert_eq!(error.service(), Some(Service::Image));
        }
    }

    #[test]
    fn webob_generic_explanation_is_dropped_when_a_detail_follows() {
        // webob's template when a detail is given besides the default explanation.
        let json = r#"{"message": "The server could not comply with the request since it is either malformed or otherwise incorrect.<br /><br />\nInvalid image id\n\n\n", "code": "400 Bad Request", "title": "Bad Request"}"#;
        let html = "<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  \
                    <h1>403 Forbidden</h1>\n  Access was denied to this resource.<br /><br />\n\
                    You are not authorized to complete publicize_image action.\n\n\n </body>\n</html>";
        assert_eq!(server_message(json.as_bytes()), "Invalid image id");
        assert_eq!(
            server_message(html.as_bytes()),
            "You are not authorized to complete publicize_image action."
        );
        // The explanation alone stays.
        assert_eq!(
            server_message(b"404 Not Found\n\nThe resource could not be found.\n\n"),
            "The resource could not be found."
        );
        // Entities in HTML bodies are decoded.
        assert_eq!(
            server_message(b"<html><body><h1>400 Bad Request</h1>Property &#39;a&#39; &lt;x&gt; &amp; y</body></html>"),
            "Property 'a' <x> & y"
        );
    }

    #[test]
    fn display_names_service_status_message_and_request_id() {
        let error = ApiError::from_response(Service::Image, &response(400, SIG_FAILED_JSON));
        assert_eq!(
            error.to_string(),
            format!(
                "Glance answered HTTP 400: {SIG_EXPECTED} (request id \
                 req-6f1c2a4e-3b0d-4e7f-9a51-2c8d3e4f5a6b)"
            )
        );
    }

    #[test]
    fn signature_text_from_other_services_or_statuses_is_not_a_refusal() {
        let body = r#"{"message": "Signature verification failed for image x: Signature verification failed"}"#;
        let barbican = ApiError::from_response(Service::KeyManager, &response(400, body));
        assert_eq!(barbican.kind(), ErrorKind::BadRequest);
        let glance_500 = ApiError::from_response(Service::Image, &response(500, body));
        assert_eq!(glance_500.kind(), ErrorKind::ServerError);
        assert_eq!(glance_500.signature_refusal(), None);
    }

    const KEYSTONE_401: &str = include_str!("../tests/fixtures/keystone_401.json");
    const BARBICAN_404: &str = include_str!("../tests/fixtures/barbican_404.json");
    const GLANCE_409: &str = include_str!("../tests/fixtures/glance_409_conflict.json");

    /// The error made of `service` answering `status` with `body`, checked to quote `message`.
    fn quoting(service: Service, status: u16, body: &str, message: &str) -> ApiError {
        let error = ApiError::from_response(service, &response(status, body));
        assert_eq!(
            error.server_message(),
            Some(message),
            "{service} {status}: {body}"
        );
        error
    }

    #[test]
    fn keystone_and_keystonemiddleware_401() {
        let message = "The request you have made requires authentication.";
        let error = quoting(Service::Identity, 401, KEYSTONE_401, message);
        assert!(error.is_unauthorized());
        assert_eq!(error.kind(), ErrorKind::Unauthorized);
    }

    #[test]
    fn barbican_bodies() {
        let message = "Not Found. Sorry but your secret is in another castle.";
        assert!(quoting(Service::KeyManager, 404, BARBICAN_404, message).is_not_found());

        let pecan = r#"{"faultcode": "Client", "faultstring": "Wrong payload content-type", "debuginfo": null}"#;
        let error = quoting(
            Service::KeyManager,
            406,
            pecan,
            "Wrong payload content-type",
        );
        assert_eq!(error.kind(), ErrorKind::OtherStatus);
    }

    #[test]
    fn glance_conflict_and_plain_404() {
        let message = "Image status transition from active to saving is not allowed";
        assert!(quoting(Service::Image, 409, GLANCE_409, message).is_conflict());
        let plain = "404 Not Found\n\nThe resource could not be found.\n\n   ";
        let error = quoting(
            Service::Image,
            404,
            plain,
            "The resource could not be found.",
        );
        assert!(error.is_not_found());
    }

    #[test]
    fn empty_and_odd_bodies() {
        let error = quoting(Service::Image, 503, "", "503 Service Unavailable");
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        quoting(Service::Image, 599, "  ", "HTTP 599");
        // JSON without a known field: the text itself.
        assert_eq!(server_message(br#"{"x": 1}"#), r#"{"x": 1}"#);
        // Not UTF-8, unclosed tags, huge.
        assert_eq!(server_message(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
        assert_eq!(server_message(b"oops <b"), "oops <b");
        let huge = "x".repeat(10_000);
        assert_eq!(
            server_message(huge.as_bytes()).chars().count(),
            MAX_MESSAGE + 1
        );
        // A status line alone gives nothing; from_response then writes the status line itself.
        assert_eq!(server_message(b"413 Request Entity Too Large"), "");
        let too_large = "413 Request Entity Too Large";
        let error = quoting(Service::Image, 413, &format!("{too_large}\n\n"), too_large);
        assert_eq!(error.kind(), ErrorKind::PayloadTooLarge);
    }

    #[test]
    fn not_http_errors_have_no_status() {
        let error = ApiError::InvalidInput("x".into());
        assert_eq!(error.status(), None);
        assert_eq!(error.request_id(), None);
        assert_eq!(error.server_message(), None);
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }
}
