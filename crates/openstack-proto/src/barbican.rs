//! Barbican v1: storing and reading the signing certificate that Glance fetches (through
//! castellan) to verify image signatures.
//!
//! Castellan reads a certificate only in one form: `secret_type: certificate`,
//! `payload_content_type: application/octet-stream`, and a PEM payload.
//! [`Barbican::store_certificate`] stores exactly that; [`check_certificate_secret`] says what is
//! wrong with a secret stored another way, and how to fix it.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::client::{Client, KeyManagerApi};
use crate::error::{check_status, parse_json, ApiError};
use crate::http::{Method, Request, Response, JSON, OCTET_STREAM};
use crate::service::Service;
use crate::url::{encode, parse_query};

const PEM_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----";

/// Builds Barbican v1 requests for one endpoint and token: `Barbican::new(endpoint, token)`,
/// then the methods below. Every request but [`Barbican::payload`] says
/// `Accept: application/json`.
pub type Barbican = Client<KeyManagerApi>;

impl Barbican {
    fn secret_path(uuid: &str) -> String {
        format!("/secrets/{}", encode(uuid))
    }

    /// `POST /v1/secrets`: stores a PEM certificate as castellan reads it (`secret_type`
    /// certificate, `payload_content_type` application/octet-stream, `payload_content_encoding`
    /// base64, payload the base64 of the PEM bytes). `expiration` (ISO 8601, e.g.
    /// `2027-01-01T00:00:00`) is passed as is; note that once it passes, Glance reports
    /// "Certificate not found". The answer goes to [`parse_secret_ref`].
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] when `pem` holds no `-----BEGIN CERTIFICATE-----` block (a DER
    /// certificate, for instance, which castellan cannot read), or `name` is empty.
    pub fn store_certificate(
        &self,
        name: &str,
        pem: &[u8],
        expiration: Option<&str>,
    ) -> Result<Request, ApiError> {
        if name.trim().is_empty() {
            return Err(ApiError::InvalidInput(
                "the certificate secret needs a name".to_owned(),
            ));
        }
        match PayloadFormat::of(pem) {
            PayloadFormat::PemCertificate => {}
            other => {
                return Err(ApiError::InvalidInput(format!(
                    "castellan reads only PEM certificates, this is {other}"
                )))
            }
        }
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        body.insert("secret_type".into(), json!("certificate"));
        body.insert("payload_content_type".into(), json!(OCTET_STREAM));
        body.insert("payload_content_encoding".into(), json!("base64"));
        body.insert(
            "payload".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(pem)),
        );
        if let Some(expiration) = expiration {
            body.insert("expiration".into(), json!(expiration));
        }
        Ok(self
            .request(Method::Post, "/secrets")
            .with_json(JSON, &Value::Object(body)))
    }

    /// `GET /v1/secrets?secret_type=certificate&limit=..&offset=..`: one page of the project's
    /// certificate secrets. The answer goes to [`parse_secret_list`]; the next page starts at
    /// [`SecretPage::next_offset`].
    pub fn list_certificates(&self, limit: u32, offset: u64) -> Request {
        self.request(
            Method::Get,
            &format!("/secrets?secret_type=certificate&limit={limit}&offset={offset}"),
        )
    }

    /// `GET /v1/secrets/{uuid}`: a secret's metadata. The answer goes to [`parse_secret`].
    pub fn secret(&self, uuid: &str) -> Request {
        self.request(Method::Get, &Self::secret_path(uuid))
    }

    /// `GET /v1/secrets/{uuid}/payload` with `Accept: application/octet-stream`, the type a
    /// certificate is stored with in castellan's form (python-barbicanclient's default
    /// `text/plain` can get "Wrong payload content-type"). The answer goes to [`parse_payload`].
    pub fn payload(&self, uuid: &str) -> Request {
        let payload = format!("{}/payload", Self::secret_path(uuid));
        self.request_accepting(Method::Get, &payload, OCTET_STREAM)
    }

    /// `PUT /v1/secrets/{uuid}/acl`: who besides the owner project may read the secret, needed
    /// when users of another project upload or boot images signed with it. Replaces the whole
    /// ACL. The answer goes to [`parse_acl_ref`].
    pub fn set_acl(&self, uuid: &str, acl: &ReadAcl) -> Request {
        let body = json!({
            "read": { "users": acl.users, "project-access": acl.project_access }
        });
        self.request(Method::Put, &format!("{}/acl", Self::secret_path(uuid)))
            .with_json(JSON, &body)
    }

    /// `GET /v1/secrets/{uuid}/acl`. The answer goes to [`parse_acl`].
    pub fn acl(&self, uuid: &str) -> Request {
        self.request(Method::Get, &format!("{}/acl", Self::secret_path(uuid)))
    }

    /// `DELETE /v1/secrets/{uuid}`. The answer goes to [`parse_deleted`].
    pub fn delete_secret(&self, uuid: &str) -> Request {
        self.request(Method::Delete, &Self::secret_path(uuid))
    }
}

