//! The verification report: one stable shape for the CLI's `--json`, the WASI component and
//! the portal, built from the verdicts.

use serde::Serialize;

use crate::chain::{ChainVerdict, SkippedTrust};
use crate::error::{PropertyError, Rejection};
use crate::explain::Diagnosis;
use crate::properties::{HashMethod, KeyType};
use crate::verify::{Note, PssReport, SignatureVerdict};

/// Everything a verification found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The signature is valid, and so is the chain when one was asked for.
    pub valid: bool,
    /// The image signature.
    pub signature: SignatureSection,
    /// Nova-style chain validation, when trusted certificates were given.
    pub chain: Option<ChainSection>,
    /// Why the signature is refused.
    pub error: Option<ErrorSection>,
    /// Likely causes of a failure.
    pub diagnosis: Vec<Diagnosis>,
    /// Remarks that do not change the verdict.
    pub warnings: Vec<Note>,
    /// The checks made, in cursive's order, as far as they went.
    pub checks: Vec<Check>,
}

/// The image signature part of a report.
#[derive(Debug, Clone, Serialize)]
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

/// The chain part of a report.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct CodeMessage {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// What cursive says.
    pub cursive_message: String,
}

/// Why a signature is refused.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorSection {
    /// Stable machine-readable code.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// What cursive (and so Glance's 400 answer) says.
    pub cursive_message: String,
    /// How to fix it.
    pub fix: String,
}

/// One check and its result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable name.
    pub name: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// For people.
    pub description: &'static str,
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

/// The signature checks made, in cursive's order, as far as they went.
pub fn signature_checks(signature: &SignatureVerdict) -> Vec<Check> {
    let stages = match &signature.rejection {
        None => CHECKS.len(),
        Some(r) => failed_stage(r) + 1,
    };
    CHECKS[..stages]
        .iter()
        .enumerate()
        .map(|(i, (name, description))| Check {
            name,
            passed: signature.rejection.is_none() || i + 1 < stages,
            description,
        })
        .collect()
}

/// The check Nova-style chain validation adds to a report.
pub fn chain_check(chain: &ChainVerdict) -> Check {
    Check {
        name: "chain",
        passed: chain.valid,
        description: "the certificate chains to a trusted certificate, as Nova validates it",
    }
}

impl Report {
    /// Assembles a report.
    pub fn new(
        signature: SignatureVerdict,
        chain: Option<ChainVerdict>,
        diagnosis: Vec<Diagnosis>,
    ) -> Self {
        let mut checks = signature_checks(&signature);
        checks.extend(chain.as_ref().map(chain_check));
        let valid = signature.valid && chain.as_ref().is_none_or(|c| c.valid);
        Report {
            valid,
            error: signature.rejection.as_ref().map(|r| ErrorSection {
                code: r.code(),
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
            chain: chain.map(|c| ChainSection {
                valid: c.valid,
                path: c.path,
                error: c.error.map(|e| CodeMessage {
                    code: e.code(),
                    message: e.to_string(),
                    cursive_message: e.cursive_message(),
                }),
                skipped_trusted: c.skipped_trusted,
            }),
            diagnosis,
            warnings: signature.warnings,
            checks,
        }
    }
}
