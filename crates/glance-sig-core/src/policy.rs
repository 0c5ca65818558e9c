//! What a cloud makes of a certificate's dates and of an image's signing state, and what to
//! do about it: the advice every door prints, written once.

use serde::{Deserialize, Serialize};

use crate::note::Note;
use crate::properties::{HashMethod, KeyType, SignatureProperties, SigningState};
use crate::rejection::Rejection;
use crate::time::rfc3339;

const DAY: i64 = 86_400;

/// What Glance and Nova do with a certificate outside its dates.
const NOVA_DATES: &str = "Glance does not check dates and accepts the signature, but Nova with trusted certificate validation refuses it";

/// What renewing a certificate means for signed images.
const RENEW: &str = "issue a new certificate for the same key, store it, and point img_signature_certificate_uuid at it (the signature stays valid); or re-sign the image with a new key and certificate";

/// The dates of a certificate as Glance and Nova judge them at `at`, when they matter:
/// Glance checks no dates at all, Nova with trusted-certificate validation refuses a
/// certificate outside them. `None` within the dates.
pub fn certificate_dates(not_before: i64, not_after: i64, at: i64) -> Option<Note> {
    let message = if at > not_after {
        format!(
            "the certificate expired at {}; {NOVA_DATES}",
            rfc3339(not_after)
        )
    } else if at < not_before {
        format!(
            "the certificate is not valid before {}; {NOVA_DATES} until then",
            rfc3339(not_before)
        )
    } else {
        return None;
    };
    Some(Note::new("certificate-outside-validity", message))
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Glance refuses the upload or Nova refuses to boot the image.
    Error,
    /// Accepted today, but fragile or misleading.
    Warning,
    /// Fine.
    Ok,
}

/// One thing found about an image, with its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable machine-readable code.
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// What was found, for people.
    pub message: String,
    /// What to do about it (empty when nothing needs doing).
    pub fix: String,
}

impl Finding {
    fn new(code: &str, severity: Severity, message: String, fix: &str) -> Self {
        Self {
            code: code.to_owned(),
            severity,
            message,
            fix: fix.to_owned(),
        }
    }

    /// A finding that Glance or Nova refuses: `code`, what was found, the fix.
    pub fn error(code: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message.into(), &fix.into())
    }

    /// A finding that works today, fragile or misleading.
    pub fn warning(code: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message.into(), &fix.into())
    }

    /// A refusal cursive would make, as a finding.
    pub fn from_rejection(rejection: &Rejection) -> Self {
        Self::new(
            rejection.code(),
            Severity::Error,
            rejection.to_string(),
            &rejection.fix(),
        )
    }
}

/// A certificate's lifetime at `now` as Nova judges it, for an audit: expired or not yet
/// valid (Nova with trusted certificate validation refuses it; Glance checks no dates), or
/// expiring within `warn_within` seconds.
pub fn certificate_lifetime(
    not_before: i64,
    not_after: i64,
    now: i64,
    warn_within: i64,
) -> Option<Finding> {
    let nova =
        "Glance does not check dates, but Nova with trusted certificate validation refuses it";
    Some(if now > not_after {
        Finding::new(
            "certificate-expired",
            Severity::Error,
            format!(
                "the certificate expired at {}: {NOVA_DATES}",
                rfc3339(not_after)
            ),
            RENEW,
        )
    } else if now < not_before {
        Finding::new(
            "certificate-not-yet-valid",
            Severity::Error,
            format!(
                "the certificate is valid only from {}: {nova}",
                rfc3339(not_before)
            ),
            "check the signer's clock, or wait",
        )
    } else if not_after - now <= warn_within {
        Finding::new(
            "certificate-expiring",
            Severity::Warning,
            format!(
                "the certificate expires at {} (in {} days)",
                rfc3339(not_after),
                (not_after - now) / DAY
            ),
            RENEW,
        )
    } else {
        return None;
    })
}

/// What can be said about the property values without the certificate or the data: each
/// value cursive would refuse.
pub fn property_findings(props: &SignatureProperties) -> Vec<Finding> {
    let mut rejections = Vec::new();
    if let Some(Err(e)) = props
        .signature
        .as_deref()
        .map(crate::base64::decode_lenient)
    {
        rejections.push(Rejection::InvalidBase64(e));
    }
    if let Some(Err(e)) = props.hash_method.as_deref().map(HashMethod::parse) {
        rejections.push(Rejection::Property(e));
    }
    if let Some(Err(e)) = props.key_type.as_deref().map(KeyType::parse) {
        rejections.push(Rejection::Property(e));
    }
    rejections.iter().map(Finding::from_rejection).collect()
}

