//! The signing certificate in Barbican, in the one form castellan (and so Glance, Cinder and
//! Nova) reads: `secret_type` certificate, `application/octet-stream`, a PEM payload.

use glance_sig_core::Certificate;
use openstack_proto::barbican::{self, check_certificate_secret, SecretMetadata, SecretProblem};

use super::error::CloudError;
use super::session::Session;

/// Certificate secrets listed per request while looking for an identical one.
const PAGE: u32 = 100;
/// Barbican allows 255 characters in a secret name.
const NAME_LIMIT: usize = 255;

/// A certificate secret as Barbican returned it, and what castellan would make of it.
#[derive(Debug)]
pub struct CertificateSecret {
    /// The secret's id.
    pub uuid: String,
    /// Its metadata.
    pub metadata: SecretMetadata,
    /// The payload read with `Accept: application/octet-stream`; `None` when Barbican would
    /// not return it that way (a `text/plain` secret), or the secret has none.
    pub payload: Option<Vec<u8>>,
    /// Everything castellan would trip over, fatal ones first.
    pub problems: Vec<SecretProblem>,
}

impl CertificateSecret {
    /// Whether castellan can read it now.
    pub fn is_usable(&self) -> bool {
        !self.problems.iter().any(SecretProblem::is_fatal)
    }

    /// The certificate in the payload (PEM or DER: DER is read here so that its dates and key
    /// can still be reported, although castellan cannot read it).
    ///
    /// # Errors
    /// [`CloudError::NotACertificate`] when there is no payload or it is no certificate.
    pub fn certificate(&self) -> Result<Certificate, CloudError> {
        let payload = self
            .payload
            .as_deref()
            .ok_or_else(|| CloudError::NotACertificate {
                uuid: self.uuid.clone(),
                detail: "Barbican returns no application/octet-stream payload".to_owned(),
            })?;
        Certificate::from_pem_or_der(payload).map_err(|e| CloudError::NotACertificate {
            uuid: self.uuid.clone(),
            detail: e.to_string(),
        })
    }
}

/// Reads a certificate secret: metadata, then the payload as castellan asks for it.
///
/// # Errors
/// [`CloudError::CertificateUnavailable`] when Barbican refuses (404 for an unknown, expired or
/// invisible secret, 403 for one the user may not read), [`CloudError::Api`] for other
/// answers, [`CloudError::Transport`].
pub fn read(session: &Session, uuid: &str, now: i64) -> Result<CertificateSecret, CloudError> {
    let barbican = session.barbican()?;
    let doing = format!("reading certificate secret {uuid}");
    let metadata = session
        .call(&doing, &barbican.secret(uuid), barbican::parse_secret)
        .map_err(|e| unavailable(uuid, e))?;
    let payload = if metadata.default_content_type().is_some() {
        let response = session
            .transport()
            .send(&barbican.payload(uuid))
            .map_err(|e| CloudError::transport(&doing, e))?;
        match barbican::parse_payload(&response) {
            Ok(bytes) => Some(bytes.to_vec()),
            // 406 "Wrong payload content-type": stored as text/plain; the metadata check
            // reports that already.
            Err(e) if e.status() == Some(406) => None,
            Err(e) => return Err(CloudError::api(doing, e)),
        }
    } else {
        None
    };
    let problems = check_certificate_secret(&metadata, payload.as_deref(), Some(now));
    Ok(CertificateSecret {
        uuid: uuid.to_owned(),
        metadata,
        payload,
        problems,
    })
}

/// The certificate under `uuid`, refused unless castellan can read it.
///
/// # Errors
/// As [`read`]; [`CloudError::UnusableSecret`] for a secret in the wrong form or expired,
/// [`CloudError::NotACertificate`].
pub fn load_usable(session: &Session, uuid: &str, now: i64) -> Result<Certificate, CloudError> {
    let secret = read(session, uuid, now)?;
    if !secret.is_usable() {
        return Err(CloudError::UnusableSecret {
            uuid: secret.uuid,
            problems: secret.problems,
        });
    }
    for warning in &secret.problems {
        crate::output::render::err_line(&format!(
            "glance-sig: warning: certificate secret {uuid}: {warning}"
        ));
    }
    secret.certificate()
}

