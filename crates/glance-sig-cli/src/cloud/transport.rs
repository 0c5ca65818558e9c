//! The HTTP transport: sends openstack-proto's [`Request`] values with a blocking ureq agent and
//! hands back [`Response`] values. Image data streams both ways: an upload body is read from a
//! `Read` while it is sent (with the request's `Content-Length`, never chunked), a download body
//! is handed out as a `Read`.
//!
//! The token never leaves the origin it was sent to: ureq follows no redirects; this module
//! follows a same-origin redirect of a `GET` or `HEAD` itself and refuses every other one. A
//! password or token about to cross plain http to a host that is not loopback gets a warning.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openstack_proto::url::{host as host_of, origin};
use openstack_proto::{Body, Method, Request, Response, AUTH_TOKEN_HEADER};
use ureq::http;
use ureq::tls::TlsConfig;
use ureq::{AsSendBody, BodyReader, SendBody};

use super::tls::TlsProblem;

/// JSON answers and error bodies are small; anything bigger is refused.
const BODY_LIMIT: u64 = 64 * 1024 * 1024;
/// Same-origin redirects followed in a row before giving up.
const MAX_REDIRECTS: usize = 5;

/// A request that could not be sent, or whose answer could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection failed, stalled, or broke.
    #[error("{method} {url}: {source}")]
    Http {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// What ureq says (boxed: with rustls it is large, and every cloud error carries one).
        #[source]
        source: Box<ureq::Error>,
    },
    /// The TLS handshake failed: a certificate problem on either side.
    #[error("{method} {url}: TLS: {problem}")]
    Tls {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// The host connected to.
        host: String,
        /// What went wrong, in words.
        problem: TlsProblem,
    },
    /// The service answered with a redirect this client does not follow, because the token
    /// would go to another origin, or the body cannot be sent again.
    #[error("{method} {url}: redirected to {location} ({why})")]
    Redirect {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// Where the service pointed.
        location: String,
        /// Why it was not followed.
        why: &'static str,
    },
    /// The request cannot be put on the wire (a header value with a newline, say), or its body
    /// kind does not fit the call.
    #[error("{method} {url}: {detail}")]
    InvalidRequest {
        /// The request's method.
        method: Method,
        /// The request's URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
}

impl TransportError {
    /// Whether a timeout ended the request.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Http { source, .. } if matches!(**source, ureq::Error::Timeout(_)))
    }

    /// What to do about it, when there is something to say.
    pub fn fix(&self) -> Option<String> {
        match self {
            Self::Tls { host, problem, .. } => Some(problem.fix(host)),
            Self::Redirect { location, .. } => Some(format!(
                "use the final URL ({location}) in clouds.yaml (auth_url) or an endpoint \
                 override, or have the catalog list it: the token is only ever sent to the \
                 origin it was meant for"
            )),
            Self::Http { source, .. }
                if matches!(
                    **source,
                    ureq::Error::ConnectionFailed | ureq::Error::HostNotFound
                ) =>
            {
                Some(
                    "check that the service runs and that the URL (clouds.yaml auth_url, the \
                 catalog, or an endpoint override) is reachable from here"
                        .to_owned(),
                )
            }
            _ if self.is_timeout() => {
                Some("the service stalled: try again, or raise --timeout".to_owned())
            }
            _ => None,
        }
    }
}

/// A response whose body is still on the wire.
pub struct StreamedResponse {
    /// Status and headers; the body is filled in only for an error status (error bodies are
    /// small and hold the server's message).
    pub head: Response,
    /// The body, for a 2xx status.
    pub body: Option<BodyReader<'static>>,
}

