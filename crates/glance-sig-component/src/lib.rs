//! The glance-sig core as a WASI component: `openstack:image-signature@0.1.0` (`wit/`).
//!
//! A thin adapter: the generated bindings, the `Guest` implementations that hold core values
//! (certificates, keys, the two sessions) in resources, and the mapping from core types to
//! WIT types ([`convert`]). All scheme logic lives in `glance-sig-core`; a report crosses as
//! the core's own JSON and text. The component does no I/O and reads no clock; its only import
//! is `wasi:random/random`, drawn from only when signing ([`rng`]).
//!
//! Build: `scripts/component/build.sh` (wasm32-unknown-unknown, linked into a component by
//! the toolchain's `wasm-component-ld`, then transpiled for Node and browsers). On
//! wasm32-wasip2 the same crate builds too, but std's panic hook then imports
//! `wasi:cli/environment` (RUST_BACKTRACE), `wasi:cli/stderr` and friends, and
//! `wasi:cli/exit`; this build imports `wasi:random/random` only.

use std::cell::RefCell;

use glance_sig_core as core_sig;

use bindings::exports::openstack::image_signature::{
    certificates, keys, properties, sessions, types,
};

mod convert;
mod rng;

#[allow(unsafe_code, clippy::all, missing_docs)]
mod bindings {
    // The generated code needs `unsafe` (canonical ABI glue); nothing else in the crate does.
    wit_bindgen::generate!({
        path: "../../wit",
        world: "image-signature",
        with: { "wasi:random/random@0.2.0": generate },
    });

    use super::Component;
    export!(Component);
}

/// The exported component.
pub struct Component;

/// A parsed certificate.
pub struct CertificateRes(core_sig::Certificate);

/// A private key.
pub struct PrivateKeyRes(core_sig::PrivateKey);

/// A verification session; `None` once its report was taken.
pub struct VerificationRes(RefCell<Option<core_sig::VerificationSession>>);

