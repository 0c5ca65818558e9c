//! Finding a certificate secret identical to one about to be stored, so that storing the same
//! certificate twice reuses the first secret (sans-IO: the caller sends the requests and says
//! whether a payload is the same certificate, which needs a certificate parser).

use crate::barbican::{check_certificate_secret, parse_payload, Barbican, SecretMetadata};
use crate::http::{Request, Response};

/// Barbican allows 255 characters in a secret name.
const NAME_LIMIT: usize = 255;

/// The name a certificate secret is stored under: `glance-sig <subject> <fingerprint prefix>`
/// (16 hex digits of its SHA-256 fingerprint), within Barbican's limit. The search below looks
/// at secrets of this name first.
pub fn certificate_secret_name(subject: &str, fingerprint_sha256: &str) -> String {
    let fingerprint: String = fingerprint_sha256
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect();
    let name = format!("glance-sig {subject} {fingerprint}");
    if name.len() <= NAME_LIMIT {
        return name;
    }
    let subject: String = subject.chars().take(NAME_LIMIT - 40).collect();
    format!("glance-sig {subject}... {fingerprint}")
}

/// The candidates, in the order worth reading: `Reuse::new` with the listed secrets, then
/// [`Reuse::next`] for each payload request and [`Reuse::answer`] with its response, until
/// one matches or `next` gives `None` (store a new secret then).
#[derive(Debug)]
pub struct Reuse {
    candidates: Vec<String>,
    next: usize,
    now: i64,
}

impl Reuse {
    /// From every listed certificate secret: only those castellan reads and that never
    /// expire are worth reusing; those named `preferred` (see [`certificate_secret_name`])
    /// come first, so the usual case costs one payload read. `now`: Unix seconds.
    pub fn new(
        listed: impl IntoIterator<Item = SecretMetadata>,
        preferred: &str,
        now: i64,
    ) -> Self {
        let mut usable: Vec<SecretMetadata> = listed
            .into_iter()
            .filter(|m| m.uuid().is_some())
            .filter(|m| check_certificate_secret(m, None, Some(now)).is_empty())
            .collect();
        // A stable sort: the listing's order (newest first, say) is kept within each group.
        usable.sort_by_key(|m| m.name.as_deref() != Some(preferred));
        Self {
            candidates: usable
                .iter()
                .filter_map(|m| m.uuid().map(str::to_owned))
                .collect(),
            next: 0,
            now,
        }
    }

    /// The next candidate's id and its payload request (`Accept: application/octet-stream`).
    pub fn next(&mut self, barbican: &Barbican) -> Option<(String, Request)> {
        let uuid = self.candidates.get(self.next)?.clone();
        self.next += 1;
        let request = barbican.payload(&uuid);
        Some((uuid, request))
    }

    /// Whether the payload answer is a PEM castellan reads and `same` (given the payload's
    /// bytes) says it is the certificate to store. A refused read is no match.
    pub fn answer(&self, response: &Response, same: impl FnOnce(&[u8]) -> bool) -> bool {
        let Ok(payload) = parse_payload(response) else {
            return false;
        };
        let metadata = castellan_reads();
        check_certificate_secret(&metadata, Some(payload), Some(self.now)).is_empty()
            && same(payload)
    }
}

/// Metadata that passes every metadata check, so that only the payload's are judged (the
/// listed metadata was checked in [`Reuse::new`]).
fn castellan_reads() -> SecretMetadata {
    SecretMetadata {
        secret_type: Some("certificate".to_owned()),
        content_types: [("default".to_owned(), "application/octet-stream".to_owned())].into(),
        ..SecretMetadata::default()
    }
}

/// The base64 body of the first PEM `CERTIFICATE` block, whitespace removed: two PEM files
/// hold the same certificate when these are equal (for a caller without a certificate parser).
pub fn pem_certificate_body(pem: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + text[start..].find("-----END CERTIFICATE-----")?;
    Some(
        text[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(uuid: &str, name: &str, expiration: Option<&str>) -> SecretMetadata {
        SecretMetadata {
            secret_ref: format!("http://127.0.0.1:9311/v1/secrets/{uuid}"),
            name: Some(name.to_owned()),
            expiration: expiration.map(str::to_owned),
            status: Some("ACTIVE".to_owned()),
            ..castellan_reads()
        }
    }

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\nAQID\n-----END CERTIFICATE-----\n";

    #[test]
    fn the_named_secret_is_read_first_and_expiring_ones_never() {
        let name = certificate_secret_name("CN=a", "AB:CD:EF:01:23:45:67:89:AB:CD");
        assert_eq!(name, "glance-sig CN=a ABCDEF0123456789");
        let mut reuse = Reuse::new(
            [
                secret("a1", "other", None),
                secret("a2", "expires", Some("2030-01-01T00:00:00")),
                secret("a3", &name, None),
            ],
            &name,
            0,
        );
        let barbican = Barbican::new("http://127.0.0.1:9311", &crate::Secret::new("t"));
        let order: Vec<String> =
            std::iter::from_fn(|| reuse.next(&barbican).map(|(u, _)| u)).collect();
        assert_eq!(order, ["a3", "a1"]);

        let answer = Response::new(200, vec![], PEM.as_bytes().to_vec());
        let body = pem_certificate_body(PEM.replace('\n', "\r\n").as_bytes());
        assert!(reuse.answer(&answer, |payload| pem_certificate_body(payload) == body));
        assert!(!reuse.answer(&answer, |_| false));
        let der = Response::new(200, vec![], vec![0x30, 0x82, 0x01]);
        assert!(
            !reuse.answer(&der, |_| true),
            "castellan cannot read a DER payload"
        );
        assert!(!reuse.answer(&Response::new(404, vec![], Vec::new()), |_| true));
    }

    #[test]
    fn long_subjects_are_cut_within_barbicans_limit() {
        let name = certificate_secret_name(&"x".repeat(400), "ff");
        assert!(
            name.len() <= NAME_LIMIT && name.ends_with("... ff"),
            "{name}"
        );
    }
}
