//! Assembling a report from the verdicts: the checks in cursive's order, the trust section.

use super::{
    CertificateSection, ChainSection, Check, CodeMessage, ErrorSection, Report, TrustSection,
};
use crate::certificate::Certificate;
use crate::chain::ChainVerdict;
use crate::explain::Diagnosis;
use crate::note::Note;
use crate::properties::PropertyError;
use crate::rejection::Rejection;
use crate::time::rfc3339;
use crate::verify::SignatureVerdict;

const CHECKS: [(&str, &str); 7] = [
    (
        "properties-present",
        "all four img_signature* properties are present",
    ),
    ("base64", "img_signature is base64, as cursive reads it"),
    (
        "hash-method",
        "img_signature_hash_method is one cursive accepts",
    ),
    (
        "key-type",
        "img_signature_key_type is one today's clouds accept",
    ),
    (
        "key-class",
        "the certificate's key is of the class the key type requires",
    ),
    ("signature-present", "img_signature is not empty"),
    (
        "signature",
        "the signature verifies over the image data with the certificate's key",
    ),
];

fn failed_stage(r: &Rejection) -> usize {
    match r {
        Rejection::MissingProperty { .. } => 0,
        Rejection::InvalidBase64(_) => 1,
        Rejection::Property(PropertyError::InvalidHashMethod { .. }) => 2,
        Rejection::Property(_) => 3,
        Rejection::PublicKeyTypeMismatch { .. } => 4,
        Rejection::EmptySignature => 5,
        Rejection::UnsupportedCurve { .. } | Rejection::SignatureMismatch => 6,
    }
}

fn check(name: &str, passed: bool, description: &str) -> Check {
    Check {
        name: name.to_owned(),
        passed,
        description: description.to_owned(),
    }
}

/// The signature checks made, in cursive's order, as far as they went.
fn signature_checks(signature: &SignatureVerdict) -> Vec<Check> {
    let stages = match &signature.rejection {
        None => CHECKS.len(),
        Some(r) => failed_stage(r) + 1,
    };
    CHECKS[..stages]
        .iter()
        .enumerate()
        .map(|(i, (name, description))| {
            check(
                name,
                signature.rejection.is_none() || i + 1 < stages,
                description,
            )
        })
        .collect()
}

/// Who signed, in plain words: what a valid signature proves, and whether a trusted
/// certificate vouches for its certificate.
fn trust(valid: bool, cert: Option<&Certificate>, chain: Option<&ChainVerdict>) -> TrustSection {
    let section = |established, code: &str, message: String| TrustSection {
        established,
        code: code.to_owned(),
        message,
    };
    let Some(cert) = cert.filter(|_| valid) else {
        return section(
            false,
            "signature-not-valid",
            "nothing is proven about who signed: the signature is not valid".to_owned(),
        );
    };
    let who = format!(
        "{} (SHA-256 fingerprint {})",
        cert.subject(),
        cert.fingerprint_sha256()
    );
    match chain {
        None => section(
            false,
            "no-trust-anchor",
            format!(
                "authenticity NOT established: the image was signed with the key of certificate {who}, but no trusted certificate was given, and anyone can make a certificate with any name; give the CA that issued it (or the certificate itself) as a trusted certificate to establish who signed"
            ),
        ),
        Some(c) if c.valid => section(
            true,
            "chains-to-anchor",
            format!(
                "signed by {who}, which chains to the trusted certificate {} as Nova validates it",
                c.path.last().map_or("?", String::as_str)
            ),
        ),
        Some(c) => section(
            false,
            "not-anchored",
            format!(
                "authenticity NOT established: certificate {who} does not chain to a trusted certificate: {}",
                c.error.as_ref().map_or_else(String::new, ToString::to_string)
            ),
        ),
    }
}

impl Report {
    /// Assembles a report from the verdicts. `cert` is the certificate the signature was
    /// checked with, `chain` the validation against the trusted certificates (`None` when none
    /// were given), `warnings` the remarks beyond the signature's own.
    pub fn new(
        signature: SignatureVerdict,
        cert: Option<&Certificate>,
        chain: Option<ChainVerdict>,
        diagnosis: &[Diagnosis],
        at: i64,
        mut warnings: Vec<Note>,
    ) -> Self {
        let mut checks = signature_checks(&signature);
        checks.extend(chain.as_ref().map(|c| {
            check(
                "chain",
                c.valid,
                "the certificate chains to a trusted certificate, as Nova validates it",
            )
        }));
        let valid = signature.signature.valid && chain.as_ref().is_none_or(|c| c.valid);
        let trust = trust(signature.signature.valid, cert, chain.as_ref());
        let mut all_warnings = signature.warnings;
        all_warnings.append(&mut warnings);
        Report {
            valid,
            at: rfc3339(at),
            error: signature.rejection.as_ref().map(|r| ErrorSection {
                code: r.code().to_owned(),
                message: r.to_string(),
                cursive_message: r.cursive_message(),
                // The cause's fix when the explanation pass found one: the refusal alone only
                // knows the signature does not match.
                fix: diagnosis.first().map_or_else(|| r.fix(), Diagnosis::fix),
            }),
            signature: signature.signature,
            certificate: cert.map(|c| CertificateSection {
                subject: c.subject(),
                issuer: c.issuer(),
                fingerprint_sha256: c.fingerprint_sha256(),
                not_before: rfc3339(c.not_before()),
                not_after: rfc3339(c.not_after()),
                key: c.public_key().describe().to_string(),
            }),
            trust,
            chain: chain.map(|c| ChainSection {
                valid: c.valid,
                path: c.path,
                error: c.error.map(|e| CodeMessage {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                    cursive_message: e.cursive_message(),
                }),
                skipped_trusted: c.skipped_trusted,
            }),
            diagnosis: diagnosis
                .iter()
                .map(|d| Note::new(d.code(), d.message()))
                .collect(),
            warnings: all_warnings,
            checks,
        }
    }
}
