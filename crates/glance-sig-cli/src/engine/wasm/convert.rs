//! The component's WIT values back into the core's types, so that both engines build their
//! report with the same `Report::new` and render it with the same code.

use glance_sig_core::{
    Base64Error, ChainError, ChainVerdict, Diagnosis, HashMethod, KeyClass, KeyType, Note,
    PropertyError, PssReport, Rejection, SignatureProperties, SignatureVerdict, SkippedTrust,
    IMG_SIGNATURE, IMG_SIGNATURE_CERTIFICATE_UUID, IMG_SIGNATURE_HASH_METHOD,
    IMG_SIGNATURE_KEY_TYPE,
};

use crate::engine::wasm::bindings::exports::openstack::image_signature::{
    certificates as wc, properties as wp, signing as ws, types as wt, verification as wv,
};
use crate::error::CliError;

/// A reason this build of glance-sig does not know: the component is newer than the host.
fn unknown(what: &str, detail: &str) -> CliError {
    CliError::Component {
        detail: format!(
            "the component reported a {what} this glance-sig does not know ({detail}): use the component built from the same source"
        ),
    }
}

/// The core's notes carry `&'static str` codes (constants in the core). A code that crossed
/// the component boundary is owned; one command renders one report, so leaking these few
/// short strings once is the simplest faithful conversion.
fn static_code(code: String) -> &'static str {
    Box::leak(code.into_boxed_str())
}

fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub fn hash_method(h: HashMethod) -> wt::HashMethod {
    match h {
        HashMethod::Sha224 => wt::HashMethod::Sha224,
        HashMethod::Sha256 => wt::HashMethod::Sha256,
        HashMethod::Sha384 => wt::HashMethod::Sha384,
        HashMethod::Sha512 => wt::HashMethod::Sha512,
    }
}

fn hash_method_in(h: wt::HashMethod) -> HashMethod {
    match h {
        wt::HashMethod::Sha224 => HashMethod::Sha224,
        wt::HashMethod::Sha256 => HashMethod::Sha256,
        wt::HashMethod::Sha384 => HashMethod::Sha384,
        wt::HashMethod::Sha512 => HashMethod::Sha512,
    }
}

fn key_type_in(k: wt::KeyType) -> KeyType {
    match k {
        wt::KeyType::RsaPss => KeyType::RsaPss,
        wt::KeyType::Dsa => KeyType::Dsa,
        wt::KeyType::EccSecp384r1 => KeyType::EccSecp384r1,
        wt::KeyType::EccSecp521r1 => KeyType::EccSecp521r1,
    }
}

fn key_class_in(c: wt::KeyClass) -> KeyClass {
    match c {
        wt::KeyClass::Rsa => KeyClass::Rsa,
        wt::KeyClass::Dsa => KeyClass::Dsa,
        wt::KeyClass::Ec => KeyClass::Ec,
    }
}

pub fn properties_in(p: wt::SignatureProperties) -> SignatureProperties {
    SignatureProperties {
        signature: p.signature,
        hash_method: p.hash_method,
        key_type: p.key_type,
        certificate_uuid: p.certificate_uuid,
    }
}

pub fn properties_out(p: &SignatureProperties) -> wt::SignatureProperties {
    wt::SignatureProperties {
        signature: p.signature.clone(),
        hash_method: p.hash_method.clone(),
        key_type: p.key_type.clone(),
        certificate_uuid: p.certificate_uuid.clone(),
    }
}

pub fn property_error_message(e: &wp::PropertyError) -> String {
    use wp::PropertyError as P;
    match e {
        P::InvalidHashMethod(m)
        | P::InvalidKeyType(m)
        | P::BinaryCurveRemoved(m)
        | P::NotJson(m)
        | P::NotAnObject(m)
        | P::NotAString(m)
        | P::Conflict(m)
        | P::ValueTooLong(m)
        | P::Other(m) => m.clone(),
    }
}

pub fn certificate_error_message(e: &wc::CertificateError) -> String {
    use wc::CertificateError as C;
    match e {
        C::Empty(m) | C::NotACertificate(m) | C::Malformed(m) | C::PublicKey(m) | C::Other(m) => {
            m.clone()
        }
    }
}

pub fn key_error_message(e: &ws::KeyError) -> String {
    use ws::KeyError as K;
    match e {
        K::Empty(m)
        | K::NotAKey(m)
        | K::PassphraseRequired(m)
        | K::WrongPassphrase(m)
        | K::LegacyEncryptedPem(m)
        | K::UnsupportedAlgorithm(m)
        | K::UnsupportedCurve(m)
        | K::RsaTooLarge(m)
        | K::Malformed(m)
        | K::Other(m) => m.clone(),
    }
}