/// A blocking HTTP client for openstack-proto's requests.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    /// Origins already warned about (credentials over plain http), so each is named once.
    warned: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl Transport {
    /// An agent whose connections may stall for at most `timeout` (to connect, and for each
    /// read and write); a long upload or download is fine as long as bytes move. `tls` says
    /// how https servers are checked ([`super::tls::TlsOptions::config`]).
    pub fn new(timeout: Duration, tls: TlsConfig) -> Self {
        let config = ureq::Agent::config_builder()
            // Error statuses come back as responses: openstack-proto reads their bodies.
            .http_status_as_error(false)
            .tls_config(tls)
            // Redirects are followed here, only to the same origin (see `run`).
            .max_redirects(0)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .user_agent(concat!("glance-sig/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.new_agent(),
            warned: Arc::default(),
        }
    }

    /// Sends a request without a body or with a JSON body, and reads the whole answer.
    ///
    /// # Errors
    /// [`TransportError`] when the request cannot be sent or the answer not read; an error
    /// status is a [`Response`], not an error.
    pub fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let answer = match &request.body {
            Body::None => self.run(request, ())?,
            Body::Json(bytes) => self.run(request, bytes.as_slice())?,
            Body::Stream => {
                return Err(invalid(
                    request,
                    "the request streams its body: use send_stream",
                ))
            }
        };
        into_response(request, answer)
    }

    /// Sends a request whose body is read from `body` while it goes out. The request must carry
    /// its `Content-Length` (openstack-proto's upload requests do when given the size), so the
    /// body is sent as is, not chunked.
    ///
    /// # Errors
    /// As [`Transport::send`]; a read error from `body` comes back as a [`TransportError`] too.
    pub fn send_stream(
        &self,
        request: &Request,
        body: &mut dyn Read,
    ) -> Result<Response, TransportError> {
        if request.body != Body::Stream {
            return Err(invalid(request, "the request has no streamed body"));
        }
        if request.header("Content-Length").is_none() {
            return Err(invalid(
                request,
                "a streamed body needs a Content-Length (chunked uploads are refused by some \
                 proxies and cannot be sized by Glance)",
            ));
        }
        let answer = self.run(request, SendBody::from_reader(body))?;
        into_response(request, answer)
    }

    /// Sends a request and returns as soon as the headers are in; a 2xx body is left to be
    /// read from [`StreamedResponse::body`].
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub fn open(&self, request: &Request) -> Result<StreamedResponse, TransportError> {
        if request.body != Body::None {
            return Err(invalid(request, "a streamed download sends no body"));
        }
        let answer = self.run(request, ())?;
        let (parts, body) = answer.into_parts();
        let mut head = Response::new(parts.status.as_u16(), headers(&parts.headers), Vec::new());
        if head.is_success() {
            Ok(StreamedResponse {
                head,
                body: Some(body.into_reader()),
            })
        } else {
            head.body = read_limited(request, body)?;
            Ok(StreamedResponse { head, body: None })
        }
    }

    fn run(
        &self,
        request: &Request,
        body: impl AsSendBody,
    ) -> Result<http::Response<ureq::Body>, TransportError> {
        self.warn_if_plaintext(request, &request.url);
        let answer = self.run_once(request, &request.url, body)?;
        let mut url = request.url.clone();
        let mut answer = answer;
        for _ in 0..=MAX_REDIRECTS {
            let Some(location) = redirect_target(&answer, &url) else {
                return Ok(answer);
            };
            let refuse = |why| TransportError::Redirect {
                method: request.method,
                url: url.clone(),
                location: location.clone(),
                why,
            };
            if origin(&location) != origin(&url) {
                return Err(refuse(
                    "another origin: the token is not sent there, so it is not followed",
                ));
            }
            if !matches!(request.method, Method::Get | Method::Head) || request.body != Body::None {
                return Err(refuse("only GET and HEAD redirects are followed"));
            }
            url = location;
            answer = self.run_once(request, &url, ())?;
        }
        Err(TransportError::Redirect {
            method: request.method,
            url: request.url.clone(),
            location: url,
            why: "too many redirects",
        })
    }

    fn run_once(
        &self,
        request: &Request,
        url: &str,
        body: impl AsSendBody,
    ) -> Result<http::Response<ureq::Body>, TransportError> {
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let wire = builder
            .body(body)
            .map_err(|e| invalid(request, &e.to_string()))?;
        self.agent
            .run(wire)
            .map_err(|source| http_error(request, url, source))
    }

    /// Warns, once per origin, when [`plaintext_origin`] finds credentials about to go out
    /// unencrypted.
    fn warn_if_plaintext(&self, request: &Request, url: &str) {
        let Some(origin) = plaintext_origin(request, url) else {
            return;
        };
        let Ok(mut warned) = self.warned.lock() else {
            return;
        };
        if warned.insert(origin.clone()) {
            crate::output::render::err_line(&format!(
                "glance-sig: warning: credentials are sent to {origin} over plain http: anyone \
                 on the network path can read them; use the cloud's https endpoints"
            ));
        }
    }
}

