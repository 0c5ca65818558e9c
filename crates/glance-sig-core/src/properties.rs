//! The four Glance image properties and their values, parsed once into types.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use thiserror::Error;

/// Base64 of the raw signature bytes.
pub const IMG_SIGNATURE: &str = "img_signature";
/// `SHA-224`, `SHA-256`, `SHA-384` or `SHA-512`.
pub const IMG_SIGNATURE_HASH_METHOD: &str = "img_signature_hash_method";
/// `RSA-PSS`, `DSA`, `ECC_SECP384R1` or `ECC_SECP521R1`.
pub const IMG_SIGNATURE_KEY_TYPE: &str = "img_signature_key_type";
/// Id of the Barbican secret holding the signing certificate.
pub const IMG_SIGNATURE_CERTIFICATE_UUID: &str = "img_signature_certificate_uuid";

/// The four property names, in the order they are usually listed.
pub const SIGNATURE_PROPERTY_NAMES: [&str; 4] = [
    IMG_SIGNATURE,
    IMG_SIGNATURE_HASH_METHOD,
    IMG_SIGNATURE_KEY_TYPE,
    IMG_SIGNATURE_CERTIFICATE_UUID,
];

/// Glance stores property values in a TEXT column: 65535 bytes on MySQL.
pub const MAX_PROPERTY_VALUE_LEN: usize = 65_535;

/// `Display`, `FromStr`, `Serialize` and `Deserialize` for a property value type: written and
/// serialized as its exact property value (`name()`), read through its own `parse`, so a string
/// and a JSON document accept and refuse the same values.
macro_rules! property_value_traits {
    ($type:ty) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $type {
            type Err = PropertyError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                Self::parse(&name).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The hash method named by `img_signature_hash_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashMethod {
    /// `SHA-224`
    Sha224,
    /// `SHA-256`
    Sha256,
    /// `SHA-384`
    Sha384,
    /// `SHA-512`
    Sha512,
}

impl HashMethod {
    /// Every hash method cursive accepts.
    pub const ALL: [HashMethod; 4] = [
        HashMethod::Sha224,
        HashMethod::Sha256,
        HashMethod::Sha384,
        HashMethod::Sha512,
    ];

    /// The exact property value (case-sensitive, as cursive compares it).
    pub fn name(self) -> &'static str {
        match self {
            HashMethod::Sha224 => "SHA-224",
            HashMethod::Sha256 => "SHA-256",
            HashMethod::Sha384 => "SHA-384",
            HashMethod::Sha512 => "SHA-512",
        }
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashMethod::Sha224 => 28,
            HashMethod::Sha256 => 32,
            HashMethod::Sha384 => 48,
            HashMethod::Sha512 => 64,
        }
    }

    /// Parses a property value exactly as cursive does.
    ///
    /// # Errors
    /// [`PropertyError::InvalidHashMethod`] for anything but the four exact names; the error
    /// suggests the right spelling when the value is a near miss such as `sha256`.
    pub fn parse(value: &str) -> Result<Self, PropertyError> {
        Self::ALL
            .into_iter()
            .find(|h| h.name() == value)
            .ok_or_else(|| PropertyError::InvalidHashMethod {
                value: value.to_owned(),
                suggestion: Self::ALL
                    .into_iter()
                    .find(|h| normalize(h.name()) == normalize(value)),
            })
    }
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

property_value_traits!(HashMethod);

/// The key type named by `img_signature_key_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `RSA-PSS`: RSASSA-PSS with MGF1 over the same hash.
    RsaPss,
    /// `DSA`
    Dsa,
    /// `ECC_SECP384R1`: ECDSA on NIST P-384.
    EccSecp384r1,
    /// `ECC_SECP521R1`: ECDSA on NIST P-521.
    EccSecp521r1,
}

/// Binary curves cursive once listed; cryptography 47 removed them, so today's clouds reject them.
pub const REMOVED_BINARY_CURVE_KEY_TYPES: [&str; 4] = [
    "ECC_SECT571K1",
    "ECC_SECT409K1",
    "ECC_SECT571R1",
    "ECC_SECT409R1",
];

impl KeyType {
    /// Every key type today's clouds accept.
    pub const ALL: [KeyType; 4] = [
        KeyType::RsaPss,
        KeyType::Dsa,
        KeyType::EccSecp384r1,
        KeyType::EccSecp521r1,
    ];

    /// The exact property value.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::RsaPss => "RSA-PSS",
            KeyType::Dsa => "DSA",
            KeyType::EccSecp384r1 => "ECC_SECP384R1",
            KeyType::EccSecp521r1 => "ECC_SECP521R1",
        }
    }

    /// The class of public key cursive requires in the certificate for this key type.
    pub fn key_class(self) -> KeyClass {
        match self {
            KeyType::RsaPss => KeyClass::Rsa,
            KeyType::Dsa => KeyClass::Dsa,
            KeyType::EccSecp384r1 | KeyType::EccSecp521r1 => KeyClass::Ec,
        }
    }

    /// Parses a property value exactly as cursive (0.3.1, cryptography >= 47) does.
    ///
    /// # Errors
    /// [`PropertyError::BinaryCurveRemoved`] for the `ECC_SECT*` types, and
    /// [`PropertyError::InvalidKeyType`] for anything else that is not one of the four names.
    pub fn parse(value: &str) -> Result<Self, PropertyError> {
        if let Some(kt) = Self::ALL.into_iter().find(|k| k.name() == value) {
            return Ok(kt);
        }
        if REMOVED_BINARY_CURVE_KEY_TYPES.contains(&value) {
            return Err(PropertyError::BinaryCurveRemoved {
                value: value.to_owned(),
            });
        }
        Err(PropertyError::InvalidKeyType {
            value: value.to_owned(),
            suggestion: Self::ALL
                .into_iter()
                .find(|k| normalize(k.name()) == normalize(value)),
        })
    }
}

