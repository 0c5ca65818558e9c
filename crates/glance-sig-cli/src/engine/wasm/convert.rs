//! The few WIT values that cross as values: hashes, properties, and the words of parse errors.
//! Reports and signing results cross as the core's own JSON, so nothing is re-shaped here.

use glance_sig_core::{HashMethod, Report, SignatureProperties};

use crate::engine::wasm::bindings::exports::openstack::image_signature::{
    certificates as wc, keys as wk, properties as wp, sessions as wss, types as wt,
};
use crate::engine::SignRefusal;
use crate::error::CliError;

pub fn hash_method(h: HashMethod) -> wt::HashMethod {
    match h {
        HashMethod::Sha224 => wt::HashMethod::Sha224,
        HashMethod::Sha256 => wt::HashMethod::Sha256,
        HashMethod::Sha384 => wt::HashMethod::Sha384,
        HashMethod::Sha512 => wt::HashMethod::Sha512,
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

pub fn key_error_message(e: &wk::KeyError) -> String {
    use wk::KeyError as K;
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

/// The component's report, read back into the core's type (the component is built from the
/// same core, so the JSON is the same shape).
///
/// # Errors
/// [`CliError::Component`] when it is not (a component from another version).
pub fn report_in(report: &wss::Report) -> Result<Report, CliError> {
    serde_json::from_str(&report.json).map_err(|e| CliError::Component {
        detail: format!(
            "the component's report is not the shape this glance-sig reads ({e}): use the component built from the same source"
        ),
    })
}

pub fn sign_refusal(e: wss::SignError) -> SignRefusal {
    match e {
        wss::SignError::KeyMismatch(m) => SignRefusal::KeyMismatch(m),
        wss::SignError::NoCertificateId(m) => SignRefusal::NoCertificateId(m),
        wss::SignError::Crypto(m) | wss::SignError::Other(m) => SignRefusal::Failed(m),
        wss::SignError::InvalidSignature(m) | wss::SignError::NoKeyType(m) => {
            SignRefusal::Unusable(m)
        }
        wss::SignError::AlreadyFinished => {
            SignRefusal::Failed("the signing session was already finished".to_owned())
        }
    }
}