/// The origin, when `request` carries a password (Keystone's `POST /auth/tokens`) or a token
/// over plain http to a host that is not this machine: anyone on the path can read it.
fn plaintext_origin(request: &Request, url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let carries_secret = request.header(AUTH_TOKEN_HEADER).is_some()
        || (request.method == Method::Post && url.contains("/auth/tokens"));
    (carries_secret && !is_loopback(&host_of(rest))).then(|| origin(url))
}

/// The absolute URL a 3xx answer points at, if it is one with a `Location`.
fn redirect_target(answer: &http::Response<ureq::Body>, url: &str) -> Option<String> {
    if !answer.status().is_redirection() {
        return None;
    }
    let location = answer
        .headers()
        .get(http::header::LOCATION)?
        .to_str()
        .ok()?;
    Some(resolve(url, location))
}

/// `location` resolved against `base` (absolute, scheme-relative, absolute-path or relative).
fn resolve(base: &str, location: &str) -> String {
    let location = location.trim();
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(authority_and_path) = location.strip_prefix("//") {
        return format!("{scheme}://{authority_and_path}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = rest[authority.len()..]
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{scheme}://{authority}{dir}{location}")
}

/// This machine: `localhost`, 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104.
fn is_loopback(host: &str) -> bool {
    use std::net::IpAddr;
    host.eq_ignore_ascii_case("localhost")
        || match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => ip.is_loopback(),
            Ok(IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Err(_) => false,
        }
}

fn into_response(
    request: &Request,
    answer: http::Response<ureq::Body>,
) -> Result<Response, TransportError> {
    let (parts, body) = answer.into_parts();
    Ok(Response::new(
        parts.status.as_u16(),
        headers(&parts.headers),
        read_limited(request, body)?,
    ))
}

fn read_limited(request: &Request, body: ureq::Body) -> Result<Vec<u8>, TransportError> {
    body.into_with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(|source| http_error(request, &request.url, source))
}

fn headers(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn http_error(request: &Request, url: &str, source: ureq::Error) -> TransportError {
    let host = host_of(url.split_once("://").map_or(url, |(_, rest)| rest));
    if let Some(problem) = TlsProblem::of(&source, &host) {
        return TransportError::Tls {
            method: request.method,
            url: url.to_owned(),
            host,
            problem,
        };
    }
    TransportError::Http {
        method: request.method,
        url: url.to_owned(),
        source: Box::new(source),
    }
}

fn invalid(request: &Request, detail: &str) -> TransportError {
    TransportError::InvalidRequest {
        method: request.method,
        url: request.url.clone(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    fn transport(seconds: u64) -> Transport {
        Transport::new(Duration::from_secs(seconds), TlsConfig::default())
    }

    /// A one-shot HTTP server: answers one request with `answer` and hands back what it read.
    fn serve_once(answer: &'static [u8]) -> (String, thread::JoinHandle<Vec<u8>>) {
        let (url, handle) = serve(vec![answer]);
        (
            url,
            thread::spawn(move || handle.join().expect("server").concat()),
        )
    }

    /// Answers one request per connection, in order, and hands back each request as read.
    fn serve(answers: Vec<&'static [u8]>) -> (String, thread::JoinHandle<Vec<Vec<u8>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let handle = thread::spawn(move || {
            answers
                .into_iter()
                .map(|answer| answer_one(&listener, answer))
                .collect()
        });
        (url, handle)
    }

    fn answer_one(listener: &TcpListener, answer: &[u8]) -> Vec<u8> {
        {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = Vec::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("line");
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
                head.extend_from_slice(line.as_bytes());
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            head.extend_from_slice(&body);
            let mut stream = stream;
            stream.write_all(answer).expect("answer");
            head
        }
    }

    #[test]
    fn streamed_upload_has_content_length_not_chunked() {
        let (url, server) = serve_once(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let request =
            openstack_proto::glance::Glance::new(&url, &"tok".into()).upload("abc", Some(11));
        let response = transport(5)
            .send_stream(&request, &mut &b"hello world"[..])
            .expect("sent");
        assert_eq!(response.status, 204);
        let seen = String::from_utf8(server.join().expect("server")).expect("utf8");
        let lower = seen.to_ascii_lowercase();
        assert!(
            lower.starts_with("put /v2/images/abc/file http/1.1\r\n"),
            "{seen}"
        );
        assert!(lower.contains("content-length: 11\r\n"), "{seen}");
        assert!(!lower.contains("transfer-encoding"), "{seen}");
        assert!(lower.contains("x-auth-token: tok\r\n"), "{seen}");
        assert!(seen.ends_with("\r\n\r\nhello world"), "{seen}");
    }

    #[test]
    fn error_status_is_a_response_with_its_body() {
        let (url, server) = serve_once(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
              X-Openstack-Request-Id: req-1\r\nContent-Length: 13\r\nConnection: close\r\n\r\n\
              {\"a\": \"gone\"}",
        );
        let request = Request::new(Method::Get, format!("{url}/v2/images/x"));
        let download = transport(5).open(&request).expect("answer");
        assert_eq!(download.head.status, 404);
        assert!(download.body.is_none());
        assert_eq!(download.head.request_id(), Some("req-1"));
        assert_eq!(download.head.body, b"{\"a\": \"gone\"}");
        server.join().expect("server");
    }

    #[test]
    fn refuses_a_stream_without_length() {
        let transport = transport(1);
        let unsized_upload =
            openstack_proto::glance::Glance::new("http://127.0.0.1:9", &"t".into())
                .upload("x", None);
        assert!(matches!(
            transport.send_stream(&unsized_upload, &mut &b""[..]),
            Err(TransportError::InvalidRequest { .. })
        ));
        assert!(matches!(
            transport.send(&unsized_upload),
            Err(TransportError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn origins_and_locations() {
        assert_eq!(
            origin("https://Cloud.example/v3"),
            "https://cloud.example:443"
        );
        assert_eq!(origin("http://127.0.0.1:9292/v2"), "http://127.0.0.1:9292");
        assert_eq!(origin("http://[::1]:80/x"), "http://::1:80");
        assert_eq!(origin("http://u@h:5000"), "http://h:5000");
        assert_ne!(origin("http://h/x"), origin("https://h/x"));
        assert_eq!(
            resolve("http://h:1/v2/images/x", "/v2/y"),
            "http://h:1/v2/y"
        );
        assert_eq!(
            resolve("http://h:1/v2/images/x", "z?a=1"),
            "http://h:1/v2/images/z?a=1"
        );
        assert_eq!(resolve("https://h/a", "//o/b"), "https://o/b");
        assert_eq!(resolve("https://h/a", "http://o/b"), "http://o/b");
        assert!(is_loopback("127.0.0.5") && is_loopback("::1") && is_loopback("LOCALHOST"));
        assert!(is_loopback("::ffff:127.0.0.1"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("cloud.example"));
    }

    #[test]
    fn credentials_over_plain_http_elsewhere_are_flagged() {
        let login = Request::new(Method::Post, "http://keystone.example:5000/v3/auth/tokens");
        assert_eq!(
            plaintext_origin(&login, &login.url),
            Some("http://keystone.example:5000".to_owned())
        );
        let token = Request::new(Method::Get, "http://10.1.2.3/v2/images")
            .with_header(AUTH_TOKEN_HEADER, "t");
        assert_eq!(
            plaintext_origin(&token, &token.url),
            Some("http://10.1.2.3:80".to_owned())
        );
        let local = Request::new(Method::Get, "http://127.0.0.1:9292/v2/images")
            .with_header(AUTH_TOKEN_HEADER, "t");
        assert_eq!(plaintext_origin(&local, &local.url), None);
        let https = Request::new(Method::Get, "https://glance.example/v2/images")
            .with_header(AUTH_TOKEN_HEADER, "t");
        assert_eq!(plaintext_origin(&https, &https.url), None);
        let anonymous = Request::new(Method::Get, "http://glance.example/");
        assert_eq!(plaintext_origin(&anonymous, &anonymous.url), None);
    }

    #[test]
    fn same_origin_get_redirects_are_followed_with_the_token() {
        let (url, server) = serve(vec![
            b"HTTP/1.1 302 Found\r\nLocation: /v2/images/real\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        ]);
        let request = Request::new(Method::Get, format!("{url}/v2/images/old"))
            .with_header(AUTH_TOKEN_HEADER, "tok");
        let response = transport(5).send(&request).expect("followed");
        assert_eq!(response.status, 200);
        let seen = server.join().expect("server");
        let second = String::from_utf8_lossy(&seen[1]).to_ascii_lowercase();
        assert!(second.starts_with("get /v2/images/real "), "{second}");
        assert!(second.contains("x-auth-token: tok\r\n"), "{second}");
    }

    #[test]
    fn redirects_elsewhere_are_refused_and_the_token_stays() {
        // The redirect target is a second listener: nothing may ever connect to it.
        let elsewhere = TcpListener::bind("127.0.0.1:0").expect("bind");
        elsewhere.set_nonblocking(true).expect("nonblocking");
        let target = format!(
            "http://localhost:{}/steal",
            elsewhere.local_addr().expect("addr").port()
        );
        let answer: &'static [u8] = Box::leak(
            format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .into_bytes()
                .into_boxed_slice(),
        );
        let (url, server) = serve_once(answer);
        let request = Request::new(Method::Get, format!("{url}/v3/auth/catalog"))
            .with_header(AUTH_TOKEN_HEADER, "tok");
        let error = transport(5).send(&request).expect_err("refused");
        assert!(matches!(error, TransportError::Redirect { .. }), "{error}");
        assert!(error.to_string().contains(&target), "{error}");
        assert!(error.fix().is_some_and(|f| f.contains("origin")));
        server.join().expect("server");
        assert!(
            elsewhere.accept().is_err(),
            "the other origin was contacted"
        );

        // A same-origin redirect of a request with a body is not replayed either.
        let (url, server) = serve_once(
            b"HTTP/1.1 308 Permanent Redirect\r\nLocation: /v2/images2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let mut post = Request::new(Method::Post, format!("{url}/v2/images"));
        post.body = Body::Json(b"{}".to_vec());
        let error = transport(5).send(&post).expect_err("refused");
        assert!(error.to_string().contains("only GET and HEAD"), "{error}");
        server.join().expect("server");
    }

    #[test]
    fn https_to_a_plain_server_is_a_tls_error() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .ok();
        });
        let error = transport(5)
            .send(&Request::new(
                Method::Get,
                format!("https://127.0.0.1:{port}/v3"),
            ))
            .expect_err("not tls");
        assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
        server.join().expect("server");
    }
}
