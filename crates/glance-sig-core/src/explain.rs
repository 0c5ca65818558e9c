//! Why a signature failed: a second pass over the data with all four hashes, then the
//! likely causes (another hash, PKCS#1 v1.5 padding, raw `r||s`, another key, changed data).

use serde::Serialize;

use crate::hasher::{AllDigestsHasher, ImageDigest};
use crate::properties::{HashMethod, KeyType, SignatureProperties};
use crate::public_key::{
    locate_pss_salt_len, raw_to_der, rsa_encoded_message, verify_dsa_der, verify_ecdsa_der,
    verify_rsa_pkcs1v15, verify_rsa_pss_any_salt, CertHash, PublicKey,
};

/// A likely cause of a failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnosis {
    /// The signature verifies with another hash than the one named.
    OtherHashMethod {
        /// The hash that verifies.
        actual: HashMethod,
        /// The hash named, if it parsed.
        named: Option<HashMethod>,
    },
    /// The signature itself is good; only a property value is wrong.
    SignatureGoodPropertyWrong {
        /// The hash that verifies.
        hash: HashMethod,
        /// The key type the certificate's key calls for.
        key_type: Option<KeyType>,
    },
    /// An RSA signature with PKCS#1 v1.5 padding rather than PSS.
    Pkcs1v15Padding {
        /// The hash that verifies, when it matches the data.
        hash: Option<HashMethod>,
    },
    /// An ECDSA or DSA signature in raw `r||s` form rather than DER.
    RawEcdsaSignature {
        /// The hash it verifies with once converted to DER, if any.
        hash: Option<HashMethod>,
    },
    /// The signature was made with a key that is not the certificate's.
    CertificateMismatch,
    /// The certificate's key made the signature, but over other data.
    DataChanged,
    /// ECDSA and DSA cannot tell changed data from another key.
    DataChangedOrOtherKey,
}

impl Diagnosis {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Diagnosis::OtherHashMethod { .. } => "other-hash-method",
            Diagnosis::SignatureGoodPropertyWrong { .. } => "signature-good-property-wrong",
            Diagnosis::Pkcs1v15Padding { .. } => "pkcs1v15-padding",
            Diagnosis::RawEcdsaSignature { .. } => "raw-ecdsa-signature",
            Diagnosis::CertificateMismatch => "certificate-mismatch",
            Diagnosis::DataChanged => "data-changed",
            Diagnosis::DataChangedOrOtherKey => "data-changed-or-other-key",
        }
    }

    /// What happened and how to fix it.
    pub fn message(&self) -> String {
        match self {
            Diagnosis::OtherHashMethod { actual, named } => format!(
                "the signature verifies with {actual}{}: set img_signature_hash_method to {actual}",
                named.map(|n| format!(", not {n}")).unwrap_or_default()
            ),
            Diagnosis::SignatureGoodPropertyWrong { hash, key_type } => format!(
                "the signature is good over this data with {hash}; fix the property values{}",
                key_type.map(|k| format!(" (img_signature_key_type should be {k})")).unwrap_or_default()
            ),
            Diagnosis::Pkcs1v15Padding { hash: Some(h) } => format!(
                "this is an RSA PKCS#1 v1.5 signature ({h}), not RSA-PSS; OpenStack accepts only PSS: re-sign with glance-sig sign, or openssl dgst -{} -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2",
                h.name().to_ascii_lowercase().replace('-', "")
            ),
            Diagnosis::Pkcs1v15Padding { hash: None } => "this is an RSA PKCS#1 v1.5 signature by the certificate's key, not RSA-PSS, and it is over other data; re-sign with PSS".to_owned(),
            Diagnosis::RawEcdsaSignature { hash: Some(h) } => format!(
                "the signature is raw r||s (as WebCrypto makes), not DER; it verifies with {h} once DER-encoded: store the DER form (glance-sig sign does)"
            ),
            Diagnosis::RawEcdsaSignature { hash: None } => "the signature has the length of a raw r||s signature and is not DER; OpenStack needs DER, and even as DER it does not verify over this data".to_owned(),
            Diagnosis::CertificateMismatch => "the signature was made with a different key than the certificate's: check img_signature_certificate_uuid points at the signing key's certificate (glance-sig sign --cert checks the pair)".to_owned(),
            Diagnosis::DataChanged => "the certificate's key made this signature, but over different data: the image changed after signing (a conversion on import, a re-upload, corruption)".to_owned(),
            Diagnosis::DataChangedOrOtherKey => "either the data changed after signing or the signature was made with another key; ECDSA/DSA signatures cannot tell which: compare the image checksum with the signed file, and the key with the certificate".to_owned(),
        }
    }
}

