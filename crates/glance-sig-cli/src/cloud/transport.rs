//! The HTTP transport: sends openstack-proto's [`Request`] values with a blocking ureq agent and
//! hands back [`Response`] values. Image data streams both ways: an upload body is read from a
//! `Read` while it is sent (with the request's `Content-Length`, never chunked), a download body
//! is handed out as a `Read`.

use std::io::Read;
use std::time::Duration;

use openstack_proto::{Body, Method, Request, Response};
use ureq::http;
use ureq::{AsSendBody, BodyReader, SendBody};

/// JSON answers and error bodies are small; anything bigger is refused.
const BODY_LIMIT: u64 = 64 * 1024 * 1024;

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
        /// What ureq says.
        #[source]
        source: ureq::Error,
    },
    /// An `https://` URL, and this binary was built without TLS.
    #[error("{url}: this glance-sig was built without TLS support")]
    TlsUnavailable {
        /// The URL.
        url: String,
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
        matches!(
            self,
            Self::Http {
                source: ureq::Error::Timeout(_),
                ..
            }
        )
    }

    /// What to do about it, when there is something to say.
    pub fn fix(&self) -> Option<String> {
        match self {
            Self::TlsUnavailable { .. } => Some(
                "rebuild with `cargo build --release -p glance-sig-cli --features tls`".to_owned(),
            ),
            Self::Http {
                source: ureq::Error::ConnectionFailed | ureq::Error::HostNotFound,
                ..
            } => Some(
                "check that the service runs and that the URL (clouds.yaml auth_url, the \
                 catalog, or an endpoint override) is reachable from here"
                    .to_owned(),
            ),
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
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

impl Transport {
    /// An agent whose connections may stall for at most `timeout` (to connect, and for each
    /// read and write); a long upload or download is fine as long as bytes move.
    pub fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            // Error statuses come back as responses: openstack-proto reads their bodies.
            .http_status_as_error(false)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .user_agent(concat!("glance-sig/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.new_agent(),
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
        if request.url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(TransportError::TlsUnavailable {
                url: request.url.clone(),
            });
        }
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let wire = builder
            .body(body)
            .map_err(|e| invalid(request, &e.to_string()))?;
        self.agent
            .run(wire)
            .map_err(|source| http_error(request, source))
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
        .map_err(|source| http_error(request, source))
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

fn http_error(request: &Request, source: ureq::Error) -> TransportError {
    TransportError::Http {
        method: request.method,
        url: request.url.clone(),
        source,
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

    /// A one-shot HTTP server: answers one request with `answer` and hands back what it read.
    fn serve_once(answer: &'static [u8]) -> (String, thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let handle = thread::spawn(move || {
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
        });
        (url, handle)
    }

    #[test]
    fn streamed_upload_has_content_length_not_chunked() {
        let (url, server) = serve_once(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let request =
            openstack_proto::glance::Glance::new(&url, &"tok".into()).upload("abc", Some(11));
        let response = Transport::new(Duration::from_secs(5))
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
        let download = Transport::new(Duration::from_secs(5))
            .open(&request)
            .expect("answer");
        assert_eq!(download.head.status, 404);
        assert!(download.body.is_none());
        assert_eq!(download.head.request_id(), Some("req-1"));
        assert_eq!(download.head.body, b"{\"a\": \"gone\"}");
        server.join().expect("server");
    }

    #[test]
    fn refuses_a_stream_without_length_and_https_without_tls() {
        let transport = Transport::new(Duration::from_secs(1));
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
        if !cfg!(feature = "tls") {
            let error = transport
                .send(&Request::new(Method::Get, "https://cloud.example/v3"))
                .expect_err("no tls");
            assert!(error.fix().is_some_and(|f| f.contains("--features tls")));
        }
    }
}
