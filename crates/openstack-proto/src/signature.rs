//! The four image-signature properties, and whether an image carries none, some, or all of them.
//!
//! Glance verifies image data only when all four are present; with some of them it stores the
//! data unverified and says nothing, and Nova with `verify_glance_signatures` later refuses to
//! boot the image. This module only looks at which properties are there: reading their values
//! (hash names, key types, base64) is `glance-sig-core`'s job.

use std::fmt;

/// `img_signature`: base64 of the signature bytes.
pub const SIGNATURE: &str = "img_signature";
/// `img_signature_hash_method`: `SHA-224`, `SHA-256`, `SHA-384` or `SHA-512`.
pub const HASH_METHOD: &str = "img_signature_hash_method";
/// `img_signature_key_type`: `RSA-PSS`, `DSA`, `ECC_SECP384R1` or `ECC_SECP521R1`.
pub const KEY_TYPE: &str = "img_signature_key_type";
/// `img_signature_certificate_uuid`: the Barbican secret holding the signing certificate.
pub const CERTIFICATE_UUID: &str = "img_signature_certificate_uuid";

/// One of the four signature properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureProperty {
    /// `img_signature`.
    Signature,
    /// `img_signature_hash_method`.
    HashMethod,
    /// `img_signature_key_type`.
    KeyType,
    /// `img_signature_certificate_uuid`.
    CertificateUuid,
}

impl SignatureProperty {
    /// All four, in the order above.
    pub const ALL: [Self; 4] = [
        Self::Signature,
        Self::HashMethod,
        Self::KeyType,
        Self::CertificateUuid,
    ];

    /// The property name (`img_signature`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Signature => SIGNATURE,
            Self::HashMethod => HASH_METHOD,
            Self::KeyType => KEY_TYPE,
            Self::CertificateUuid => CERTIFICATE_UUID,
        }
    }
}

impl fmt::Display for SignatureProperty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The values of the four properties, as stored (not checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureProperties {
    /// `img_signature`.
    pub signature: String,
    /// `img_signature_hash_method`.
    pub hash_method: String,
    /// `img_signature_key_type`.
    pub key_type: String,
    /// `img_signature_certificate_uuid`.
    pub certificate_uuid: String,
}

impl SignatureProperties {
    /// The four as (name, value) pairs, for an image create request.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (SIGNATURE, &self.signature),
            (HASH_METHOD, &self.hash_method),
            (KEY_TYPE, &self.key_type),
            (CERTIFICATE_UUID, &self.certificate_uuid),
        ]
    }
}

/// How much of the signature an image carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningState {
    /// None of the four properties: Glance and Cinder accept it, Nova with signature
    /// verification refuses to boot it.
    Unsigned,
    /// Some but not all: Glance stored the data without verifying anything.
    Partial {
        /// The properties present.
        present: Vec<SignatureProperty>,
        /// The properties missing.
        missing: Vec<SignatureProperty>,
    },
    /// All four present (Glance verified the data at upload, unless they were added later).
    Signed(SignatureProperties),
}

impl SigningState {
    /// Classifies an image's properties (any map or list of name/value pairs; other properties
    /// are ignored). A property counts as present whatever its value, even empty, as in cursive.
    pub fn of<I, K, V>(properties: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: [Option<String>; 4] = Default::default();
        for (key, value) in properties {
            if let Some(index) = SignatureProperty::ALL
                .iter()
                .position(|property| property.name() == key.as_ref())
            {
                values[index] = Some(value.as_ref().to_owned());
            }
        }
        match values {
            [Some(signature), Some(hash_method), Some(key_type), Some(certificate_uuid)] => {
                Self::Signed(SignatureProperties {
                    signature,
                    hash_method,
                    key_type,
                    certificate_uuid,
                })
            }
            [None, None, None, None] => Self::Unsigned,
            values => {
                let (present, missing): (Vec<_>, Vec<_>) = SignatureProperty::ALL
                    .iter()
                    .zip(values.iter())
                    .partition(|(_, value)| value.is_some());
                Self::Partial {
                    present: present.into_iter().map(|(property, _)| *property).collect(),
                    missing: missing.into_iter().map(|(property, _)| *property).collect(),
                }
            }
        }
    }

    /// Whether all four are present.
    pub fn is_signed(&self) -> bool {
        matches!(self, Self::Signed(_))
    }
}

impl fmt::Display for SigningState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsigned => f.write_str("unsigned (no signature properties)"),
            Self::Partial { missing, .. } => {
                let names: Vec<&str> = missing.iter().map(|p| p.name()).collect();
                write!(
                    f,
                    "partially signed: missing {} (Glance verified nothing)",
                    names.join(", ")
                )
            }
            Self::Signed(_) => f.write_str("signed (all four signature properties present)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn unsigned() {
        let state = SigningState::of(&props(&[("os_distro", "ubuntu"), ("hw_disk_bus", "scsi")]));
        assert_eq!(state, SigningState::Unsigned);
        assert!(!state.is_signed());
        assert_eq!(
            SigningState::of(Vec::<(String, String)>::new()),
            SigningState::Unsigned
        );
    }

    #[test]
    fn partial_lists_missing() {
        let state = SigningState::of(&props(&[
            (SIGNATURE, "MEUCIQ=="),
            (HASH_METHOD, "SHA-256"),
            (KEY_TYPE, "ECC_SECP384R1"),
        ]));
        assert_eq!(
            state,
            SigningState::Partial {
                present: vec![
                    SignatureProperty::Signature,
                    SignatureProperty::HashMethod,
                    SignatureProperty::KeyType
                ],
                missing: vec![SignatureProperty::CertificateUuid],
            }
        );
        assert_eq!(
            state.to_string(),
            "partially signed: missing img_signature_certificate_uuid (Glance verified nothing)"
        );
    }

    #[test]
    fn signed_keeps_values_and_empty_counts_as_present() {
        let map: HashMap<&str, &str> = HashMap::from([
            (SIGNATURE, ""),
            (HASH_METHOD, "SHA-384"),
            (KEY_TYPE, "RSA-PSS"),
            (CERTIFICATE_UUID, "0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11"),
            ("os_distro", "cirros"),
        ]);
        let SigningState::Signed(values) = SigningState::of(map) else {
            panic!("expected signed");
        };
        assert_eq!(values.signature, "");
        assert_eq!(values.key_type, "RSA-PSS");
        assert_eq!(
            values.pairs()[3],
            (CERTIFICATE_UUID, "0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11")
        );
    }

    #[test]
    fn names_are_exact() {
        // Case matters: Glance properties are case-sensitive.
        let state = SigningState::of(&props(&[("IMG_SIGNATURE", "x")]));
        assert_eq!(state, SigningState::Unsigned);
        assert_eq!(
            SignatureProperty::ALL.map(SignatureProperty::name),
            [SIGNATURE, HASH_METHOD, KEY_TYPE, CERTIFICATE_UUID]
        );
    }
}
