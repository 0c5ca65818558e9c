//! The scheme's own parsers: image properties, base64, certificates, keys.

use glance_sig_core::{
    base64 as b64, is_encrypted, validate_chain_like_nova, Certificate, PrivateKey, PublicKey,
    SignatureProperties,
};

/// A fixed instant (2026-01-01), so a run is reproducible.
const NOW: i64 = 1_767_225_600;

/// A properties file (`verify --properties`, `inspect`): parses, and what parses survives
/// being written out as JSON and read back.
pub fn properties_json(data: &[u8]) -> bool {
    let Ok(props) = SignatureProperties::from_json(data) else {
        return false;
    };
    let _ = props.signing_state();
    let again = SignatureProperties::from_json(props.to_json().to_string().as_bytes())
        .expect("a parsed property set, written out, parses again");
    assert_eq!(
        again.to_map(),
        props.to_map(),
        "properties change on a round trip"
    );
    true
}

/// `img_signature` as Glance stores it: decoding is lenient as cursive's is, and what
/// decodes encodes back canonically to the same bytes.
pub fn base64(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let _ = b64::is_canonical(&text);
    let Ok(bytes) = b64::decode_lenient(&text) else {
        return false;
    };
    let canonical = b64::encode(&bytes);
    assert!(b64::is_canonical(&canonical), "encode() is not canonical");
    assert_eq!(
        b64::decode_lenient(&canonical).ok(),
        Some(bytes),
        "round trip"
    );
    true
}

/// A certificate file or Barbican payload, PEM or DER, one or many: parses, every accessor
/// a report shows answers, PEM round-trips, and Nova's chain check runs to a verdict.
pub fn certificate(data: &[u8]) -> bool {
    let Ok(certificates) = Certificate::all_from_pem_or_der(data) else {
        return false;
    };
    for certificate in &certificates {
        let _ = certificate.info(NOW);
        let _ = (
            certificate.subject(),
            certificate.issuer(),
            certificate.serial(),
        );
        let _ = (certificate.basic_constraints(), certificate.key_cert_sign());
        let _ = (
            certificate.digital_signature(),
            certificate.is_self_issued(),
        );
        let _ = certificate.fingerprint_sha256();
        let again = Certificate::from_pem_or_der(certificate.to_pem().as_bytes())
            .expect("a parsed certificate, written as PEM, parses again");
        assert_eq!(
            again.der(),
            certificate.der(),
            "PEM round trip changes the DER"
        );
    }
    if let Some((leaf, rest)) = certificates.split_first() {
        let verdict = validate_chain_like_nova(leaf, rest, NOW);
        assert!(
            !verdict.path.is_empty(),
            "a chain verdict names at least the leaf"
        );
    }
    true
}

/// A private key file in any format, plain or encrypted, and a bare public key (SPKI DER):
/// loads or is refused; what loads names its key type and public key.
pub fn private_key(data: &[u8]) -> bool {
    let _ = is_encrypted(data);
    let mut loaded = false;
    for passphrase in [None, Some(&b"fuzz"[..])] {
        if let Ok(key) = PrivateKey::from_bytes(data, passphrase) {
            let _ = key.key_type();
            let _ = key.public_key();
            loaded = true;
        }
    }
    if let Ok(key) = PublicKey::from_spki_der(data) {
        let _ = key.key_type();
        loaded = true;
    }
    loaded
}