/// The read ACL of a secret.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReadAcl {
    /// User ids allowed to read.
    pub users: Vec<String>,
    /// Whether every user with a role in the owner project may read (Barbican's default). Set it
    /// to `false` to keep the secret to the creator and `users`.
    pub project_access: bool,
}

/// The uuid at the end of a `secret_ref` (`http://h:9311/v1/secrets/<uuid>`), or `None` when the
/// reference has no such last segment.
pub fn secret_uuid(secret_ref: &str) -> Option<&str> {
    let trimmed = secret_ref.trim().trim_end_matches('/');
    let (_, last) = trimmed.rsplit_once("/secrets/")?;
    let uuid = last.split(['?', '#', '/']).next().unwrap_or("");
    let ok = !uuid.is_empty() && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    ok.then_some(uuid)
}

#[derive(Deserialize)]
struct SecretRefBody {
    secret_ref: String,
}

/// Reads the answer to [`Barbican::store_certificate`]: the new secret's uuid, to put in
/// `img_signature_certificate_uuid`.
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] when the body has
/// no `secret_ref` ending in a uuid.
pub fn parse_secret_ref(response: &Response) -> Result<String, ApiError> {
    let body: SecretRefBody = parse_json(Service::KeyManager, response)?;
    secret_uuid(&body.secret_ref)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid_response(
                Service::KeyManager,
                response,
                format!("secret_ref {:?} does not end in a uuid", body.secret_ref),
            )
        })
}

/// A secret's metadata (`GET /v1/secrets/{uuid}`).
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
pub struct SecretMetadata {
    /// `http://h:9311/v1/secrets/<uuid>`.
    pub secret_ref: String,
    /// The name given at creation.
    pub name: Option<String>,
    /// `certificate`, `opaque`, `public`, `private`, `symmetric`, `passphrase`.
    pub secret_type: Option<String>,
    /// The payload's content types (`{"default": "application/octet-stream"}`); empty for a
    /// secret without a payload.
    #[serde(default)]
    pub content_types: BTreeMap<String, String>,
    /// When Barbican stops returning the secret (ISO 8601, UTC, no offset), if set.
    pub expiration: Option<String>,
    /// `ACTIVE` or `ERROR`.
    pub status: Option<String>,
    /// The id of the user who created it.
    pub creator_id: Option<String>,
    /// When it was created.
    pub created: Option<String>,
    /// When it was last updated.
    pub updated: Option<String>,
}

impl SecretMetadata {
    /// The uuid at the end of [`SecretMetadata::secret_ref`].
    pub fn uuid(&self) -> Option<&str> {
        secret_uuid(&self.secret_ref)
    }

    /// The default payload content type.
    pub fn default_content_type(&self) -> Option<&str> {
        self.content_types.get("default").map(String::as_str)
    }
}

/// Reads the answer to [`Barbican::secret`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (404 for an unknown, expired or invisible secret);
/// [`ApiError::InvalidResponse`] for a body without `secret_ref`.
pub fn parse_secret(response: &Response) -> Result<SecretMetadata, ApiError> {
    parse_json(Service::KeyManager, response)
}