fn rejection_in(r: wv::Rejection) -> Result<Rejection, CliError> {
    use wv::RejectionReason as W;
    Ok(match r.reason {
        W::MissingProperty(p) => {
            let name = match p {
                wv::PropertyName::ImgSignature => IMG_SIGNATURE,
                wv::PropertyName::ImgSignatureHashMethod => IMG_SIGNATURE_HASH_METHOD,
                wv::PropertyName::ImgSignatureKeyType => IMG_SIGNATURE_KEY_TYPE,
                wv::PropertyName::ImgSignatureCertificateUuid => IMG_SIGNATURE_CERTIFICATE_UUID,
            };
            // cursive's own name for the certificate id.
            let cursive_name = if name == IMG_SIGNATURE_CERTIFICATE_UUID {
                "img_signature_uuid"
            } else {
                name
            };
            Rejection::MissingProperty { name, cursive_name }
        }
        W::InvalidBase64(e) => Rejection::InvalidBase64(match e {
            wv::Base64Error::NotAscii(position) => Base64Error::NotAscii {
                position: usize_of(position),
            },
            wv::Base64Error::IncorrectPadding => Base64Error::IncorrectPadding,
            wv::Base64Error::DanglingCharacter(n) => Base64Error::DanglingCharacter {
                data_chars: usize_of(n),
            },
        }),
        W::InvalidHashMethod(v) => Rejection::Property(PropertyError::InvalidHashMethod {
            value: v.value,
            suggestion: v.suggestion.map(hash_method_in),
        }),
        W::InvalidKeyType(v) => Rejection::Property(PropertyError::InvalidKeyType {
            value: v.value,
            suggestion: v.suggestion.map(key_type_in),
        }),
        W::BinaryCurveRemoved(v) => {
            Rejection::Property(PropertyError::BinaryCurveRemoved { value: v.value })
        }
        W::PublicKeyTypeMismatch(m) => Rejection::PublicKeyTypeMismatch {
            key_type: key_type_in(m.key_type),
            found: m.found,
            found_class: m.found_class.map(key_class_in),
        },
        W::EmptySignature => Rejection::EmptySignature,
        W::UnsupportedCurve(curve) => Rejection::UnsupportedCurve { curve },
        W::SignatureMismatch => Rejection::SignatureMismatch,
        W::Other(m) => return Err(unknown("rejection", &format!("{}: {m}", r.code))),
    })
}

pub fn verdict_in(v: wv::Verdict) -> Result<SignatureVerdict, CliError> {
    Ok(SignatureVerdict {
        valid: v.valid,
        key_type: v.key_type.map(key_type_in),
        hash_method: v.hash_method.map(hash_method_in),
        certificate_uuid: v.certificate_uuid,
        pss: v.pss.map(|p| PssReport {
            salt_length: p.salt_length.map(usize_of),
            max_salt_length: usize_of(p.max_salt_length),
            accepted_by_older_clouds: p.accepted_by_older_clouds,
        }),
        rejection: v.rejection.map(rejection_in).transpose()?,
        warnings: v
            .warnings
            .into_iter()
            .map(|n| Note {
                code: static_code(n.code),
                message: n.message,
            })
            .collect(),
    })
}

pub fn diagnosis_in(d: wv::Diagnosis) -> Result<Diagnosis, CliError> {
    use wv::LikelyCause as W;
    Ok(match d.cause {
        W::OtherHashMethod(o) => Diagnosis::OtherHashMethod {
            actual: hash_method_in(o.actual),
            named: o.named.map(hash_method_in),
        },
        W::SignatureGoodPropertyWrong(s) => Diagnosis::SignatureGoodPropertyWrong {
            hash: hash_method_in(s.hash),
            key_type: s.key_type.map(key_type_in),
        },
        W::Pkcs1v15Padding(h) => Diagnosis::Pkcs1v15Padding {
            hash: h.map(hash_method_in),
        },
        W::RawEcdsaSignature(h) => Diagnosis::RawEcdsaSignature {
            hash: h.map(hash_method_in),
        },
        W::CertificateMismatch => Diagnosis::CertificateMismatch,
        W::DataChanged => Diagnosis::DataChanged,
        W::DataChangedOrOtherKey => Diagnosis::DataChangedOrOtherKey,
        W::Other(code) => return Err(unknown("diagnosis", &format!("{code}: {}", d.message))),
    })
}

pub fn chain_in(c: wc::ChainVerdict) -> Result<ChainVerdict, CliError> {
    use wc::ChainError as W;
    let error = match c.error {
        None => None,
        Some(p) => Some(match p.reason {
            W::CertificateExpired(e) => ChainError::CertificateExpired {
                subject: e.subject,
                not_after: e.not_after,
                at: e.at,
            },
            W::CertificateNotYetValid(e) => ChainError::CertificateNotYetValid {
                subject: e.subject,
                not_before: e.not_before,
                at: e.at,
            },
            W::IssuerNotFound(e) => ChainError::IssuerNotFound {
                subject: e.subject,
                base: e.base,
                issuer: e.issuer,
            },
            W::MissingBasicConstraints(subject) => ChainError::MissingBasicConstraints { subject },
            W::PathLengthExceeded(e) => ChainError::PathLengthExceeded {
                subject: e.subject,
                path_len: e.path_len,
                needed: usize_of(e.needed),
            },
            W::ChainLoop(subject) => ChainError::ChainLoop { subject },
            W::Other(m) => return Err(unknown("chain error", &format!("{}: {m}", p.code))),
        }),
    };
    Ok(ChainVerdict {
        valid: c.valid,
        path: c.path,
        error,
        skipped_trusted: c
            .skipped_trusted
            .into_iter()
            .map(|s| SkippedTrust {
                subject: s.subject,
                reason: s.reason,
            })
            .collect(),
    })
}