property_value_traits!(KeyType);

/// The class of a public key, which is all cursive compares with the key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyClass {
    /// An RSA key.
    Rsa,
    /// An elliptic-curve key, whatever the curve.
    Ec,
    /// A DSA key.
    Dsa,
}

impl fmt::Display for KeyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyClass::Rsa => "RSA",
            KeyClass::Ec => "EC",
            KeyClass::Dsa => "DSA",
        })
    }
}

/// The signature properties of an image as stored: raw strings, any of them possibly absent.
///
/// Nothing is validated here: validation happens where cursive does it (see
/// [`crate::Verifier::new`]), so a verdict can name every problem in cursive's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SignatureProperties {
    /// `img_signature`
    pub signature: Option<String>,
    /// `img_signature_hash_method`
    pub hash_method: Option<String>,
    /// `img_signature_key_type`
    pub key_type: Option<String>,
    /// `img_signature_certificate_uuid`
    pub certificate_uuid: Option<String>,
}

impl SigningState {
    /// All four present.
    pub fn is_signed(&self) -> bool {
        matches!(self, Self::Signed)
    }
}

/// How complete an image's signature property set is, as Glance and Nova see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SigningState {
    /// None of the four properties: Glance stores the data unverified; Nova with
    /// `verify_glance_signatures` refuses to boot it.
    Unsigned,
    /// Some but not all: Glance skips verification silently; Nova refuses to boot it.
    PartiallySigned {
        /// The property names that are absent.
        missing: Vec<&'static str>,
    },
    /// All four present: Glance verifies on upload.
    Signed,
}

/// Read back from a report (`glance-sig audit-merge` reads the shards' JSON): a missing name
/// must be one of the four, so that it can be the crate's own `&'static str` again.
impl<'de> Deserialize<'de> for SigningState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "state", rename_all = "kebab-case")]
        enum Shape {
            Unsigned,
            PartiallySigned { missing: Vec<String> },
            Signed,
        }
        Ok(match Shape::deserialize(deserializer)? {
            Shape::Unsigned => SigningState::Unsigned,
            Shape::Signed => SigningState::Signed,
            Shape::PartiallySigned { missing } => SigningState::PartiallySigned {
                missing: missing
                    .iter()
                    .map(|name| {
                        SIGNATURE_PROPERTY_NAMES
                            .into_iter()
                            .find(|known| known == name)
                            .ok_or_else(|| {
                                serde::de::Error::custom(format!(
                                    "{name:?} is not one of the four signature properties"
                                ))
                            })
                    })
                    .collect::<Result<_, _>>()?,
            },
        })
    }
}