/// One page of [`Barbican::list_certificates`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SecretPage {
    /// The secrets on this page.
    pub secrets: Vec<SecretMetadata>,
    /// How many secrets match in all.
    pub total: Option<u64>,
    /// Barbican's link to the next page, absent on the last one.
    pub next: Option<String>,
    /// Barbican's link to the previous page.
    pub previous: Option<String>,
}

impl SecretPage {
    /// The `offset` for the next page (read from [`SecretPage::next`], which is built from
    /// Barbican's `host_href` and may not be reachable as is), or `None` on the last page.
    pub fn next_offset(&self) -> Option<u64> {
        let next = self.next.as_deref()?;
        let (_, query) = next.split_once('?')?;
        parse_query(query)
            .into_iter()
            .find(|(key, _)| key == "offset")
            .and_then(|(_, value)| value.parse().ok())
    }
}

/// Reads the answer to [`Barbican::list_certificates`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body without
/// a `secrets` list.
pub fn parse_secret_list(response: &Response) -> Result<SecretPage, ApiError> {
    parse_json(Service::KeyManager, response)
}

/// Reads the answer to [`Barbican::payload`]: the stored bytes (for a certificate stored by
/// [`Barbican::store_certificate`], the PEM file).
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (406 "Wrong payload content-type" when the
/// `Accept` header does not fit how the secret was stored).
pub fn parse_payload(response: &Response) -> Result<&[u8], ApiError> {
    check_status(Service::KeyManager, response)?;
    Ok(&response.body)
}

#[derive(Deserialize)]
struct AclRefBody {
    acl_ref: String,
}

/// Reads the answer to [`Barbican::set_acl`]: the ACL's reference URL.
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (403 when the token's user may not change the
/// ACL); [`ApiError::InvalidResponse`] for a body without `acl_ref`.
pub fn parse_acl_ref(response: &Response) -> Result<String, ApiError> {
    let body: AclRefBody = parse_json(Service::KeyManager, response)?;
    Ok(body.acl_ref)
}

#[derive(Deserialize)]
struct AclBody {
    read: Option<AclReadBody>,
}

#[derive(Deserialize)]
struct AclReadBody {
    #[serde(default)]
    users: Vec<String>,
    #[serde(rename = "project-access", default = "project_access_default")]
    project_access: bool,
}

fn project_access_default() -> bool {
    true
}

/// Reads the answer to [`Barbican::acl`]. A secret without an ACL reads as project access for
/// all and no extra users.
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body that is
/// not a JSON object.
pub fn parse_acl(response: &Response) -> Result<ReadAcl, ApiError> {
    let body: AclBody = parse_json(Service::KeyManager, response)?;
    Ok(body.read.map_or(
        ReadAcl {
            users: Vec::new(),
            project_access: true,
        },
        |read| ReadAcl {
            users: read.users,
            project_access: read.project_access,
        },
    ))
}

/// Reads the answer to [`Barbican::delete_secret`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer.
pub fn parse_deleted(response: &Response) -> Result<(), ApiError> {
    check_status(Service::KeyManager, response)
}

/// What a secret's payload bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadFormat {
    /// A PEM `CERTIFICATE` block: what castellan reads.
    PemCertificate,
    /// A PEM block of another kind (the label, e.g. `PUBLIC KEY`).
    OtherPem(String),
    /// Binary DER (starts with an ASN.1 SEQUENCE): a certificate in the wrong encoding.
    Der,
    /// Nothing.
    Empty,
    /// Something else.
    Unknown,
}

impl PayloadFormat {
    /// Looks at payload bytes (no parsing of the certificate itself).
    pub fn of(payload: &[u8]) -> Self {
        if payload.iter().all(u8::is_ascii_whitespace) {
            return Self::Empty;
        }
        if payload.first() == Some(&0x30) {
            return Self::Der;
        }
        let text = String::from_utf8_lossy(payload);
        if text.contains(PEM_CERTIFICATE) {
            return Self::PemCertificate;
        }
        if let Some(start) = text.find("-----BEGIN ") {
            let rest = &text[start + "-----BEGIN ".len()..];
            if let Some(end) = rest.find("-----") {
                return Self::OtherPem(rest[..end].to_owned());
            }
        }
        Self::Unknown
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PemCertificate => f.write_str("a PEM certificate"),
            Self::OtherPem(label) => write!(f, "a PEM {label}, not a certificate"),
            Self::Der => f.write_str("DER (binary), not PEM"),
            Self::Empty => f.write_str("empty"),
            Self::Unknown => f.write_str("neither PEM nor DER"),
        }
    }
}