/// Where the certificate is in Barbican.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The secret id, for `img_signature_certificate_uuid`.
    pub uuid: String,
    /// Whether this run stored it (else an identical secret was there already).
    pub stored: bool,
}

/// Finds a secret holding exactly this certificate in a form castellan reads (no Barbican
/// expiration either), or stores it as one.
///
/// # Errors
/// [`CloudError::Api`] when Barbican refuses to list or store (403 without the creator role),
/// [`CloudError::Transport`].
pub fn find_or_store(
    session: &Session,
    certificate: &Certificate,
    now: i64,
) -> Result<Placement, CloudError> {
    if let Some(uuid) = find(session, certificate, now)? {
        return Ok(Placement {
            uuid,
            stored: false,
        });
    }
    let barbican = session.barbican()?;
    let request = barbican
        .store_certificate(
            &secret_name(certificate),
            certificate.to_pem().as_bytes(),
            None,
        )
        .map_err(|e| CloudError::api("storing the certificate in Barbican", e))?;
    let uuid = session.call(
        "storing the certificate in Barbican",
        &request,
        barbican::parse_secret_ref,
    )?;
    Ok(Placement { uuid, stored: true })
}

/// A stored secret whose payload is this certificate, if any. Only secrets castellan reads and
/// that never expire are worth reusing; those named by [`secret_name`] for this certificate
/// are compared first, so the usual case costs one payload read.
fn find(
    session: &Session,
    certificate: &Certificate,
    now: i64,
) -> Result<Option<String>, CloudError> {
    let barbican = session.barbican()?;
    let mut candidates: Vec<SecretMetadata> = Vec::new();
    let mut offset = 0;
    loop {
        let page = session.call(
            "listing the certificate secrets in Barbican",
            &barbican.list_certificates(PAGE, offset),
            barbican::parse_secret_list,
        )?;
        let done = page.secrets.is_empty();
        let next = page.next_offset();
        candidates.extend(
            page.secrets
                .into_iter()
                .filter(|m| m.uuid().is_some())
                .filter(|m| check_certificate_secret(m, None, Some(now)).is_empty()),
        );
        match next {
            Some(next) if next > offset && !done => offset = next,
            _ => break,
        }
    }
    let ours = secret_name(certificate);
    candidates.sort_by_key(|m| m.name.as_deref() != Some(ours.as_str()));
    for metadata in &candidates {
        let Some(uuid) = metadata.uuid() else {
            continue;
        };
        let response = session
            .transport()
            .send(&barbican.payload(uuid))
            .map_err(|e| CloudError::transport(format!("reading secret {uuid}"), e))?;
        let Ok(payload) = barbican::parse_payload(&response) else {
            continue;
        };
        let same = check_certificate_secret(metadata, Some(payload), Some(now)).is_empty()
            && Certificate::from_pem_or_der(payload)
                .is_ok_and(|stored| stored.der() == certificate.der());
        if same {
            return Ok(Some(uuid.to_owned()));
        }
    }
    Ok(None)
}

/// `glance-sig <subject> <fingerprint prefix>`, within Barbican's limit.
fn secret_name(certificate: &Certificate) -> String {
    let fingerprint: String = certificate
        .fingerprint_sha256()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect();
    let mut name = format!("glance-sig {} {fingerprint}", certificate.subject());
    if name.len() > NAME_LIMIT {
        let subject: String = certificate
            .subject()
            .chars()
            .take(NAME_LIMIT - 40)
            .collect();
        name = format!("glance-sig {subject}... {fingerprint}");
    }
    name
}

/// Barbican's "no such secret" (404) and "not yours" (403) as [`CloudError::CertificateUnavailable`].
fn unavailable(uuid: &str, error: CloudError) -> CloudError {
    match error {
        CloudError::Api { source, .. } if matches!(source.status(), Some(403 | 404)) => {
            CloudError::CertificateUnavailable {
                uuid: uuid.to_owned(),
                source,
            }
        }
        other => other,
    }
}