/// An image Glance holds no data for (queued, saving, killed, deleted...).
pub fn image_status(status: &str) -> Option<Finding> {
    (!matches!(status, "active" | "deactivated")).then(|| {
        Finding::new(
            "no-data",
            Severity::Warning,
            format!("the image is {status} and has no data"),
            "delete it if it is left over from a failed upload (openstack image delete ID)",
        )
    })
}

/// The fix for an unsigned image.
const UNSIGNED_FIX: &str = "upload it signed, with all four img_signature* properties in the create request, so Glance verifies the data (glance-sig upload, or the portal)";

/// The fix for a partial set, the same with or without stored data. Glance verifies only on
/// upload and never again, but the properties stay editable and Nova (verify_glance_signatures)
/// verifies the bytes it downloads at boot: properties set after the upload are checked there,
/// so signing the stored bytes is a real fix, and deleting the image is not needed.
const PARTIAL_FIX: &str = "sign the bytes Glance stores (download them, or use the original file if its checksum matches) with glance-sig sign and set all four img_signature* properties from its output: Glance never verifies again after the upload, but Nova with verify_glance_signatures verifies the data it downloads before boot; before any data is uploaded, put all four in the create request instead (glance-sig upload), so Glance verifies it on upload too";

/// What Glance and Nova do with an image in this signing state, and the fix. `has_data`:
/// whether Glance holds the image's data already (an active image), which changes what is
/// said of the past (the fix is the same: [`ImageVerdict::advice`]).
pub fn signing_state(state: &SigningState, has_data: bool) -> Finding {
    match state {
        SigningState::Unsigned => Finding::new(
            "unsigned",
            Severity::Error,
            "unsigned: Glance stores the data unverified, and Nova with verify_glance_signatures refuses to boot it".to_owned(),
            UNSIGNED_FIX,
        ),
        SigningState::PartiallySigned { missing } => Finding::new(
            "partially-signed",
            Severity::Error,
            format!(
                "partially signed, missing {}: {}, and Nova refuses to boot it",
                missing.join(", "),
                if has_data {
                    "Glance stored the data without verifying anything"
                } else {
                    "Glance skips verification silently"
                }
            ),
            PARTIAL_FIX,
        ),
        SigningState::Signed => Finding::new(
            "signed",
            Severity::Ok,
            "signed: Glance verifies the data on upload, and Nova verifies it before boot".to_owned(),
            "",
        ),
    }
}

/// What is known of an image's signature, in the words of every door (the audit's table,
/// the portal's catalog): the properties alone never prove that the data verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ImageVerdict {
    /// All four properties, and the data downloaded here verifies with the certificate.
    Verified,
    /// All four properties, nothing refused, the data not downloaded and checked here.
    SignedUnchecked,
    /// Signed, but Glance or Nova refuses it: a property value, the certificate, or the data.
    SignatureFails,
    /// Some of the four properties.
    PartiallySigned,
    /// None of the four.
    Unsigned,
}

impl ImageVerdict {
    /// Every kind, in the order a report lists them.
    pub const ALL: [ImageVerdict; 5] = [
        Self::Verified,
        Self::SignedUnchecked,
        Self::SignatureFails,
        Self::PartiallySigned,
        Self::Unsigned,
    ];

    /// The verdict of an image in `state`: `refused` when a check found something Glance or
    /// Nova refuses, `data_verified` whether its data was downloaded and checked (`None`: not).
    pub fn of(state: &SigningState, refused: bool, data_verified: Option<bool>) -> Self {
        match (state, refused, data_verified) {
            (SigningState::Unsigned, ..) => Self::Unsigned,
            (SigningState::PartiallySigned { .. }, ..) => Self::PartiallySigned,
            (SigningState::Signed, true, _) | (SigningState::Signed, _, Some(false)) => {
                Self::SignatureFails
            }
            (SigningState::Signed, false, Some(true)) => Self::Verified,
            (SigningState::Signed, false, None) => Self::SignedUnchecked,
        }
    }