/// One reason castellan (and so Glance, Cinder, Nova) cannot use a certificate secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretProblem {
    /// `secret_type` is not `certificate` (castellan then returns another kind of object and
    /// cursive says "Invalid certificate format").
    NotCertificateType {
        /// The type found.
        secret_type: String,
    },
    /// The payload content type is not `application/octet-stream` (e.g. `text/plain`).
    WrongContentType {
        /// The content type found.
        content_type: String,
    },
    /// The secret has no payload.
    NoPayload,
    /// The payload is not a PEM certificate.
    PayloadNotPem {
        /// What it is.
        format: PayloadFormat,
    },
    /// The secret is not `ACTIVE`.
    NotActive {
        /// The status found.
        status: String,
    },
    /// The secret has a Barbican expiration: after it, Glance says "Certificate not found".
    /// `expired` is known only when the caller gave the current time.
    Expiration {
        /// The expiration, as Barbican wrote it.
        expiration: String,
        /// Whether it has passed at the time given.
        expired: Option<bool>,
    },
}

impl SecretProblem {
    /// Whether castellan cannot read the certificate now (an expiration still in the future, or
    /// of unknown relation to now, is only a warning).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Self::Expiration {
                expired: Some(false) | None,
                ..
            }
        )
    }

    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        match self {
            Self::NotCertificateType { .. } | Self::WrongContentType { .. } | Self::NoPayload => {
                "store the PEM certificate again as secret_type certificate, \
                 payload_content_type application/octet-stream, payload_content_encoding base64, \
                 and point img_signature_certificate_uuid at the new secret"
            }
            Self::PayloadNotPem {
                format: PayloadFormat::Der,
            } => {
                "convert it to PEM (openssl x509 -inform DER -in cert.der -out cert.pem), store \
                 that as a new certificate secret, and point img_signature_certificate_uuid at it"
            }
            Self::PayloadNotPem { .. } => {
                "store the signing certificate itself (PEM, -----BEGIN CERTIFICATE-----) as a new \
                 certificate secret"
            }
            Self::NotActive { .. } => "store the certificate again; this secret is not usable",
            Self::Expiration { .. } => {
                "store the certificate again without a Barbican expiration before this one passes"
            }
        }
    }
}

impl fmt::Display for SecretProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotCertificateType { secret_type } => {
                write!(f, "secret_type is {secret_type:?}, not \"certificate\"")
            }
            Self::WrongContentType { content_type } => write!(
                f,
                "payload content type is {content_type:?}, not \"application/octet-stream\""
            ),
            Self::NoPayload => f.write_str("the secret has no payload"),
            Self::PayloadNotPem { format } => write!(f, "the payload is {format}"),
            Self::NotActive { status } => write!(f, "the secret's status is {status:?}"),
            Self::Expiration {
                expiration,
                expired: Some(true),
            } => write!(
                f,
                "the secret expired at {expiration} (Barbican no longer returns it)"
            ),
            Self::Expiration { expiration, .. } => {
                write!(
                    f,
                    "the secret expires at {expiration}; Barbican then stops returning it"
                )
            }
        }
    }
}