impl Diagnosis {
    /// What to change, in one sentence: the error's fix in a report when the explanation
    /// pass found this cause.
    pub fn fix(&self) -> String {
        match self {
            Diagnosis::OtherHashMethod { actual, .. } => {
                format!("set img_signature_hash_method to {actual}")
            }
            Diagnosis::SignatureGoodPropertyWrong { hash, key_type } => match key_type {
                Some(k) => format!(
                    "keep img_signature, set img_signature_hash_method to {hash} and img_signature_key_type to {k}"
                ),
                None => format!("keep img_signature and set img_signature_hash_method to {hash}"),
            },
            Diagnosis::Pkcs1v15Padding { .. } => "re-sign with RSA-PSS (glance-sig sign, or openssl dgst -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-2) and set img_signature to the new signature".to_owned(),
            Diagnosis::RawEcdsaSignature { hash: Some(_) } => "store the DER form of the signature in img_signature (glance-sig sign makes DER)".to_owned(),
            Diagnosis::RawEcdsaSignature { hash: None } => "re-sign the image with glance-sig sign, which makes a DER signature, and set img_signature to it".to_owned(),
            Diagnosis::CertificateMismatch => "point img_signature_certificate_uuid at the certificate of the key that signed, or re-sign with this certificate's key (glance-sig sign --cert checks the pair)".to_owned(),
            Diagnosis::DataChanged => "upload the bytes that were signed, or sign the bytes stored now and set img_signature to the new signature".to_owned(),
            Diagnosis::DataChangedOrOtherKey => "compare the image's checksum with the signed file and the signing key with the certificate; then upload the signed bytes, or sign the stored bytes with this certificate's key and set img_signature to the new signature".to_owned(),
        }
    }
}

impl Serialize for Diagnosis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::note::Note::new(self.code(), self.message()).serialize(s)
    }
}

/// Second pass over the image with all four hashes.
pub struct Explainer {
    signature: Vec<u8>,
    named: Option<HashMethod>,
    key: PublicKey,
    hasher: AllDigestsHasher,
}

impl Explainer {
    /// `None` when there is nothing to explain with data (no decodable signature, or a key
    /// of no known class).
    pub fn new(props: &SignatureProperties, key: &PublicKey) -> Option<Self> {
        let signature = crate::base64::decode_lenient(props.signature.as_deref()?).ok()?;
        if signature.is_empty() || key.class().is_none() {
            return None;
        }
        Some(Self {
            signature,
            named: props
                .hash_method
                .as_deref()
                .and_then(|h| HashMethod::parse(h).ok()),
            key: key.clone(),
            hasher: AllDigestsHasher::default(),
        })
    }

    /// Feeds the next chunk (the same data as the failed pass).
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// The likely causes, most specific first.
    pub fn finish(self) -> Vec<Diagnosis> {
        let digests = self.hasher.finalize();
        let sig = &self.signature;
        let mut out = Vec::new();
        let good_hashes = |check: &dyn Fn(&ImageDigest) -> bool| -> Vec<HashMethod> {
            digests
                .iter()
                .filter(|d| check(d))
                .map(ImageDigest::method)
                .collect()
        };
        let verifying = match &self.key {
            PublicKey::Rsa(k) => good_hashes(&|d| {
                verify_rsa_pss_any_salt(k, d.method(), d.as_bytes(), sig).is_some()
            }),
            PublicKey::Ec(k) => good_hashes(&|d| verify_ecdsa_der(k, d.as_bytes(), sig)),
            PublicKey::Dsa(k) => good_hashes(&|d| verify_dsa_der(k, d.as_bytes(), sig)),
            PublicKey::Other { .. } => Vec::new(),
        };
        for h in &verifying {
            if Some(*h) == self.named {
                out.push(Diagnosis::SignatureGoodPropertyWrong {
                    hash: *h,
                    key_type: self.key.key_type(),
                });
            } else {
                out.push(Diagnosis::OtherHashMethod {
                    actual: *h,
                    named: self.named,
                });
            }
        }
        if !verifying.is_empty() {
            return out;
        }
        match &self.key {
            PublicKey::Rsa(k) => {
                let v15 = good_hashes(&|d| {
                    verify_rsa_pkcs1v15(k, CertHash::Sha2(d.method()), d.as_bytes(), sig)
                });
                if let Some(h) = v15.first() {
                    out.push(Diagnosis::Pkcs1v15Padding { hash: Some(*h) });
                    return out;
                }
                match rsa_encoded_message(k, sig) {
                    Some(em) if em.starts_with(&[0x00, 0x01, 0xff]) => {
                        out.push(Diagnosis::Pkcs1v15Padding { hash: None });
                        out.push(Diagnosis::DataChanged);
                    }
                    Some(_)
                        if HashMethod::ALL
                            .iter()
                            .any(|h| locate_pss_salt_len(k, *h, sig).is_some()) =>
                    {
                        out.push(Diagnosis::DataChanged);
                    }
                    _ => out.push(Diagnosis::CertificateMismatch),
                }
            }
            key @ (PublicKey::Ec(_) | PublicKey::Dsa(_)) => {
                if let Some(der) = raw_to_der(key, sig) {
                    let is_der = match key {
                        PublicKey::Ec(_) => {
                            p384::ecdsa::Signature::from_der(sig).is_ok()
                                || p521::ecdsa::Signature::from_der(sig).is_ok()
                                || p256::ecdsa::Signature::from_der(sig).is_ok()
                        }
                        _ => <dsa::Signature as der::Decode>::from_der(sig).is_ok(),
                    };
                    if !is_der {
                        let hash = digests.iter().find(|d| match key {
                            PublicKey::Ec(k) => verify_ecdsa_der(k, d.as_bytes(), &der),
                            PublicKey::Dsa(k) => verify_dsa_der(k, d.as_bytes(), &der),
                            _ => false,
                        });
                        out.push(Diagnosis::RawEcdsaSignature {
                            hash: hash.map(ImageDigest::method),
                        });
                        return out;
                    }
                }
                out.push(Diagnosis::DataChangedOrOtherKey);
            }
            PublicKey::Other { .. } => {}
        }
        out
    }
}
