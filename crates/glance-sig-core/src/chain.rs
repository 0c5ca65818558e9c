//! Certificate validation exactly as Nova does it with trusted certificate ids
//! (cursive `certificate_utils.verify_certificate` with every check enforced).
//!
//! Only the trusted certificates can be issuers; each used one must be within its dates and
//! carry CA:TRUE and keyCertSign; the chain must end at a self-signed certificate in the
//! trusted set; path length constraints hold. RSA issuers are checked as PKCS#1 v1.5 only.

use thiserror::Error;

use crate::certificate::Certificate;
use crate::public_key::{verify_certificate_signature, PublicKey};
use crate::report::SkippedTrust;

/// Why Nova would refuse the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The signing certificate is past notAfter.
    #[error("the certificate {subject} expired at {not_after} (checked at {at})")]
    CertificateExpired {
        /// Its subject.
        subject: String,
        /// notAfter, Unix seconds.
        not_after: i64,
        /// The time of the check.
        at: i64,
    },
    /// The signing certificate is before notBefore.
    #[error("the certificate {subject} is not valid before {not_before} (checked at {at})")]
    CertificateNotYetValid {
        /// Its subject.
        subject: String,
        /// notBefore, Unix seconds.
        not_before: i64,
        /// The time of the check.
        at: i64,
    },
    /// No usable trusted certificate issued this one.
    #[error("could not locate the signing certificate for {subject} (issuer {issuer}) in the set of trusted certificates{}", .unusable.as_ref().map(|u| format!(": {u}")).unwrap_or_default())]
    IssuerNotFound {
        /// The certificate whose issuer is missing.
        subject: String,
        /// Whether it is the signing certificate itself (else a trusted one up the chain).
        base: bool,
        /// The issuer name it names.
        issuer: String,
        /// When a trusted certificate would have issued it but Nova skips it as an issuer:
        /// which one, and why (the real cause, which cursive's message hides).
        unusable: Option<UnusableIssuer>,
    },
    /// An issuer in the chain lacks basicConstraints.
    #[error("the signing certificate {subject} has no basic constraints extension")]
    MissingBasicConstraints {
        /// Its subject.
        subject: String,
    },
    /// An issuer's pathLenConstraint is too small for the chain below it.
    #[error("the signing certificate {subject} allows {path_len} intermediate certificate(s) below it, the chain needs {needed}")]
    PathLengthExceeded {
        /// Its subject.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u8,
        /// What the chain needs.
        needed: usize,
    },
    /// A trusted certificate has the issuer's name but a key cursive cannot check certificate
    /// signatures with (Ed25519, Ed448): cursive raises TypeError on it, and Nova fails.
    #[error("the trusted certificate {subject} has the name of the issuer of {issued} but {key}, which cursive cannot check certificate signatures with: it raises TypeError, so Nova fails the boot with that error; take it out of the trusted certificates, or issue with an RSA, EC or DSA CA")]
    IssuerKeyUnsupported {
        /// The trusted certificate.
        subject: String,
        /// The certificate whose issuer was sought.
        issued: String,
        /// Its key, described.
        key: String,
    },
    /// The issuers form a cycle with no self-signed root (cursive would loop forever).
    #[error("the trusted certificates issue each other in a cycle without a self-signed root, at {subject}")]
    ChainLoop {
        /// Where the cycle was seen.
        subject: String,
    },
}

impl ChainError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChainError::CertificateExpired { .. } => "certificate-expired",
            ChainError::CertificateNotYetValid { .. } => "certificate-not-yet-valid",
            ChainError::IssuerNotFound { .. } => "issuer-not-found",
            ChainError::MissingBasicConstraints { .. } => "issuer-missing-basic-constraints",
            ChainError::PathLengthExceeded { .. } => "path-length-exceeded",
            ChainError::ChainLoop { .. } => "chain-loop",
            ChainError::IssuerKeyUnsupported { .. } => "issuer-key-unsupported",
        }
    }

    /// What cursive says.
    pub fn cursive_message(&self) -> String {
        match self {
            ChainError::CertificateExpired { .. } | ChainError::CertificateNotYetValid { .. } => {
                "The certificate is outside its valid date range.".to_owned()
            }
            ChainError::IssuerNotFound { base: true, .. } => {
                "Certificate chain building failed. Could not locate the signing certificate for the base certificate in the set of trusted certificates.".to_owned()
            }
            // cursive's message for a trusted certificate up the chain is only this (an
            // operator-precedence slip in certificate_utils); it names the certificate's id.
            ChainError::IssuerNotFound { subject, base: false, .. } => format!("certificate '{subject}'"),
            ChainError::ChainLoop { .. } => {
                "(cursive loops forever on this chain; Nova never answers)".to_owned()
            }
            ChainError::IssuerKeyUnsupported { subject, .. } => format!(
                "(no message: cursive raises TypeError while checking '{subject}' as the issuer, which Nova does not catch)"
            ),
            ChainError::MissingBasicConstraints { subject } => format!(
                "Certificate validation failed. The signing certificate '{subject}' does not have a basic constraints extension."
            ),
            ChainError::PathLengthExceeded { subject, .. } => format!(
                "Certificate validation failed. The signing certificate '{subject}' is not configured to support certificate chains of sufficient length."
            ),
        }
    }
}

/// A trusted certificate that would issue a certificate of the chain but cannot act as an
/// issuer (Nova skips it): typically the self-signed signing certificate itself, trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableIssuer {
    /// Its subject.
    pub subject: String,
    /// Whether it is the very certificate whose issuer is sought (a self-signed one).
    pub itself: bool,
    /// Why Nova skips it ("key usage lacks keyCertSign", ...).
    pub reason: String,
}