/// Checks a certificate secret as castellan will read it: its metadata, and the payload when
/// the caller fetched it (with [`Barbican::payload`]). `now` (seconds since the Unix epoch)
/// lets an expiration be judged. Returns every problem found, fatal ones first; an empty list
/// means castellan reads it.
pub fn check_certificate_secret(
    metadata: &SecretMetadata,
    payload: Option<&[u8]>,
    now: Option<i64>,
) -> Vec<SecretProblem> {
    let mut problems = Vec::new();
    match metadata.secret_type.as_deref() {
        Some("certificate") => {}
        other => problems.push(SecretProblem::NotCertificateType {
            secret_type: other.unwrap_or("").to_owned(),
        }),
    }
    match metadata.default_content_type() {
        None => problems.push(SecretProblem::NoPayload),
        Some(content_type) => {
            let media = content_type.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case(OCTET_STREAM) {
                problems.push(SecretProblem::WrongContentType {
                    content_type: content_type.to_owned(),
                });
            }
        }
    }
    if let Some(payload) = payload {
        let format = PayloadFormat::of(payload);
        if format != PayloadFormat::PemCertificate {
            problems.push(SecretProblem::PayloadNotPem { format });
        }
    }
    if let Some(status) = metadata.status.as_deref() {
        if !status.eq_ignore_ascii_case("ACTIVE") {
            problems.push(SecretProblem::NotActive {
                status: status.to_owned(),
            });
        }
    }
    if let Some(expiration) = &metadata.expiration {
        let expired = now
            .zip(crate::time::unix_seconds(expiration))
            .map(|(now, at)| at <= now);
        problems.push(SecretProblem::Expiration {
            expiration: expiration.clone(),
            expired,
        });
    }
    problems.sort_by_key(|problem| !problem.is_fatal());
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{json_body, response};
    use crate::Secret;

    const UUID: &str = "0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11";
    const PEM: &[u8] = include_bytes!("../tests/fixtures/cert.pem");

    fn barbican() -> Barbican {
        Barbican::new("http://127.0.0.1:9311/", &Secret::from("tok"))
    }

    fn ok(body: &str) -> Response {
        response(200, &[], body)
    }

    #[test]
    fn store_certificate_in_castellan_form() {
        let request = barbican()
            .store_certificate("glance signing cert", PEM, None)
            .expect("request");
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "http://127.0.0.1:9311/v1/secrets");
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body = json_body(&request);
        assert_eq!(body["name"], "glance signing cert");
        assert_eq!(body["secret_type"], "certificate");
        assert_eq!(body["payload_content_type"], "application/octet-stream");
        assert_eq!(body["payload_content_encoding"], "base64");
        assert!(body.get("expiration").is_none());
        let payload = base64::engine::general_purpose::STANDARD
            .decode(body["payload"].as_str().expect("payload"))
            .expect("base64");
        assert_eq!(payload, PEM);

        let with_expiry = barbican()
            .store_certificate("c", PEM, Some("2027-01-01T00:00:00"))
            .expect("request");
        assert_eq!(json_body(&with_expiry)["expiration"], "2027-01-01T00:00:00");
    }

    #[test]
    fn store_refuses_der_and_garbage() {
        let der = [0x30, 0x82, 0x01, 0x0a, 0x02];
        let error = barbican()
            .store_certificate("c", &der, None)
            .expect_err("DER");
        assert!(error.to_string().contains("DER"), "{error}");
        assert!(barbican().store_certificate("c", b"", None).is_err());
        assert!(barbican()
            .store_certificate(
                "c",
                b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                None
            )
            .is_err());
        assert!(barbican().store_certificate(" ", PEM, None).is_err());
    }

    #[test]
    fn parse_store_answer() {
        let response = Response::new(
            201,
            vec![(
                "Location".into(),
                format!("http://127.0.0.1:9311/v1/secrets/{UUID}"),
            )],
            include_bytes!("../tests/fixtures/barbican_secret_ref.json").to_vec(),
        );
        assert_eq!(parse_secret_ref(&response), Ok(UUID.to_owned()));
        let bad = ok(r#"{"secret_ref": "http://127.0.0.1:9311/v1/containers/x"}"#);
        assert_eq!(
            parse_secret_ref(&bad).map_err(|e| e.kind()),
            Err(crate::ErrorKind::InvalidResponse)
        );
        assert!(parse_secret_ref(&ok("{}")).is_err());
    }

    #[test]
    fn secret_uuid_forms() {
        assert_eq!(
            secret_uuid(&format!("http://h:9311/v1/secrets/{UUID}")),
            Some(UUID)
        );
        assert_eq!(
            secret_uuid(&format!("http://h:9311/v1/secrets/{UUID}/")),
            Some(UUID)
        );
        assert_eq!(secret_uuid("http://h:9311/v1/secrets/"), None);
        assert_eq!(secret_uuid("http://h:9311/v1/secrets/<script>"), None);
        assert_eq!(secret_uuid(""), None);
    }

    #[test]
    fn list_certificates_and_paging() {
        let request = barbican().list_certificates(2, 0);
        assert_eq!(
            request.url,
            "http://127.0.0.1:9311/v1/secrets?secret_type=certificate&limit=2&offset=0"
        );
        assert_eq!(request.method, Method::Get);
        let page = parse_secret_list(&ok(include_str!(
            "../tests/fixtures/barbican_secret_list.json"
        )))
        .expect("page");
        assert_eq!(page.secrets.len(), 2);
        assert_eq!(page.total, Some(3));
        assert_eq!(page.next_offset(), Some(2));
        assert_eq!(page.secrets[0].uuid(), Some(UUID));
        assert_eq!(page.secrets[0].name.as_deref(), Some("glance signing cert"));
        assert_eq!(page.secrets[1].default_content_type(), Some("text/plain"));
        let last = parse_secret_list(&ok(r#"{"secrets": [], "total": 3}"#)).expect("last");
        assert_eq!(last.next_offset(), None);
    }

    #[test]
    fn secret_metadata() {
        let request = barbican().secret(UUID);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9311/v1/secrets/{UUID}")
        );
        let metadata = parse_secret(&ok(include_str!(
            "../tests/fixtures/barbican_secret_metadata.json"
        )))
        .expect("metadata");
        assert_eq!(metadata.uuid(), Some(UUID));
        assert_eq!(metadata.secret_type.as_deref(), Some("certificate"));
        assert_eq!(
            metadata.default_content_type(),
            Some("application/octet-stream")
        );
        assert_eq!(metadata.status.as_deref(), Some("ACTIVE"));
        assert_eq!(
            metadata.creator_id.as_deref(),
            Some("5f2a4c3e1b0d4e6f8a9b0c1d2e3f4a5b")
        );
        assert_eq!(metadata.expiration, None);
        assert!(check_certificate_secret(&metadata, Some(PEM), None).is_empty());
    }

    #[test]
    fn payload_request_and_answer() {
        let request = barbican().payload(UUID);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9311/v1/secrets/{UUID}/payload")
        );
        assert_eq!(request.header("accept"), Some("application/octet-stream"));
        let response = Response::new(200, Vec::new(), PEM.to_vec());
        assert_eq!(parse_payload(&response), Ok(PEM));
        let wrong = Response::new(
            406,
            Vec::new(),
            br#"{"code": 406, "title": "Not Acceptable", "description": "Wrong payload content-type"}"#
                .to_vec(),
        );
        let error = parse_payload(&wrong).expect_err("406");
        assert_eq!(error.server_message(), Some("Wrong payload content-type"));
    }

    #[test]
    fn acl_requests_and_answers() {
        let request = barbican().set_acl(
            UUID,
            &ReadAcl {
                users: vec!["7a8b9c".into()],
                project_access: true,
            },
        );
        assert_eq!(request.method, Method::Put);
        assert_eq!(
            request.url,
            format!("http://127.0.0.1:9311/v1/secrets/{UUID}/acl")
        );
        assert_eq!(
            json_body(&request),
            json!({"read": {"users": ["7a8b9c"], "project-access": true}})
        );
        let acl_ref = format!("http://127.0.0.1:9311/v1/secrets/{UUID}/acl");
        assert_eq!(
            parse_acl_ref(&ok(&format!(r#"{{"acl_ref": "{acl_ref}"}}"#))),
            Ok(acl_ref)
        );
        let acl = parse_acl(&ok(include_str!("../tests/fixtures/barbican_acl.json"))).expect("acl");
        assert_eq!(
            acl,
            ReadAcl {
                users: vec![
                    "2d0ee7c681cc4549b6d76769c320d91f".into(),
                    "721e27b8505b499e8ab3b38154705b9e".into()
                ],
                project_access: false
            }
        );
        let default = parse_acl(&ok(r#"{"read": {"project-access": true}}"#)).expect("acl");
        assert!(default.project_access && default.users.is_empty());
        assert!(parse_acl(&ok("{}")).expect("acl").project_access);
        assert_eq!(barbican().acl(UUID).method, Method::Get);
    }

    #[test]
    fn delete_secret() {
        let request = barbican().delete_secret(UUID);
        assert_eq!(request.method, Method::Delete);
        assert_eq!(
            parse_deleted(&Response::new(204, Vec::new(), Vec::new())),
            Ok(())
        );
        assert!(parse_deleted(&Response::new(404, Vec::new(), Vec::new()))
            .expect_err("404")
            .is_not_found());
    }

    fn metadata(secret_type: &str, content_type: Option<&str>) -> SecretMetadata {
        SecretMetadata {
            secret_ref: format!("http://h/v1/secrets/{UUID}"),
            name: None,
            secret_type: Some(secret_type.into()),
            content_types: content_type
                .map(|c| BTreeMap::from([("default".to_owned(), c.to_owned())]))
                .unwrap_or_default(),
            expiration: None,
            status: Some("ACTIVE".into()),
            creator_id: None,
            created: None,
            updated: None,
        }
    }

    #[test]
    fn castellan_check_finds_each_wrong_form() {
        let good = metadata("certificate", Some("application/octet-stream"));
        assert!(check_certificate_secret(&good, None, None).is_empty());

        let text = metadata("certificate", Some("text/plain"));
        let problems = check_certificate_secret(&text, Some(PEM), None);
        assert_eq!(
            problems,
            vec![SecretProblem::WrongContentType {
                content_type: "text/plain".into()
            }]
        );
        assert!(problems[0].fix().contains("application/octet-stream"));

        let der = check_certificate_secret(&good, Some(&[0x30, 0x82, 0x03]), None);
        assert_eq!(
            der,
            vec![SecretProblem::PayloadNotPem {
                format: PayloadFormat::Der
            }]
        );
        assert!(der[0].fix().contains("openssl x509 -inform DER"));
        assert_eq!(der[0].to_string(), "the payload is DER (binary), not PEM");

        let opaque = check_certificate_secret(&metadata("opaque", None), None, None);
        assert_eq!(
            opaque,
            vec![
                SecretProblem::NotCertificateType {
                    secret_type: "opaque".into()
                },
                SecretProblem::NoPayload
            ]
        );
        assert!(opaque.iter().all(SecretProblem::is_fatal));
    }

    #[test]
    fn castellan_check_expiration_and_status() {
        let mut secret = metadata("certificate", Some("application/octet-stream"));
        secret.expiration = Some("2026-12-31T00:00:00".into());
        let at = crate::time::unix_seconds("2026-12-31T00:00:00").expect("time");
        let future = check_certificate_secret(&secret, Some(PEM), Some(at - 1));
        assert_eq!(future.len(), 1);
        assert!(!future[0].is_fatal());
        let past = check_certificate_secret(&secret, Some(PEM), Some(at));
        assert!(past[0].is_fatal());
        assert!(past[0].to_string().contains("expired"));
        let unknown = check_certificate_secret(&secret, Some(PEM), None);
        assert!(!unknown[0].is_fatal());

        secret.status = Some("ERROR".into());
        let problems = check_certificate_secret(&secret, None, Some(at - 1));
        assert_eq!(
            problems[0],
            SecretProblem::NotActive {
                status: "ERROR".into()
            }
        );
        assert!(!problems[1].is_fatal(), "warnings sort last");
    }

    #[test]
    fn payload_formats() {
        assert_eq!(PayloadFormat::of(PEM), PayloadFormat::PemCertificate);
        assert_eq!(PayloadFormat::of(b"  \n"), PayloadFormat::Empty);
        assert_eq!(PayloadFormat::of(&[0x30, 0x01]), PayloadFormat::Der);
        assert_eq!(
            PayloadFormat::of(b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
            PayloadFormat::OtherPem("PRIVATE KEY".into())
        );
        assert_eq!(PayloadFormat::of(b"hello"), PayloadFormat::Unknown);
        assert_eq!(PayloadFormat::of(&[0xff; 4096]), PayloadFormat::Unknown);
    }
}
