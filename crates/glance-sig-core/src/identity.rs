//! A throw-away signing identity for test clouds: a fresh ECDSA P-384 key and a self-signed
//! certificate for it, made with x509-cert's builder. The portal offers it so a user can try
//! the whole flow without a CA; the key never leaves the process that made it.

use std::str::FromStr;
use std::time::Duration;

use der::asn1::{SetOfVec, UtcTime, Utf8StringRef};
use der::{Any, Encode};
use rand_core::CryptoRngCore;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use crate::certificate::Certificate;
use crate::error::SignError;
use crate::private_key::PrivateKey;

/// The organization every test certificate names, so nobody mistakes one for a real CA's.
pub const TEST_ORGANIZATION: &str = "glance-sig test key (self-signed, not for production)";

/// A new P-384 key and a self-signed certificate for `common_name`, valid from a minute
/// before `now` (Unix seconds) for `days` days. The certificate is CA:TRUE with keyUsage
/// digitalSignature and keyCertSign: Nova accepts a self-signed signing certificate only
/// when it is itself among the trusted certificates, and then requires CA:TRUE.
///
/// # Errors
/// [`SignError::Crypto`] when a value cannot be encoded (a name of more than 64 characters,
/// a date past 2049).
pub fn test_identity(
    rng: &mut dyn CryptoRngCore,
    common_name: &str,
    now: i64,
    days: u32,
) -> Result<(PrivateKey, Certificate), SignError> {
    let fail = |e: &dyn std::fmt::Display| SignError::Crypto {
        detail: format!("cannot make the test certificate: {e}"),
    };
    let mut rng = rng;
    let key = p384::ecdsa::SigningKey::random(&mut rng);
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    let serial = SerialNumber::new(&serial).map_err(|e| fail(&e))?;

    let at = |unix: i64| -> Result<Time, SignError> {
        let secs = u64::try_from(unix).map_err(|e| fail(&e))?;
        let utc = UtcTime::from_unix_duration(Duration::from_secs(secs)).map_err(|e| fail(&e))?;
        Ok(Time::UtcTime(utc))
    };
    let validity = Validity {
        not_before: at(now - 60)?,
        not_after: at(now + i64::from(days) * 86_400)?,
    };
    let subject = name(common_name).map_err(|e| fail(&e))?;
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).map_err(|e| fail(&e))?;
    let mut builder = CertificateBuilder::new(
        Profile::Manual { issuer: None },
        serial,
        validity,
        subject,
        spki,
        &key,
    )
    .map_err(|e| fail(&e))?;
    builder
        .add_extension(&BasicConstraints {
            ca: true,
            path_len_constraint: None,
        })
        .map_err(|e| fail(&e))?;
    builder
        .add_extension(&KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyCertSign,
        ))
        .map_err(|e| fail(&e))?;
    let cert = builder
        .build::<p384::ecdsa::DerSignature>()
        .map_err(|e| fail(&e))?;
    let der = cert.to_der().map_err(|e| fail(&e))?;
    let cert = Certificate::from_der(&der).map_err(|e| fail(&e))?;
    Ok((PrivateKey::P384(key), cert))
}

/// `CN=<common name>, O=<test organization>`, built from values, not parsed from text, so a
/// name with commas or equals signs stays one attribute.
fn name(common_name: &str) -> der::Result<Name> {
    let rdn = |oid: &str, value: &str| -> der::Result<RelativeDistinguishedName> {
        let atv = AttributeTypeAndValue {
            oid: der::oid::ObjectIdentifier::from_str(oid)
                .map_err(|_| der::Error::from(der::ErrorKind::OidMalformed))?,
            value: Any::from(Utf8StringRef::new(value)?),
        };
        Ok(RelativeDistinguishedName::from(SetOfVec::try_from(vec![
            atv,
        ])?))
    };
    Ok(RdnSequence(vec![
        rdn("2.5.4.10", TEST_ORGANIZATION)?,
        rdn("2.5.4.3", common_name)?,
    ]))
}

#[cfg(test)]
mod tests {
    use rand_chacha::rand_core::SeedableRng;

    use super::*;
    use crate::chain::validate_chain_like_nova;

    #[test]
    fn test_identity_is_a_matching_self_signed_ca_nova_accepts() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let now = 1_800_000_000;
        let (key, cert) = test_identity(&mut rng, "alice, test=1", now, 30).expect("made");
        assert!(key.matches(cert.public_key()));
        assert!(cert.subject().contains("alice"));
        assert!(cert.is_self_issued());
        assert_eq!(cert.basic_constraints().map(|c| c.ca), Some(true));
        assert_eq!(cert.key_cert_sign(), Some(true));
        assert_eq!(cert.digital_signature(), Some(true));
        assert_eq!(cert.not_after() - now, 30 * 86_400);
        // Trusted as itself, it validates; at a time after its dates, it does not.
        assert!(validate_chain_like_nova(&cert, std::slice::from_ref(&cert), now).valid);
        assert!(
            !validate_chain_like_nova(&cert, std::slice::from_ref(&cert), now + 31 * 86_400).valid
        );
    }
}
