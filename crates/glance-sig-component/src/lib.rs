//! The glance-sig core as a WASI component: `openstack:image-signature@0.1.0` (`wit/`).
//!
//! A thin adapter: the generated bindings, the `Guest` implementations that hold core values
//! in resources, and the mapping from core types to WIT types ([`convert`]). All scheme logic
//! lives in `glance-sig-core`. The component does no I/O and reads no clock; its only import
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
    certificates, properties, self_test, signing, types, verification,
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

/// Nova's trusted certificates.
pub struct TrustStoreRes(RefCell<Vec<core_sig::Certificate>>);

/// A streaming verifier; a refusal before data is kept as the verdict.
pub struct VerifierRes(RefCell<VerifierState>);

enum VerifierState {
    Streaming(Box<core_sig::Verifier>),
    Decided(Box<core_sig::SignatureVerdict>),
    Finished,
}

/// The second pass after a failure.
pub struct ExplainerRes(RefCell<ExplainerState>);

enum ExplainerState {
    Active(Box<core_sig::Explainer>),
    NothingToExplain,
    Finished,
}

/// A private key.
pub struct PrivateKeyRes(core_sig::PrivateKey);

/// A streaming signer owning a copy of its key.
pub struct SignerRes(RefCell<Option<core_sig::Signer<'static>>>);

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
        // Exactly what `glance-sig sign` prints (render::json: pretty, then a newline).
        let value = convert::properties_in(properties).to_json();
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
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
    type TrustStore = TrustStoreRes;
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

impl certificates::GuestTrustStore for TrustStoreRes {
    fn new() -> Self {
        TrustStoreRes(RefCell::new(Vec::new()))
    }

    fn add(&self, certificate: certificates::CertificateBorrow<'_>) {
        self.0
            .borrow_mut()
            .push(certificate.get::<CertificateRes>().0.clone());
    }

    fn add_bundle(&self, certificates: Vec<u8>) -> Result<u32, certificates::CertificateError> {
        let found = core_sig::Certificate::all_from_pem_or_der(&certificates)
            .map_err(convert::certificate_error)?;
        let n = u32::try_from(found.len()).unwrap_or(u32::MAX);
        self.0.borrow_mut().extend(found);
        Ok(n)
    }

    fn validate(
        &self,
        certificate: certificates::CertificateBorrow<'_>,
        at: i64,
    ) -> certificates::ChainVerdict {
        let cert = &certificate.get::<CertificateRes>().0;
        convert::chain_verdict(core_sig::validate_chain_like_nova(
            cert,
            &self.0.borrow(),
            at,
        ))
    }
}

impl verification::Guest for Component {
    type Verifier = VerifierRes;
    type Explainer = ExplainerRes;
}

impl verification::GuestVerifier for VerifierRes {
    fn new(
        properties: types::SignatureProperties,
        certificate: verification::CertificateBorrow<'_>,
    ) -> Self {
        let props = convert::properties_in(properties);
        let key = certificate.get::<CertificateRes>().0.public_key();
        VerifierRes(RefCell::new(match core_sig::Verifier::new(&props, key) {
            Ok(v) => VerifierState::Streaming(Box::new(v)),
            // Refused before any data is read, as Glance answers at once.
            Err(r) => {
                VerifierState::Decided(Box::new(core_sig::SignatureVerdict::rejected(&props, r)))
            }
        }))
    }

    fn needs_data(&self) -> bool {
        matches!(*self.0.borrow(), VerifierState::Streaming(_))
    }

    fn update(&self, chunk: Vec<u8>) {
        if let VerifierState::Streaming(v) = &mut *self.0.borrow_mut() {
            v.update(&chunk);
        }
    }

    fn finish(&self) -> Result<verification::Verdict, verification::VerifyError> {
        match self.0.replace(VerifierState::Finished) {
            VerifierState::Streaming(v) => Ok(convert::verdict(v.finish())),
            VerifierState::Decided(verdict) => Ok(convert::verdict(*verdict)),
            VerifierState::Finished => Err(verification::VerifyError::AlreadyFinished),
        }
    }
}

impl verification::GuestExplainer for ExplainerRes {
    fn new(
        properties: types::SignatureProperties,
        certificate: verification::CertificateBorrow<'_>,
    ) -> Self {
        let props = convert::properties_in(properties);
        let key = certificate.get::<CertificateRes>().0.public_key();
        ExplainerRes(RefCell::new(match core_sig::Explainer::new(&props, key) {
            Some(ex) => ExplainerState::Active(Box::new(ex)),
            None => ExplainerState::NothingToExplain,
        }))
    }

    fn needs_data(&self) -> bool {
        matches!(*self.0.borrow(), ExplainerState::Active(_))
    }

    fn update(&self, chunk: Vec<u8>) {
        if let ExplainerState::Active(ex) = &mut *self.0.borrow_mut() {
            ex.update(&chunk);
        }
    }

    fn finish(&self) -> Result<Vec<verification::Diagnosis>, verification::VerifyError> {
        match self.0.replace(ExplainerState::Finished) {
            ExplainerState::Active(ex) => {
                Ok(ex.finish().into_iter().map(convert::diagnosis).collect())
            }
            ExplainerState::NothingToExplain => Ok(Vec::new()),
            ExplainerState::Finished => Err(verification::VerifyError::AlreadyFinished),
        }
    }
}

impl signing::Guest for Component {
    type PrivateKey = PrivateKeyRes;
    type Signer = SignerRes;

    fn is_encrypted(bytes: Vec<u8>) -> bool {
        core_sig::is_encrypted(&bytes)
    }
}

impl signing::GuestPrivateKey for PrivateKeyRes {
    fn parse(
        bytes: Vec<u8>,
        passphrase: Option<Vec<u8>>,
    ) -> Result<signing::PrivateKey, signing::KeyError> {
        core_sig::PrivateKey::from_bytes(&bytes, passphrase.as_deref())
            .map(|k| signing::PrivateKey::new(PrivateKeyRes(k)))
            .map_err(convert::key_error)
    }

    fn key_type(&self) -> types::KeyType {
        convert::key_type(self.0.key_type())
    }

    fn public_key(&self) -> types::KeyDescription {
        convert::key_description(self.0.public_key().describe())
    }

    fn matches(&self, certificate: signing::CertificateBorrow<'_>) -> bool {
        self.0
            .matches(certificate.get::<CertificateRes>().0.public_key())
    }
}

impl signing::GuestSigner for SignerRes {
    fn new(key: signing::PrivateKeyBorrow<'_>, hash_method: types::HashMethod) -> Self {
        let key = key.get::<PrivateKeyRes>().0.clone();
        SignerRes(RefCell::new(Some(core_sig::Signer::owning(
            key,
            convert::hash_method_in(hash_method),
        ))))
    }

    fn update(&self, chunk: Vec<u8>) {
        if let Some(s) = &mut *self.0.borrow_mut() {
            s.update(&chunk);
        }
    }

    fn finish(
        &self,
        certificate_uuid: String,
    ) -> Result<types::SignatureProperties, signing::SignError> {
        let signer = self.0.take().ok_or(signing::SignError::AlreadyFinished)?;
        signer
            .finish_properties(&mut rng::WasiRandom, &certificate_uuid)
            .map(convert::properties_out)
            .map_err(convert::sign_error)
    }
}

impl self_test::Guest for Component {
    fn hash_zeros(hash_method: types::HashMethod, length: u64) -> Vec<u8> {
        const BLOCK: usize = 1 << 20;
        let zeros = vec![0u8; BLOCK];
        let mut hasher = core_sig::ImageHasher::new(convert::hash_method_in(hash_method));
        let mut left = length;
        while left > 0 {
            let n = usize::try_from(left).map_or(BLOCK, |l| l.min(BLOCK));
            hasher.update(&zeros[..n]);
            left -= n as u64;
        }
        hasher.finalize().as_bytes().to_vec()
    }
}