    /// Its name: "signed, data not checked here", "signature fails"... (a verified image also
    /// says when: [`ImageVerdict::label_at`]).
    pub fn label(self) -> &'static str {
        match self {
            Self::Verified => "verified here",
            Self::SignedUnchecked => "signed, data not checked here",
            Self::SignatureFails => "signature fails",
            Self::PartiallySigned => "partially signed",
            Self::Unsigned => "unsigned",
        }
    }

    /// Its name with the time of the check, for a verified image: "verified here at TIME".
    pub fn label_at(self, at: i64) -> String {
        match self {
            Self::Verified => format!("{} at {}", self.label(), rfc3339(at)),
            other => other.label().to_owned(),
        }
    }

    /// What it means and what to do, said once for all the images of this kind.
    pub fn advice(self) -> String {
        match self {
            Self::Verified => "the data Glance holds verifies with the certificate the image names, as Nova checks it before boot; who signed is established only against a trusted certificate (glance-sig verify --image-id ID --trusted CA)".to_owned(),
            Self::SignedUnchecked => "all four properties are set and nothing refuses them, but having the properties is not having data that verifies: Glance checked the data only if they were there at upload, and the properties stay editable; check the data as Nova will before boot with glance-sig audit --verify (or Verify in the portal)".to_owned(),
            Self::SignatureFails => "Glance refuses such data on upload, and Nova with verify_glance_signatures refuses to boot it: each image's findings say why and what to change".to_owned(),
            Self::PartiallySigned => format!("Glance skips verification of a partial set silently, and Nova with verify_glance_signatures refuses to boot it; fix: {PARTIAL_FIX}"),
            Self::Unsigned => format!("Glance stores the data unverified, and Nova with verify_glance_signatures refuses to boot it; fix: {UNSIGNED_FIX}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_say_which_bound_and_who_cares() {
        assert_eq!(certificate_dates(10, 20, 15), None);
        assert_eq!(certificate_dates(10, 20, 10), None);
        assert_eq!(certificate_dates(10, 20, 20), None);
        let expired = certificate_dates(0, 20, 21).expect("expired");
        assert!(expired.message.contains("expired at 1970-01-01T00:00:20Z"));
        assert!(expired.message.contains("Nova"));
        let early = certificate_dates(30, 40, 0).expect("not yet valid");
        assert!(early
            .message
            .contains("not valid before 1970-01-01T00:00:30Z"));
    }

    #[test]
    fn lifetimes_and_values_an_audit_reports() {
        let day = 86_400;
        assert_eq!(certificate_lifetime(0, 100 * day, 10 * day, 30 * day), None);
        let expiring = certificate_lifetime(0, 100 * day, 80 * day, 30 * day).expect("soon");
        assert_eq!(
            (expiring.code.as_str(), expiring.severity),
            ("certificate-expiring", Severity::Warning)
        );
        assert!(expiring.message.contains("in 20 days"));
        let expired = certificate_lifetime(0, day, 2 * day, 0).expect("expired");
        assert_eq!(
            (expired.code.as_str(), expired.severity),
            ("certificate-expired", Severity::Error)
        );
        let props = SignatureProperties {
            signature: Some("A".into()),
            hash_method: Some("sha256".into()),
            key_type: Some("RSA-PSS".into()),
            certificate_uuid: None,
        };
        let codes: Vec<_> = property_findings(&props)
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, ["invalid-base64", "invalid-hash-method"]);
        assert_eq!(image_status("active"), None);
        assert_eq!(
            image_status("queued").map(|f| f.code),
            Some("no-data".to_owned())
        );
    }

    #[test]
    fn partial_advice_is_one_text() {
        let state = SigningState::PartiallySigned {
            missing: vec!["img_signature"],
        };
        let stored = signing_state(&state, true);
        let empty = signing_state(&state, false);
        assert_eq!(stored.code, "partially-signed");
        assert!(stored.message.contains("missing img_signature"));
        // One fix, with or without data: Nova verifies properties set after the upload.
        assert_eq!(stored.fix, empty.fix);
        assert!(stored
            .fix
            .contains("Nova with verify_glance_signatures verifies"));
        assert!(ImageVerdict::PartiallySigned.advice().contains(&stored.fix));
        assert_eq!(
            signing_state(&SigningState::Signed, true).severity,
            Severity::Ok
        );
    }

    #[test]
    fn properties_alone_are_not_verified_data() {
        let signed = SigningState::Signed;
        assert_eq!(
            ImageVerdict::of(&signed, false, None),
            ImageVerdict::SignedUnchecked
        );
        assert_eq!(
            ImageVerdict::of(&signed, false, Some(true)),
            ImageVerdict::Verified
        );
        assert_eq!(
            ImageVerdict::of(&signed, false, Some(false)),
            ImageVerdict::SignatureFails
        );
        assert_eq!(
            ImageVerdict::of(&signed, true, None),
            ImageVerdict::SignatureFails
        );
        assert_eq!(
            ImageVerdict::Verified.label_at(0),
            "verified here at 1970-01-01T00:00:00Z"
        );
        assert!(ImageVerdict::SignedUnchecked
            .advice()
            .contains("glance-sig audit --verify"));
    }
}