impl SignatureProperties {
    /// Builds the set from a string map of image properties (other keys are ignored).
    ///
    /// # Errors
    /// [`PropertyError::ValueTooLong`] when a value exceeds what Glance can store.
    pub fn from_map<'a, I>(map: I) -> Result<Self, PropertyError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut props = SignatureProperties::default();
        for (key, value) in map {
            props.set(key, value.to_owned())?;
        }
        Ok(props)
    }

    /// Parses a JSON document holding image properties: either a flat object (the Glance v2
    /// image, or a plain property map) or `openstack image show -f json` output, where the
    /// properties are nested under `properties`.
    ///
    /// # Errors
    /// [`PropertyError::Json`] for text that is not JSON, [`PropertyError::NotAnObject`],
    /// [`PropertyError::NotAString`] when a signature property holds another JSON type,
    /// [`PropertyError::Conflict`] when the flat and nested forms disagree, and
    /// [`PropertyError::ValueTooLong`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, PropertyError> {
        let text = std::str::from_utf8(bytes).map_err(|e| PropertyError::Json {
            detail: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        })?;
        let value: Value = serde_json::from_str(text).map_err(|e| PropertyError::Json {
            detail: e.to_string(),
        })?;
        Self::from_json_value(&value)
    }

    /// As [`SignatureProperties::from_json`], from an already parsed value.
    ///
    /// # Errors
    /// As [`SignatureProperties::from_json`].
    pub fn from_json_value(value: &Value) -> Result<Self, PropertyError> {
        let Value::Object(top) = value else {
            return Err(PropertyError::NotAnObject {
                found: json_type(value),
            });
        };
        let mut props = SignatureProperties::default();
        let nested = match top.get("properties") {
            Some(Value::Object(nested)) => Some(nested),
            _ => None,
        };
        for object in [Some(top), nested].into_iter().flatten() {
            for name in SIGNATURE_PROPERTY_NAMES {
                // cursive treats None as absent.
                let Some(v) = object.get(name).filter(|v| !v.is_null()) else {
                    continue;
                };
                let Value::String(s) = v else {
                    return Err(PropertyError::NotAString {
                        name,
                        found: json_type(v),
                    });
                };
                if let Some(existing) = props.slot(name).as_deref() {
                    if existing != s {
                        return Err(PropertyError::Conflict { name });
                    }
                }
                props.set(name, s.clone())?;
            }
        }
        Ok(props)
    }

    fn slot(&mut self, name: &str) -> &mut Option<String> {
        match name {
            IMG_SIGNATURE => &mut self.signature,
            IMG_SIGNATURE_HASH_METHOD => &mut self.hash_method,
            IMG_SIGNATURE_KEY_TYPE => &mut self.key_type,
            _ => &mut self.certificate_uuid,
        }
    }

    fn set(&mut self, name: &str, value: String) -> Result<(), PropertyError> {
        let Some(&name) = SIGNATURE_PROPERTY_NAMES.iter().find(|n| **n == name) else {
            return Ok(());
        };
        if value.len() > MAX_PROPERTY_VALUE_LEN {
            return Err(PropertyError::ValueTooLong {
                name,
                len: value.len(),
            });
        }
        *self.slot(name) = Some(value);
        Ok(())
    }

    /// The present properties as `(name, value)` pairs, in the canonical order.
    pub fn to_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            (IMG_SIGNATURE, &self.signature),
            (IMG_SIGNATURE_HASH_METHOD, &self.hash_method),
            (IMG_SIGNATURE_KEY_TYPE, &self.key_type),
            (IMG_SIGNATURE_CERTIFICATE_UUID, &self.certificate_uuid),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    /// The present properties as a JSON object (what `glance-sig sign` prints).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.to_pairs()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                .collect(),
        )
    }

    /// The present properties as a map.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Unsigned, partially signed (and what is missing), or signed.
    pub fn signing_state(&self) -> SigningState {
        let missing: Vec<&'static str> = [
            (IMG_SIGNATURE, &self.signature),
            (IMG_SIGNATURE_HASH_METHOD, &self.hash_method),
            (IMG_SIGNATURE_KEY_TYPE, &self.key_type),
            (IMG_SIGNATURE_CERTIFICATE_UUID, &self.certificate_uuid),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k)
        .collect();
        match missing.len() {
            0 => SigningState::Signed,
            4 => SigningState::Unsigned,
            _ => SigningState::PartiallySigned { missing },
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_names_are_exact_and_near_misses_get_a_suggestion() {
        assert_eq!(HashMethod::parse("SHA-384").ok(), Some(HashMethod::Sha384));
        match HashMethod::parse("sha256") {
            Err(PropertyError::InvalidHashMethod { suggestion, .. }) => {
                assert_eq!(suggestion, Some(HashMethod::Sha256))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            HashMethod::parse("SHA-1"),
            Err(PropertyError::InvalidHashMethod {
                suggestion: None,
                ..
            })
        ));
    }

    #[test]
    fn binary_curves_get_their_own_error() {
        assert!(matches!(
            KeyType::parse("ECC_SECT571K1"),
            Err(PropertyError::BinaryCurveRemoved { .. })
        ));
        assert!(matches!(
            KeyType::parse("ECC_SECP256R1"),
            Err(PropertyError::InvalidKeyType { .. })
        ));
        assert_eq!(KeyType::parse("DSA").ok(), Some(KeyType::Dsa));
    }

    #[test]
    fn nested_openstack_client_output_is_read() {
        let json = br#"{"id": "x", "name": "cirros", "status": "active",
            "properties": {"img_signature": "abc=", "img_signature_hash_method": "SHA-256",
            "img_signature_key_type": "RSA-PSS", "img_signature_certificate_uuid": "u",
            "os_hidden": false}}"#;
        let p = SignatureProperties::from_json(json).expect("parses");
        assert_eq!(p.signing_state(), SigningState::Signed);
        assert_eq!(p.hash_method.as_deref(), Some("SHA-256"));
    }

    #[test]
    fn signing_states_read_back_as_written() {
        for state in [
            SigningState::Unsigned,
            SigningState::Signed,
            SigningState::PartiallySigned {
                missing: vec![IMG_SIGNATURE, IMG_SIGNATURE_CERTIFICATE_UUID],
            },
        ] {
            let json = serde_json::to_string(&state).expect("serializes");
            let back: SigningState = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, state, "{json}");
        }
        let unknown = r#"{"state":"partially-signed","missing":["img_signature_colour"]}"#;
        let e = serde_json::from_str::<SigningState>(unknown).expect_err("not a property");
        assert!(e.to_string().contains("img_signature_colour"), "{e}");
    }

    #[test]
    fn partial_sets_name_what_is_missing() {
        let p = SignatureProperties::from_map([("img_signature", "x"), ("other", "y")])
            .expect("parses");
        assert_eq!(
            p.signing_state(),
            SigningState::PartiallySigned {
                missing: vec![
                    IMG_SIGNATURE_HASH_METHOD,
                    IMG_SIGNATURE_KEY_TYPE,
                    IMG_SIGNATURE_CERTIFICATE_UUID
                ]
            }
        );
    }

    #[test]
    fn bad_json_shapes_are_errors() {
        assert!(matches!(
            SignatureProperties::from_json(b"\xff\xfe junk"),
            Err(PropertyError::Json { .. })
        ));
        assert!(matches!(
            SignatureProperties::from_json(b"[1,2]"),
            Err(PropertyError::NotAnObject { .. })
        ));
        assert!(matches!(
            SignatureProperties::from_json(br#"{"img_signature": 5}"#),
            Err(PropertyError::NotAString { .. })
        ));
        let huge = format!(r#"{{"img_signature": "{}"}}"#, "A".repeat(70_000));
        assert!(matches!(
            SignatureProperties::from_json(huge.as_bytes()),
            Err(PropertyError::ValueTooLong { .. })
        ));
        assert!(matches!(
            SignatureProperties::from_json(
                br#"{"img_signature": "a", "properties": {"img_signature": "b"}}"#
            ),
            Err(PropertyError::Conflict { .. })
        ));
    }
}

/// A property value that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PropertyError {
    /// `img_signature_hash_method` is not one of the four exact names.
    #[error("Invalid signature hash method: {value}{}", suggest(suggestion.map(HashMethod::name)))]
    InvalidHashMethod {
        /// The value found.
        value: String,
        /// The accepted spelling, when the value is a near miss.
        suggestion: Option<HashMethod>,
    },
    /// `img_signature_key_type` is not one of the four exact names.
    #[error("Invalid signature key type: {value}{}", suggest(suggestion.map(KeyType::name)))]
    InvalidKeyType {
        /// The value found.
        value: String,
        /// The accepted spelling, when the value is a near miss.
        suggestion: Option<KeyType>,
    },
    /// One of the binary curves removed from OpenStack clouds with cryptography 47.
    #[error(
        "Invalid signature key type: {value} (binary curves were removed from OpenStack clouds \
         with cryptography 47; sign with ECC_SECP384R1 or ECC_SECP521R1)"
    )]
    BinaryCurveRemoved {
        /// The value found.
        value: String,
    },
    /// The text is not JSON.
    #[error("not a JSON document: {detail}")]
    Json {
        /// What the parser said.
        detail: String,
    },
    /// The JSON is not an object of properties.
    #[error("expected a JSON object of image properties, found {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A signature property holds a non-string JSON value.
    #[error("property {name} must be a string, found {found}")]
    NotAString {
        /// The property.
        name: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// The flat and nested (`properties`) forms give different values.
    #[error(
        "property {name} appears twice with different values (top level and under \"properties\")"
    )]
    Conflict {
        /// The property.
        name: &'static str,
    },
    /// A value longer than Glance can store.
    #[error("property {name} is {len} bytes long; Glance stores at most 65535 bytes per value")]
    ValueTooLong {
        /// The property.
        name: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

fn suggest(s: Option<&'static str>) -> String {
    s.map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}