/// A signing session owning a copy of its key; `None` once finished.
pub struct SigningRes(RefCell<Option<core_sig::SigningSession<'static>>>);

impl properties::Guest for Component {
    fn from_json(json: Vec<u8>) -> Result<types::SignatureProperties, properties::PropertyError> {
        core_sig::SignatureProperties::from_json(&json)
            .map(convert::properties_out)
            .map_err(convert::property_error)
    }

    fn from_map(
        entries: Vec<(String, String)>,
    ) -> Result<types::SignatureProperties, properties::PropertyError> {
        core_sig::SignatureProperties::from_map(
            entries.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map(convert::properties_out)
        .map_err(convert::property_error)
    }

    fn to_json(properties: types::SignatureProperties) -> String {
        properties_json(&convert::properties_in(properties))
    }

    fn signing_state_of(properties: types::SignatureProperties) -> properties::SigningState {
        match convert::properties_in(properties).signing_state() {
            core_sig::SigningState::Unsigned => properties::SigningState::Unsigned,
            core_sig::SigningState::PartiallySigned { missing } => {
                properties::SigningState::PartiallySigned(
                    missing.into_iter().map(str::to_owned).collect(),
                )
            }
            core_sig::SigningState::Signed => properties::SigningState::Signed,
        }
    }

    fn parse_hash_method(value: String) -> Result<types::HashMethod, properties::PropertyError> {
        core_sig::HashMethod::parse(&value)
            .map(convert::hash_method)
            .map_err(convert::property_error)
    }

    fn parse_key_type(value: String) -> Result<types::KeyType, properties::PropertyError> {
        core_sig::KeyType::parse(&value)
            .map(convert::key_type)
            .map_err(convert::property_error)
    }

    fn hash_method_name(hash_method: types::HashMethod) -> String {
        convert::hash_method_in(hash_method).name().to_owned()
    }

    fn key_type_name(key_type: types::KeyType) -> String {
        convert::key_type_in(key_type).name().to_owned()
    }
}

impl certificates::Guest for Component {
    type Certificate = CertificateRes;
}

impl certificates::GuestCertificate for CertificateRes {
    fn parse(bytes: Vec<u8>) -> Result<certificates::Certificate, certificates::CertificateError> {
        core_sig::Certificate::from_pem_or_der(&bytes)
            .map(|c| certificates::Certificate::new(CertificateRes(c)))
            .map_err(convert::certificate_error)
    }

    fn parse_all(
        bytes: Vec<u8>,
    ) -> Result<Vec<certificates::Certificate>, certificates::CertificateError> {
        core_sig::Certificate::all_from_pem_or_der(&bytes)
            .map(|all| {
                all.into_iter()
                    .map(|c| certificates::Certificate::new(CertificateRes(c)))
                    .collect()
            })
            .map_err(convert::certificate_error)
    }

    fn info(&self, at: i64) -> certificates::CertificateInfo {
        convert::certificate_info(self.0.info(at))
    }

    fn to_pem(&self) -> String {
        self.0.to_pem()
    }
}

impl keys::Guest for Component {
    type PrivateKey = PrivateKeyRes;

    fn is_encrypted(bytes: Vec<u8>) -> bool {
        core_sig::is_encrypted(&bytes)
    }

    fn test_identity(
        common_name: String,
        now: i64,
        days: u32,
    ) -> Result<(keys::PrivateKey, certificates::Certificate), String> {
        core_sig::test_identity(&mut rng::WasiRandom, &common_name, now, days)
            .map(|(key, cert)| {
                (
                    keys::PrivateKey::new(PrivateKeyRes(key)),
                    certificates::Certificate::new(CertificateRes(cert)),
                )
            })
            .map_err(|e| e.to_string())
    }
}

impl keys::GuestPrivateKey for PrivateKeyRes {
    fn parse(
        bytes: Vec<u8>,
        passphrase: Option<Vec<u8>>,
    ) -> Result<keys::PrivateKey, keys::KeyError> {
        // The copies the host made in this component's memory: wiped once parsed.
        let bytes = zeroize::Zeroizing::new(bytes);
        let passphrase = passphrase.map(zeroize::Zeroizing::new);
        core_sig::PrivateKey::from_bytes(&bytes, passphrase.as_deref().map(Vec::as_slice))
            .map(|k| keys::PrivateKey::new(PrivateKeyRes(k)))
            .map_err(convert::key_error)
    }

    fn key_type(&self) -> types::KeyType {
        convert::key_type(self.0.key_type())
    }

    fn public_key(&self) -> types::KeyDescription {
        convert::key_description(self.0.public_key().describe())
    }

    fn matches(&self, certificate: keys::CertificateBorrow<'_>) -> bool {
        self.0
            .matches(certificate.get::<CertificateRes>().0.public_key())
    }
}

impl sessions::Guest for Component {
    type Verification = VerificationRes;
    type Signing = SigningRes;
}

fn certificate_of(c: &sessions::CertificateBorrow<'_>) -> core_sig::Certificate {
    c.get::<CertificateRes>().0.clone()
}

impl sessions::GuestVerification for VerificationRes {
    fn new(
        properties: types::SignatureProperties,
        certificate: Option<sessions::CertificateBorrow<'_>>,
        anchors: Vec<sessions::CertificateBorrow<'_>>,
        at: i64,
        explain: bool,
    ) -> Self {
        let session = core_sig::VerificationSession::new(
            convert::properties_in(properties),
            certificate.as_ref().map(certificate_of),
            anchors.iter().map(certificate_of).collect(),
            at,
        )
        .explain_failures(explain);
        VerificationRes(RefCell::new(Some(session)))
    }

    fn wants_data(&self) -> Option<sessions::Pass> {
        self.0
            .borrow()
            .as_ref()
            .and_then(core_sig::VerificationSession::wants_data)
            .map(|p| match p {
                core_sig::Pass::Verify => sessions::Pass::Verify,
                core_sig::Pass::Explain => sessions::Pass::Explain,
            })
    }

    fn update(&self, chunk: Vec<u8>) {
        if let Some(s) = &mut *self.0.borrow_mut() {
            s.update(&chunk);
        }
    }

    fn end_pass(&self) {
        if let Some(s) = &mut *self.0.borrow_mut() {
            s.end_pass();
        }
    }

    fn report(&self) -> Result<sessions::Report, sessions::SessionError> {
        let session = self
            .0
            .take()
            .ok_or(sessions::SessionError::AlreadyFinished)?;
        let report = session.report();
        Ok(sessions::Report {
            // Exactly what `glance-sig verify --json` prints: pretty, then a newline.
            json: glance_sig_core::report::json_text(&report),
            text: report.text(),
            valid: report.valid,
            trust_established: report.trust.established,
        })
    }
}

impl sessions::GuestSigning for SigningRes {
    fn start(
        key: sessions::PrivateKeyBorrow<'_>,
        certificate: Option<sessions::CertificateBorrow<'_>>,
        hash_method: types::HashMethod,
        certificate_uuid: String,
        at: i64,
    ) -> Result<sessions::Signing, sessions::SignError> {
        let key = key.get::<PrivateKeyRes>().0.clone();
        let cert = certificate.as_ref().map(certificate_of);
        core_sig::SigningSession::new(
            key,
            cert.as_ref(),
            convert::hash_method_in(hash_method),
            &certificate_uuid,
            at,
        )
        .map(|s| sessions::Signing::new(SigningRes(RefCell::new(Some(s)))))
        .map_err(convert::sign_error)
    }

    fn start_outside(
        certificate: sessions::CertificateBorrow<'_>,
        hash_method: types::HashMethod,
        certificate_uuid: String,
        at: i64,
    ) -> Result<sessions::Signing, sessions::SignError> {
        core_sig::SigningSession::outside(
            &certificate_of(&certificate),
            convert::hash_method_in(hash_method),
            &certificate_uuid,
            at,
        )
        .map(|s| sessions::Signing::new(SigningRes(RefCell::new(Some(s)))))
        .map_err(convert::sign_error)
    }

    fn notes(&self) -> Vec<types::Note> {
        self.0
            .borrow()
            .as_ref()
            .map(|s| s.notes().iter().cloned().map(convert::note).collect())
            .unwrap_or_default()
    }

    fn update(&self, chunk: Vec<u8>) {
        if let Some(s) = &mut *self.0.borrow_mut() {
            s.update(&chunk);
        }
    }

    fn finish(&self) -> Result<sessions::Signed, sessions::SignError> {
        let session = self.0.take().ok_or(sessions::SignError::AlreadyFinished)?;
        session
            .finish(&mut rng::WasiRandom)
            .map(signed_out)
            .map_err(convert::sign_error)
    }

    fn digest(&self) -> Vec<u8> {
        self.0
            .borrow()
            .as_ref()
            .map(|s| s.digest().as_bytes().to_vec())
            .unwrap_or_default()
    }

    fn finish_with(&self, signature: Vec<u8>) -> Result<sessions::Signed, sessions::SignError> {
        let session = self.0.take().ok_or(sessions::SignError::AlreadyFinished)?;
        session
            .finish_with(signature)
            .map(signed_out)
            .map_err(convert::sign_error)
    }
}

fn signed_out(signed: core_sig::Signed) -> sessions::Signed {
    sessions::Signed {
        json: properties_json(&signed.properties),
        properties: convert::properties_out(signed.properties),
        notes: signed.notes.into_iter().map(convert::note).collect(),
        pss_salt_length: signed.pss_salt_length.and_then(|s| u32::try_from(s).ok()),
    }
}

/// Exactly what `glance-sig sign` prints (pretty, then a newline).
fn properties_json(props: &core_sig::SignatureProperties) -> String {
    glance_sig_core::report::json_text(&props.to_json())
}
