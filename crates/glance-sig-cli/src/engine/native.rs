//! The core's sessions, in this process.

use glance_sig_core::{
    Certificate, Note, PrivateKey, Report, SignError, SignatureProperties, SigningSession,
    VerificationSession,
};
use rand_core::OsRng;

use crate::engine::{Engine, SignOutcome, SignRefusal, SignRequest, SigningKey, VerifyRequest};
use crate::error::CliError;
use crate::io::image::ImageSource;

/// The core, compiled into this binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Native;

impl Engine for Native {
    type Cert = Certificate;
    type Key = PrivateKey;

    fn properties(&mut self, json: &[u8]) -> Result<Result<SignatureProperties, String>, CliError> {
        Ok(SignatureProperties::from_json(json).map_err(|e| e.to_string()))
    }

    fn certificate(&mut self, bytes: &[u8]) -> Result<Result<Certificate, String>, CliError> {
        Ok(Certificate::from_pem_or_der(bytes).map_err(|e| e.to_string()))
    }

    fn certificates(&mut self, bytes: &[u8]) -> Result<Result<Vec<Certificate>, String>, CliError> {
        Ok(Certificate::all_from_pem_or_der(bytes).map_err(|e| e.to_string()))
    }

    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<PrivateKey, String>, CliError> {
        Ok(PrivateKey::from_bytes(bytes, passphrase).map_err(|e| e.to_string()))
    }

    fn verify(
        &mut self,
        request: VerifyRequest<'_, Certificate>,
        image: &mut dyn ImageSource,
    ) -> Result<Report, CliError> {
        let mut session = VerificationSession::new(
            request.properties,
            request.certificate.cloned(),
            request.anchors.to_vec(),
            request.at,
        )
        .explain_failures(request.explain);
        while let Some(pass) = session.wants_data() {
            image
                .open(pass.label())?
                .feed(|chunk| session.update(chunk))?;
            session.end_pass();
        }
        Ok(session.report())
    }

    fn sign(
        &mut self,
        request: SignRequest<'_, PrivateKey, Certificate>,
        notes: &mut dyn FnMut(&Note),
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignOutcome, SignRefusal>, CliError> {
        let (hash, uuid, at) = (request.hash, request.certificate_uuid, request.at);
        let (session, outside) = match (request.key, request.certificate) {
            (SigningKey::Parsed(key), cert) => {
                (SigningSession::new(key, cert, hash, uuid, at), None)
            }
            (SigningKey::Outside(signer), Some(cert)) => {
                (SigningSession::outside(cert, hash, uuid, at), Some(signer))
            }
            (SigningKey::Outside(_), None) => return Ok(Err(SignRefusal::NoCertificate)),
        };
        let mut session = match session {
            Ok(s) => s,
            Err(e) => return Ok(Err(refusal(e))),
        };
        let told = session.notes().len();
        session.notes().iter().for_each(&mut *notes);
        image.open("signing")?.feed(|chunk| session.update(chunk))?;
        let signed = match outside {
            None => session.finish(&mut OsRng),
            Some(sign) => {
                let signature = sign(session.digest().as_bytes())?;
                session.finish_with(signature)
            }
        };
        Ok(signed.map_err(refusal).map(|signed| SignOutcome {
            properties: signed.properties,
            notes: signed.notes.into_iter().skip(told).collect(),
            pss_salt_length: signed.pss_salt_length,
        }))
    }
}

fn refusal(e: SignError) -> SignRefusal {
    let message = e.to_string();
    match e {
        SignError::KeyMismatch { .. } => SignRefusal::KeyMismatch(message),
        SignError::NoCertificateId => SignRefusal::NoCertificateId(message),
        SignError::InvalidSignature { .. } | SignError::NoKeyType { .. } => {
            SignRefusal::Unusable(message)
        }
        _ => SignRefusal::Failed(message),
    }
}