impl std::fmt::Display for UnusableIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.itself {
            "the certificate itself is trusted".to_owned()
        } else {
            format!("the trusted certificate {} would issue it", self.subject)
        };
        write!(
            f,
            "{what}, but Nova uses a trusted certificate only as an issuer, which must be a CA with keyUsage keyCertSign, and skips this one ({}); trust the CA that issued it, or make the certificate with basicConstraints CA:TRUE and keyUsage keyCertSign",
            self.reason
        )
    }
}

/// The outcome of chain validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerdict {
    /// Whether Nova accepts the certificate.
    pub valid: bool,
    /// Subjects from the signing certificate up to the root, as far as built.
    pub path: Vec<String>,
    /// Why not.
    pub error: Option<ChainError>,
    /// Trusted certificates Nova would ignore.
    pub skipped_trusted: Vec<SkippedTrust>,
}

fn within_dates(cert: &Certificate, at: i64) -> bool {
    // Inclusive on both ends, as cursive compares.
    cert.not_before() <= at && at <= cert.not_after()
}

/// The issuer cursive finds for `issued` among `candidates`, in their order: the first whose
/// subject is the issuer's name and whose key verifies the signature. A name match with a
/// key cursive has no verifier for (Ed25519, Ed448) makes cursive raise, whatever follows.
fn find_issuer<'c>(
    candidates: &[&'c Certificate],
    issued: &Certificate,
) -> Result<Option<&'c Certificate>, ChainError> {
    for candidate in candidates.iter().copied() {
        if !issued.issuer_name_is_subject_of(candidate) {
            continue;
        }
        if let PublicKey::Other { .. } = candidate.public_key() {
            return Err(ChainError::IssuerKeyUnsupported {
                subject: candidate.subject(),
                issued: issued.subject(),
                key: candidate.public_key().describe().to_string(),
            });
        }
        if is_issuer(candidate, issued) {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

fn is_issuer(candidate: &Certificate, issued: &Certificate) -> bool {
    if !issued.issuer_name_is_subject_of(candidate) {
        return false;
    }
    issued.signed_content().is_some_and(|(hash, digest, sig)| {
        verify_certificate_signature(candidate.public_key(), hash, &digest, sig)
    })
}

/// Validates `cert` against `trusted` at `at` (Unix seconds), as Nova does.
pub fn validate_chain_like_nova(
    cert: &Certificate,
    trusted: &[Certificate],
    at: i64,
) -> ChainVerdict {
    let mut verdict = ChainVerdict {
        valid: false,
        path: vec![cert.subject()],
        error: None,
        skipped_trusted: Vec::new(),
    };
    let mut issuers: Vec<&Certificate> = Vec::new();
    let mut skipped: Vec<(&Certificate, &str)> = Vec::new();
    for t in trusted {
        let reason = if !within_dates(t, at) {
            Some("outside its valid date range")
        } else {
            match (t.basic_constraints(), t.key_cert_sign()) {
                (None, _) => Some("no basic constraints extension"),
                (_, None) => Some("no key usage extension"),
                (Some(bc), _) if !bc.ca => Some("not a CA (basicConstraints CA:FALSE)"),
                (_, Some(false)) => Some("key usage lacks keyCertSign"),
                _ => None,
            }
        };
        match reason {
            Some(r) => {
                verdict.skipped_trusted.push(SkippedTrust {
                    subject: t.subject(),
                    reason: r.to_owned(),
                });
                skipped.push((t, r));
            }
            None => issuers.push(t),
        }
    }
    if cert.not_before() > at {
        verdict.error = Some(ChainError::CertificateNotYetValid {
            subject: cert.subject(),
            not_before: cert.not_before(),
            at,
        });
        return verdict;
    }
    if cert.not_after() < at {
        verdict.error = Some(ChainError::CertificateExpired {
            subject: cert.subject(),
            not_after: cert.not_after(),
            at,
        });
        return verdict;
    }

    // Chain from the signing certificate upwards; cursive stores it root-first.
    let mut chain: Vec<&Certificate> = vec![cert];
    let mut current = cert;
    loop {
        let found = match find_issuer(&issuers, current) {
            Ok(found) => found,
            Err(e) => {
                verdict.error = Some(e);
                return verdict;
            }
        };
        let Some(issuer) = found else {
            let unusable =
                skipped
                    .iter()
                    .find(|(t, _)| is_issuer(t, current))
                    .map(|(t, reason)| UnusableIssuer {
                        subject: t.subject(),
                        itself: *t == current,
                        reason: (*reason).to_owned(),
                    });
            verdict.error = Some(ChainError::IssuerNotFound {
                base: current == cert,
                subject: current.subject(),
                issuer: current.issuer(),
                unusable,
            });
            return verdict;
        };
        if issuer == current {
            break;
        }
        if chain.len() > issuers.len() {
            verdict.error = Some(ChainError::ChainLoop {
                subject: issuer.subject(),
            });
            return verdict;
        }
        chain.push(issuer);
        verdict.path.push(issuer.subject());
        current = issuer;
    }

    chain.reverse();
    let last = chain.last().copied();
    for (i, c) in chain.iter().enumerate() {
        if Some(*c) == last {
            break;
        }
        let Some(bc) = c.basic_constraints() else {
            verdict.error = Some(ChainError::MissingBasicConstraints {
                subject: c.subject(),
            });
            return verdict;
        };
        let Some(path_len) = bc.path_len else {
            continue;
        };
        let below = chain.len() - i;
        // Neither the certificate itself nor the end certificate count.
        let needed = below.saturating_sub(2);
        if usize::from(path_len) < needed {
            verdict.error = Some(ChainError::PathLengthExceeded {
                subject: c.subject(),
                path_len,
                needed,
            });
            return verdict;
        }
    }
    verdict.valid = true;
    verdict
}
