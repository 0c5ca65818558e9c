//! Core values to WIT values (and the few WIT inputs back to core).
//!
//! Errors keep their case and carry the core's full message. Reports cross as the core's
//! JSON and text, so no verdict is re-shaped here. The core's error enums are
//! `#[non_exhaustive]`: a case added there after this interface version maps to `other`.

use glance_sig_core as core_sig;

use crate::bindings::exports::openstack::image_signature::{
    certificates, keys, properties, sessions, types,
};

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub fn hash_method(h: core_sig::HashMethod) -> types::HashMethod {
    match h {
        core_sig::HashMethod::Sha224 => types::HashMethod::Sha224,
        core_sig::HashMethod::Sha256 => types::HashMethod::Sha256,
        core_sig::HashMethod::Sha384 => types::HashMethod::Sha384,
        core_sig::HashMethod::Sha512 => types::HashMethod::Sha512,
    }
}

pub fn hash_method_in(h: types::HashMethod) -> core_sig::HashMethod {
    match h {
        types::HashMethod::Sha224 => core_sig::HashMethod::Sha224,
        types::HashMethod::Sha256 => core_sig::HashMethod::Sha256,
        types::HashMethod::Sha384 => core_sig::HashMethod::Sha384,
        types::HashMethod::Sha512 => core_sig::HashMethod::Sha512,
    }
}

pub fn key_type(k: core_sig::KeyType) -> types::KeyType {
    match k {
        core_sig::KeyType::RsaPss => types::KeyType::RsaPss,
        core_sig::KeyType::Dsa => types::KeyType::Dsa,
        core_sig::KeyType::EccSecp384r1 => types::KeyType::EccSecp384r1,
        core_sig::KeyType::EccSecp521r1 => types::KeyType::EccSecp521r1,
    }
}

pub fn key_type_in(k: types::KeyType) -> core_sig::KeyType {
    match k {
        types::KeyType::RsaPss => core_sig::KeyType::RsaPss,
        types::KeyType::Dsa => core_sig::KeyType::Dsa,
        types::KeyType::EccSecp384r1 => core_sig::KeyType::EccSecp384r1,
        types::KeyType::EccSecp521r1 => core_sig::KeyType::EccSecp521r1,
    }
}

pub fn properties_in(p: types::SignatureProperties) -> core_sig::SignatureProperties {
    core_sig::SignatureProperties {
        signature: p.signature,
        hash_method: p.hash_method,
        key_type: p.key_type,
        certificate_uuid: p.certificate_uuid,
    }
}

pub fn properties_out(p: core_sig::SignatureProperties) -> types::SignatureProperties {
    types::SignatureProperties {
        signature: p.signature,
        hash_method: p.hash_method,
        key_type: p.key_type,
        certificate_uuid: p.certificate_uuid,
    }
}

pub fn key_description(d: core_sig::KeyDescription) -> types::KeyDescription {
    types::KeyDescription {
        summary: d.to_string(),
        algorithm: d.algorithm,
        bits: d.bits.map(u32_of),
        curve: d.curve,
        key_type: d.key_type.map(key_type),
    }
}

pub fn note(n: core_sig::Note) -> types::Note {
    types::Note {
        code: n.code,
        message: n.message,
    }
}

pub fn property_error(e: core_sig::PropertyError) -> properties::PropertyError {
    use core_sig::PropertyError as P;
    let m = e.to_string();
    match e {
        P::InvalidHashMethod { .. } => properties::PropertyError::InvalidHashMethod(m),
        P::InvalidKeyType { .. } => properties::PropertyError::InvalidKeyType(m),
        P::BinaryCurveRemoved { .. } => properties::PropertyError::BinaryCurveRemoved(m),
        P::Json { .. } => properties::PropertyError::NotJson(m),
        P::NotAnObject { .. } => properties::PropertyError::NotAnObject(m),
        P::NotAString { .. } => properties::PropertyError::NotAString(m),
        P::Conflict { .. } => properties::PropertyError::Conflict(m),
        P::ValueTooLong { .. } => properties::PropertyError::ValueTooLong(m),
        _ => properties::PropertyError::Other(m),
    }
}

pub fn certificate_error(e: core_sig::CertificateError) -> certificates::CertificateError {
    use core_sig::CertificateError as C;
    let m = e.to_string();
    match e {
        C::Empty => certificates::CertificateError::Empty(m),
        C::NotACertificate { .. } => certificates::CertificateError::NotACertificate(m),
        C::Malformed { .. } => certificates::CertificateError::Malformed(m),
        C::PublicKey(_) => certificates::CertificateError::PublicKey(m),
        _ => certificates::CertificateError::Other(m),
    }
}

pub fn key_error(e: core_sig::KeyError) -> keys::KeyError {
    use core_sig::KeyError as K;
    let m = e.to_string();
    match e {
        K::Empty => keys::KeyError::Empty(m),
        K::NotAKey { .. } => keys::KeyError::NotAKey(m),
        K::PassphraseRequired => keys::KeyError::PassphraseRequired(m),
        K::WrongPassphrase => keys::KeyError::WrongPassphrase(m),
        K::LegacyEncryptedPem => keys::KeyError::LegacyEncryptedPem(m),
        K::UnsupportedAlgorithm { .. } => keys::KeyError::UnsupportedAlgorithm(m),
        K::UnsupportedCurve { .. } => keys::KeyError::UnsupportedCurve(m),
        K::RsaTooLarge { .. } => keys::KeyError::RsaTooLarge(m),
        K::Malformed { .. } => keys::KeyError::Malformed(m),
        _ => keys::KeyError::Other(m),
    }
}

pub fn sign_error(e: core_sig::SignError) -> sessions::SignError {
    use core_sig::SignError as S;
    let m = e.to_string();
    match e {
        S::Crypto { .. } => sessions::SignError::Crypto(m),
        S::KeyMismatch { .. } => sessions::SignError::KeyMismatch(m),
        S::NoCertificateId => sessions::SignError::NoCertificateId(m),
        S::InvalidSignature { .. } => sessions::SignError::InvalidSignature(m),
        S::NoKeyType { .. } => sessions::SignError::NoKeyType(m),
        _ => sessions::SignError::Other(m),
    }
}

pub fn certificate_info(i: core_sig::CertificateInfo) -> certificates::CertificateInfo {
    certificates::CertificateInfo {
        subject: i.subject,
        issuer: i.issuer,
        serial: i.serial,
        not_before: i.not_before,
        not_after: i.not_after,
        validity: match i.validity {
            core_sig::Validity::Valid => certificates::Validity::Valid,
            core_sig::Validity::NotYetValid => certificates::Validity::NotYetValid,
            core_sig::Validity::Expired => certificates::Validity::Expired,
        },
        fingerprint_sha256: i.fingerprint_sha256,
        public_key: key_description(i.public_key),
        self_signed: i.self_signed,
        basic_constraints: i.basic_constraints.map(|c| certificates::Constraints {
            ca: c.ca,
            path_len: c.path_len,
        }),
        key_cert_sign: i.key_cert_sign,
        digital_signature: i.digital_signature,
    }
}
