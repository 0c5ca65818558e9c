//! Algorithms that cursive and Nova still accept but that no longer give a signature the
//! strength it promises: RSA keys under 2048 bits, DSA, SHA-224, and SHA-1 in a certificate
//! chain. Named when signing (the signing session's notes, shown as warnings) and when
//! verifying (the report's warnings). Nova refuses none of them, so neither does glance-sig:
//! the scheme's refusals (SHA-1 as the image hash, unknown key types) live in `properties`.

use crate::certificate::Certificate;
use crate::note::Note;
use crate::properties::HashMethod;
use crate::public_key::{CertHash, PublicKey};

/// The smallest RSA modulus still approved for signing (NIST SP 800-131A since 2014).
pub const MIN_RSA_BITS: usize = 2048;

const ACCEPTED: &str = "cursive, Glance and Nova accept it today";

/// What is weak about a signature made by `key` with `hash`.
pub fn of_signature(key: &PublicKey, hash: HashMethod) -> Vec<Note> {
    let mut notes = Vec::new();
    match key {
        PublicKey::Rsa(rsa) => {
            use rsa::traits::PublicKeyParts;
            let bits = rsa.n().bits();
            if bits < MIN_RSA_BITS {
                notes.push(Note::new("weak-rsa-key", format!(
                    "the RSA key is {bits} bits, under the {MIN_RSA_BITS} bits NIST requires for signatures (SP 800-131A); {ACCEPTED}; sign with an RSA key of 3072 bits or an ECC_SECP384R1 key"
                )));
            }
        }
        PublicKey::Dsa(_) => notes.push(Note::new("weak-dsa", format!(
            "DSA is no longer approved for signatures (FIPS 186-5) and is leaving OpenSSL and cryptography; {ACCEPTED}; sign with RSA-PSS or ECDSA (ECC_SECP384R1)"
        ))),
        PublicKey::Ec(_) | PublicKey::Other { .. } => {}
    }
    if hash == HashMethod::Sha224 {
        notes.push(Note::new("weak-hash-sha224", format!(
            "SHA-224 gives 112-bit security, under the 128 bits of SHA-256; {ACCEPTED}; sign with SHA-256 or a longer hash"
        )));
    }
    notes
}

/// The certificates among `chain` (the signing certificate and those above it) that are
/// signed with SHA-1, which chosen-prefix collisions broke for signatures (2020).
pub fn of_chain<'c>(chain: impl IntoIterator<Item = &'c Certificate>) -> Vec<Note> {
    chain
        .into_iter()
        .filter(|c| c.signature_hash() == Some(CertHash::Sha1))
        .map(|c| Note::new("sha1-in-chain", format!(
            "the certificate {} is signed with SHA-1, which collisions broke for signatures; {ACCEPTED}; have it reissued with SHA-256",
            c.subject()
        )))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(name: &str) -> Certificate {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        Certificate::from_pem_or_der(&std::fs::read(path).expect("fixture")).expect("certificate")
    }

    fn codes(notes: &[Note]) -> Vec<&str> {
        notes.iter().map(|n| n.code.as_str()).collect()
    }

    #[test]
    fn strong_algorithms_have_nothing_to_say() {
        for (cert, hash) in [
            ("rsa2048-cert.pem", HashMethod::Sha256),
            ("p384-cert.pem", HashMethod::Sha384),
            ("p521-cert.pem", HashMethod::Sha512),
        ] {
            let c = certificate(cert);
            assert!(of_signature(c.public_key(), hash).is_empty(), "{cert}");
            assert!(of_chain([&c]).is_empty(), "{cert}");
        }
    }

    #[test]
    fn dsa_and_sha224_are_named() {
        let dsa = certificate("dsa2048-cert.pem");
        assert_eq!(
            codes(&of_signature(dsa.public_key(), HashMethod::Sha224)),
            ["weak-dsa", "weak-hash-sha224"]
        );
        let rsa = certificate("rsa2048-cert.pem");
        assert_eq!(
            codes(&of_signature(rsa.public_key(), HashMethod::Sha224)),
            ["weak-hash-sha224"]
        );
    }
}
