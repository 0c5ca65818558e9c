//! The verification report: the one shape every door prints. The CLI's `--json` is this
//! value; the WASI component returns it as JSON; the portal renders it. [`Report::text`] is
//! the readable form, so every door says the same words.

use serde::{Deserialize, Serialize};

use crate::certificate::Certificate;
use crate::chain::{ChainVerdict, SkippedTrust};
use crate::error::Rejection;
use crate::explain::Diagnosis;
use crate::note::Note;
use crate::properties::{HashMethod, KeyType, PropertyError};
use crate::time::rfc3339;
use crate::verify::{PssReport, SignatureVerdict};

/// Everything a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The signature is valid, and so is the chain when trusted certificates were given.
    pub valid: bool,
    /// The time the certificates were judged at, RFC 3339.
    pub at: String,
    /// The image signature.
    pub signature: SignatureSection,
    /// The certificate the signature was checked with.
    pub certificate: Option<CertificateSection>,
    /// Who signed, as far as proven.
    pub trust: TrustSection,
    /// Nova-style chain validation, when trusted certificates were given.
    pub chain: Option<ChainSection>,
    /// Why the signature is refused.
    pub error: Option<ErrorSection>,
    /// Likely causes of a failure.
    pub diagnosis: Vec<Note>,
    /// Remarks that do not change the verdict.
    pub warnings: Vec<Note>,
    /// The checks made, in cursive's order, as far as they went.
    pub checks: Vec<Check>,
}

/// The image signature part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSection {
    /// Whether cursive accepts it.
    pub valid: bool,
    /// Parsed key type.
    pub key_type: Option<KeyType>,
    /// Parsed hash method.
    pub hash_method: Option<HashMethod>,
    /// The certificate id as given.
    pub certificate_uuid: Option<String>,
    /// RSA-PSS details.
    pub pss: Option<PssReport>,
}

/// The certificate the data was checked against: what a valid signature proves is that the
/// holder of this certificate's key signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSection {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint_sha256: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// "a 2048-bit RSA key".
    pub key: String,
}

/// Whether the report establishes who signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSection {
    /// The signature is valid and its certificate chains to a trusted certificate.
    pub established: bool,
    /// `chains-to-anchor`, `no-trust-anchor`, `not-anchored` or `signature-not-valid`.
    pub code: String,
    /// For people.
    pub message: String,
}

/// The chain part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSection {
    /// Whether Nova accepts the certificate.
    pub valid: bool,
    /// Subjects, signing certificate first.
    pub path: Vec<String>,
    /// Why not.
    pub error: Option<CodeMessage>,
    /// Trusted certificates Nova ignores, and why.
    pub skipped_trusted: Vec<SkippedTrust>,
}

/// A code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMessage {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
    /// What cursive says.
    pub cursive_message: String,
}

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorSection {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
    /// What cursive (and so Glance's 400 answer) says.
    pub cursive_message: String,
    /// How to fix it.
    pub fix: String,
}

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// For people.
    pub description: String,
}

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
        let valid = signature.valid && chain.as_ref().is_none_or(|c| c.valid);
        let trust = trust(signature.valid, cert, chain.as_ref());
        let mut all_warnings = signature.warnings;
        all_warnings.append(&mut warnings);
        Report {
            valid,
            at: rfc3339(at),
            error: signature.rejection.as_ref().map(|r| ErrorSection {
                code: r.code().to_owned(),
                message: r.to_string(),
                cursive_message: r.cursive_message(),
                fix: r.fix(),
            }),
            signature: SignatureSection {
                valid: signature.valid,
                key_type: signature.key_type,
                hash_method: signature.hash_method,
                certificate_uuid: signature.certificate_uuid,
                pss: signature.pss,
            },
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

    /// Whether a door accepts the image: the signature (and chain) is valid and, when
    /// `require_trust`, a trusted certificate vouches for the signer.
    pub fn accepted(&self, require_trust: bool) -> bool {
        self.valid && (!require_trust || self.trust.established)
    }

    /// The readable verdict, as `glance-sig verify` prints it. Control characters from
    /// certificate names are escaped so a crafted subject cannot rewrite the terminal.
    pub fn text(&self) -> String {
        const OK: &str = "✔";
        const FAIL: &str = "✘";
        const NOTE: &str = "!";
        let mut s = String::new();
        let sig = &self.signature;
        let subject = self
            .certificate
            .as_ref()
            .map_or("(no certificate)", |c| c.subject.as_str());
        if self.valid {
            s += &format!(
                "{OK} Signature valid: {} with {}, certificate {subject}\n",
                sig.key_type.map(|k| k.name()).unwrap_or("?"),
                sig.hash_method.map(|h| h.name()).unwrap_or("?"),
            );
        } else if let Some(e) = &self.error {
            s += &format!("{FAIL} Signature NOT valid: {}\n", e.message);
            s += &format!("  Glance/Nova would answer: {}\n", e.cursive_message);
            s += &format!("  Fix: {}\n", e.fix);
        } else {
            s += &format!(
                "{FAIL} Signature valid, but the certificate chain is NOT valid as Nova judges it\n"
            );
        }
        let mark = if self.trust.established { OK } else { NOTE };
        s += &format!("{mark} Trust: {}\n", self.trust.message);
        if let Some(c) = &self.certificate {
            s += &format!(
                "\nCertificate:\n  subject {}\n  issuer  {}\n  SHA-256 {}\n  valid   {} to {}\n  key     {}\n",
                c.subject, c.issuer, c.fingerprint_sha256, c.not_before, c.not_after, c.key
            );
        }
        s += "\nChecks performed:\n";
        for c in &self.checks {
            s += &format!("  {} {}\n", if c.passed { OK } else { FAIL }, c.description);
        }
        if let Some(salt) = sig.pss.as_ref().and_then(|p| p.salt_length.map(|s| (p, s))) {
            let (pss, salt) = salt;
            s += &format!(
                "\nRSA-PSS salt length: {salt} bytes (maximum {}): {}\n",
                pss.max_salt_length,
                if pss.accepted_by_older_clouds {
                    "every cloud accepts it"
                } else {
                    "clouds on cryptography <= 41 refuse it"
                }
            );
        }
        if let Some(chain) = &self.chain {
            s += &format!(
                "\nCertificate chain, as Nova validates it at {}:\n",
                self.at
            );
            s += &format!("  {}\n", chain.path.join("\n  <- issued by "));
            match &chain.error {
                None => s += &format!("  {OK} chain valid\n"),
                Some(e) => s += &format!("  {FAIL} {}\n", e.message),
            }
            for skipped in &chain.skipped_trusted {
                s += &format!(
                    "  {NOTE} trusted certificate {} cannot issue: {}\n",
                    skipped.subject, skipped.reason
                );
            }
        }
        if !self.diagnosis.is_empty() {
            s += "\nLikely cause:\n";
            for d in &self.diagnosis {
                s += &format!("  - {}\n", d.message);
            }
        }
        if !self.warnings.is_empty() {
            s += "\nWarnings:\n";
            for w in &self.warnings {
                s += &format!("  {NOTE} {}\n", w.message);
            }
        }
        escape_controls(&s)
    }
}

/// Every control character but the line feed, as `\u{..}`.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
