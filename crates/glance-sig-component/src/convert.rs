//! Core values to WIT values (and the few WIT inputs back to core).
//!
//! Typed reasons keep their fields; every reason also carries the core's words (`code`,
//! `message`, `cursive_message`, `fix`), so hosts show the same text without knowing the
//! scheme. The core's error enums are `#[non_exhaustive]`: a case added there after this
//! interface version maps to the `other` case, with its message.

use glance_sig_core as core_sig;
use glance_sig_core::report;

use crate::bindings::exports::openstack::image_signature::{
    certificates, properties, signing, types, verification,
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

fn key_class(c: core_sig::KeyClass) -> types::KeyClass {
    match c {
        core_sig::KeyClass::Rsa => types::KeyClass::Rsa,
        core_sig::KeyClass::Dsa => types::KeyClass::Dsa,
        core_sig::KeyClass::Ec => types::KeyClass::Ec,
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

fn note(n: core_sig::Note) -> types::Note {
    types::Note {
        code: n.code.to_owned(),
        message: n.message,
    }
}

fn check(c: report::Check) -> types::Check {
    types::Check {
        name: c.name.to_owned(),
        passed: c.passed,
        description: c.description.to_owned(),
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

pub fn key_error(e: core_sig::KeyError) -> signing::KeyError {
    use core_sig::KeyError as K;
    let m = e.to_string();
    match e {
        K::Empty => signing::KeyError::Empty(m),
        K::NotAKey { .. } => signing::KeyError::NotAKey(m),
        K::PassphraseRequired => signing::KeyError::PassphraseRequired(m),
        K::WrongPassphrase => signing::KeyError::WrongPassphrase(m),
        K::LegacyEncryptedPem => signing::KeyError::LegacyEncryptedPem(m),
        K::UnsupportedAlgorithm { .. } => signing::KeyError::UnsupportedAlgorithm(m),
        K::UnsupportedCurve { .. } => signing::KeyError::UnsupportedCurve(m),
        K::RsaTooLarge { .. } => signing::KeyError::RsaTooLarge(m),
        K::Malformed { .. } => signing::KeyError::Malformed(m),
        _ => signing::KeyError::Other(m),
    }
}

pub fn sign_error(e: core_sig::SignError) -> signing::SignError {
    let m = e.to_string();
    match e {
        core_sig::SignError::Crypto { .. } => signing::SignError::Crypto(m),
        _ => signing::SignError::Other(m),
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

fn chain_error(e: &core_sig::ChainError) -> certificates::ChainError {
    use certificates::ChainError as W;
    use core_sig::ChainError as C;
    match e {
        C::CertificateExpired {
            subject,
            not_after,
            at,
        } => W::CertificateExpired(certificates::Expired {
            subject: subject.clone(),
            not_after: *not_after,
            at: *at,
        }),
        C::CertificateNotYetValid {
            subject,
            not_before,
            at,
        } => W::CertificateNotYetValid(certificates::NotYetValid {
            subject: subject.clone(),
            not_before: *not_before,
            at: *at,
        }),
        C::IssuerNotFound {
            subject,
            base,
            issuer,
        } => W::IssuerNotFound(certificates::IssuerNotFound {
            subject: subject.clone(),
            base: *base,
            issuer: issuer.clone(),
        }),
        C::MissingBasicConstraints { subject } => W::MissingBasicConstraints(subject.clone()),
        C::PathLengthExceeded {
            subject,
            path_len,
            needed,
        } => W::PathLengthExceeded(certificates::PathLengthExceeded {
            subject: subject.clone(),
            path_len: *path_len,
            needed: u32_of(*needed),
        }),
        C::ChainLoop { subject } => W::ChainLoop(subject.clone()),
        other => W::Other(other.to_string()),
    }
}

pub fn chain_verdict(c: core_sig::ChainVerdict) -> certificates::ChainVerdict {
    let check = check(report::chain_check(&c));
    certificates::ChainVerdict {
        valid: c.valid,
        path: c.path,
        error: c.error.map(|e| certificates::ChainProblem {
            reason: chain_error(&e),
            code: e.code().to_owned(),
            message: e.to_string(),
            cursive_message: e.cursive_message().to_string(),
        }),
        skipped_trusted: c
            .skipped_trusted
            .into_iter()
            .map(|s| certificates::SkippedTrust {
                subject: s.subject,
                reason: s.reason,
            })
            .collect(),
        check,
    }
}

fn property_name(name: &str) -> Option<verification::PropertyName> {
    Some(match name {
        core_sig::IMG_SIGNATURE => verification::PropertyName::ImgSignature,
        core_sig::IMG_SIGNATURE_HASH_METHOD => verification::PropertyName::ImgSignatureHashMethod,
        core_sig::IMG_SIGNATURE_KEY_TYPE => verification::PropertyName::ImgSignatureKeyType,
        core_sig::IMG_SIGNATURE_CERTIFICATE_UUID => {
            verification::PropertyName::ImgSignatureCertificateUuid
        }
        _ => return None,
    })
}

fn base64_error(e: &core_sig::Base64Error) -> verification::Base64Error {
    match e {
        core_sig::Base64Error::NotAscii { position } => {
            verification::Base64Error::NotAscii(u32_of(*position))
        }
        core_sig::Base64Error::IncorrectPadding => verification::Base64Error::IncorrectPadding,
        core_sig::Base64Error::DanglingCharacter { data_chars } => {
            verification::Base64Error::DanglingCharacter(u32_of(*data_chars))
        }
    }
}

fn rejection_reason(r: &core_sig::Rejection) -> verification::RejectionReason {
    use core_sig::{PropertyError as P, Rejection as R};
    use verification::RejectionReason as W;
    match r {
        R::MissingProperty { name, .. } => match property_name(name) {
            Some(p) => W::MissingProperty(p),
            None => W::Other(r.to_string()),
        },
        R::InvalidBase64(e) => W::InvalidBase64(base64_error(e)),
        R::Property(P::InvalidHashMethod { value, suggestion }) => {
            W::InvalidHashMethod(verification::InvalidHashMethod {
                value: value.clone(),
                suggestion: suggestion.map(hash_method),
            })
        }
        R::Property(P::InvalidKeyType { value, suggestion }) => {
            W::InvalidKeyType(verification::InvalidKeyType {
                value: value.clone(),
                suggestion: suggestion.map(key_type),
            })
        }
        R::Property(P::BinaryCurveRemoved { value }) => {
            W::BinaryCurveRemoved(verification::InvalidValue {
                value: value.clone(),
            })
        }
        R::PublicKeyTypeMismatch {
            key_type: kt,
            found,
            found_class,
        } => W::PublicKeyTypeMismatch(verification::KeyClassMismatch {
            key_type: key_type(*kt),
            found: found.clone(),
            found_class: found_class.map(key_class),
        }),
        R::EmptySignature => W::EmptySignature,
        R::UnsupportedCurve { curve } => W::UnsupportedCurve(curve.clone()),
        R::SignatureMismatch => W::SignatureMismatch,
        other => W::Other(other.to_string()),
    }
}

fn rejection(r: &core_sig::Rejection) -> verification::Rejection {
    verification::Rejection {
        reason: rejection_reason(r),
        code: r.code().to_owned(),
        message: r.to_string(),
        cursive_message: r.cursive_message(),
        fix: r.fix(),
        explainable: r.is_explainable(),
    }
}

pub fn verdict(v: core_sig::SignatureVerdict) -> verification::Verdict {
    let checks = report::signature_checks(&v)
        .into_iter()
        .map(check)
        .collect();
    verification::Verdict {
        valid: v.valid,
        key_type: v.key_type.map(key_type),
        hash_method: v.hash_method.map(hash_method),
        rejection: v.rejection.as_ref().map(rejection),
        certificate_uuid: v.certificate_uuid,
        pss: v.pss.map(|p| verification::PssInfo {
            salt_length: p.salt_length.map(u32_of),
            max_salt_length: u32_of(p.max_salt_length),
            accepted_by_older_clouds: p.accepted_by_older_clouds,
        }),
        warnings: v.warnings.into_iter().map(note).collect(),
        checks,
    }
}

pub fn diagnosis(d: core_sig::Diagnosis) -> verification::Diagnosis {
    use core_sig::Diagnosis as D;
    use verification::LikelyCause as W;
    let cause = match &d {
        D::OtherHashMethod { actual, named } => W::OtherHashMethod(verification::OtherHashMethod {
            actual: hash_method(*actual),
            named: named.map(hash_method),
        }),
        D::SignatureGoodPropertyWrong { hash, key_type: kt } => {
            W::SignatureGoodPropertyWrong(verification::SignatureGoodPropertyWrong {
                hash: hash_method(*hash),
                key_type: kt.map(key_type),
            })
        }
        D::Pkcs1v15Padding { hash } => W::Pkcs1v15Padding(hash.map(hash_method)),
        D::RawEcdsaSignature { hash } => W::RawEcdsaSignature(hash.map(hash_method)),
        D::CertificateMismatch => W::CertificateMismatch,
        D::DataChanged => W::DataChanged,
        D::DataChangedOrOtherKey => W::DataChangedOrOtherKey,
        other => W::Other(other.code().to_owned()),
    };
    verification::Diagnosis {
        cause,
        code: d.code().to_owned(),
        message: d.message(),
    }
}
