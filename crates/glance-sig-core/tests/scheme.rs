//! Sign, verify, explain and validate chains through the public API, with keys and
//! certificates made by Python's cryptography (see data/make.py).

#[path = "support/fixtures.rs"]
#[allow(dead_code)] // each test file uses some of them
mod fixtures;
use fixtures::{cert, data, key};

use glance_sig_core::{
    base64, validate_chain_like_nova, Certificate, CertificateError, ChainError, Diagnosis,
    Explainer, HashMethod, KeyError, KeyType, PrivateKey, Rejection, SignatureProperties, Signer,
    Verifier,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn image() -> Vec<u8> {
    (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn sign(key: &PrivateKey, hash: HashMethod, img: &[u8]) -> SignatureProperties {
    let mut s = Signer::new(key, hash);
    for chunk in img.chunks(65_536) {
        s.update(chunk);
    }
    s.finish_properties(
        &mut ChaCha20Rng::seed_from_u64(7),
        "11111111-2222-3333-4444-555555555555",
    )
    .expect("signs")
}

fn verify(
    props: &SignatureProperties,
    cert: &Certificate,
    img: &[u8],
) -> Result<glance_sig_core::SignatureVerdict, Rejection> {
    let mut v = Verifier::new(props, cert.public_key())?;
    for chunk in img.chunks(1_000_003) {
        v.update(chunk);
    }
    Ok(v.finish())
}

/// Whether the properties are accepted and the signature verifies.
fn valid(props: &SignatureProperties, cert: &Certificate, img: &[u8]) -> bool {
    verify(props, cert, img).expect("accepted").signature.valid
}

fn explain(props: &SignatureProperties, cert: &Certificate, img: &[u8]) -> Vec<Diagnosis> {
    let mut ex = Explainer::new(props, cert.public_key()).expect("explainable");
    ex.update(img);
    ex.finish()
}

const PAIRS: [(&str, &str, KeyType); 4] = [
    ("rsa2048-key.pem", "rsa2048-cert.pem", KeyType::RsaPss),
    ("p384-key.pem", "p384-cert.pem", KeyType::EccSecp384r1),
    ("p521-key.pem", "p521-cert.pem", KeyType::EccSecp521r1),
    ("dsa2048-key.pem", "dsa2048-cert.pem", KeyType::Dsa),
];

#[test]
fn every_key_type_and_hash_round_trips() {
    let img = image();
    for (k, c, kt) in PAIRS {
        let key = key(k);
        let cert = cert(c);
        assert!(key.matches(cert.public_key()), "{k} matches {c}");
        for hash in HashMethod::ALL {
            let props = sign(&key, hash, &img);
            assert_eq!(props.key_type.as_deref(), Some(kt.name()));
            assert_eq!(props.hash_method.as_deref(), Some(hash.name()));
            let verdict = verify(&props, &cert, &img).expect("properties accepted");
            assert!(verdict.signature.valid, "{k} {hash}");
            if kt == KeyType::RsaPss {
                let pss = verdict.signature.pss.expect("PSS report");
                assert_eq!(
                    pss.salt_length,
                    Some(pss.max_salt_length),
                    "we sign with the maximum salt"
                );
                assert!(pss.accepted_by_older_clouds);
            }
        }
    }
}

#[test]
fn empty_image_signs_and_verifies() {
    let key = key("p384-key.pem");
    let props = sign(&key, HashMethod::Sha384, b"");
    assert!(valid(&props, &cert("p384-cert.pem"), b""));
}

#[test]
fn tampered_truncated_and_extended_data_fail_and_rsa_says_data_changed() {
    let img = image();
    for (k, c, kt) in PAIRS {
        let props = sign(&key(k), HashMethod::Sha256, &img);
        let cert = cert(c);
        let mut tampered = img.clone();
        tampered[150_000] ^= 1;
        let mut extended = img.clone();
        extended.push(0);
        for bad in [&tampered[..], &img[..img.len() - 1], &extended[..]] {
            let verdict = verify(&props, &cert, bad).expect("properties accepted");
            assert!(!verdict.signature.valid, "{k}");
            assert_eq!(verdict.rejection, Some(Rejection::SignatureMismatch));
            let diagnosis = explain(&props, &cert, bad);
            let expected = if kt == KeyType::RsaPss {
                Diagnosis::DataChanged
            } else {
                Diagnosis::DataChangedOrOtherKey
            };
            assert_eq!(diagnosis, vec![expected], "{k}");
        }
    }
}

#[test]
fn another_key_is_a_certificate_mismatch() {
    let img = image();
    let props = sign(&key("rsa-other-key.pem"), HashMethod::Sha256, &img);
    let cert = cert("rsa2048-cert.pem");
    assert!(!valid(&props, &cert, &img));
    assert_eq!(
        explain(&props, &cert, &img),
        vec![Diagnosis::CertificateMismatch]
    );
    assert!(!key("rsa-other-key.pem").matches(cert.public_key()));
}

#[test]
fn wrong_hash_name_is_diagnosed() {
    let img = image();
    let mut props = sign(&key("p521-key.pem"), HashMethod::Sha384, &img);
    props.hash_method = Some("SHA-256".to_owned());
    let cert = cert("p521-cert.pem");
    assert!(!valid(&props, &cert, &img));
    assert_eq!(
        explain(&props, &cert, &img),
        vec![Diagnosis::OtherHashMethod {
            actual: HashMethod::Sha384,
            named: Some(HashMethod::Sha256)
        }]
    );
}

#[test]
fn rejections_come_in_cursives_order_with_its_wording() {
    let img = image();
    let good = sign(&key("rsa2048-key.pem"), HashMethod::Sha256, &img);
    let cert = cert("rsa2048-cert.pem");
    let with = |f: &dyn Fn(&mut SignatureProperties)| {
        let mut p = good.clone();
        f(&mut p);
        Verifier::new(&p, cert.public_key())
            .err()
            .expect("rejected")
    };

    // Each change to a good set, the code it is refused with, and how cursive's message ends.
    type Change = dyn Fn(&mut SignatureProperties);
    let cases: [(&Change, &str, &str); 7] = [
        (
            &|p| {
                p.certificate_uuid = None;
                p.hash_method = None;
            },
            "missing-property",
            "Missing property: img_signature_uuid.",
        ),
        (
            &|p| {
                p.signature = Some("QQ".to_owned());
                p.hash_method = Some("sha256".to_owned());
            },
            "invalid-base64",
            "failed: The signature data was not properly encoded using base64.",
        ),
        (
            &|p| {
                p.hash_method = Some("sha256".to_owned());
                p.key_type = Some("RSA".to_owned());
            },
            "invalid-hash-method",
            "failed: Invalid signature hash method: sha256.",
        ),
        (
            &|p| p.key_type = Some("ECC_SECT571K1".to_owned()),
            "binary-curve-removed",
            "",
        ),
        (
            &|p| p.key_type = Some("ECC_SECP256R1".to_owned()),
            "invalid-key-type",
            "",
        ),
        (
            &|p| {
                p.key_type = Some("ECC_SECP384R1".to_owned());
                p.signature = Some(String::new());
            },
            "public-key-type-mismatch",
            "",
        ),
        (
            &|p| p.signature = Some(String::new()),
            "empty-signature",
            "",
        ),
    ];
    for (change, code, message_end) in cases {
        let r = with(change);
        assert_eq!(r.code(), code);
        let message = r.cursive_message();
        assert!(
            message.starts_with("Signature verification for the image failed: "),
            "{message}"
        );
        assert!(message.ends_with(message_end), "{code}: {message}");
        match code {
            "invalid-hash-method" => assert!(r.to_string().contains("did you mean SHA-256")),
            "public-key-type-mismatch" => assert!(r.fix().contains("RSA-PSS")),
            _ => {}
        }
    }
}

#[test]
fn multi_line_base64_is_read_as_cursive_reads_it() {
    let img = image();
    let mut props = sign(&key("rsa2048-key.pem"), HashMethod::Sha512, &img);
    let sig = props.signature.clone().expect("signed");
    let wrapped: String = sig
        .as_bytes()
        .chunks(64)
        .map(|l| String::from_utf8_lossy(l).into_owned() + "\n ")
        .collect();
    props.signature = Some(wrapped);
    let verdict = verify(&props, &cert("rsa2048-cert.pem"), &img).expect("accepted");
    assert!(verdict.signature.valid);
    assert!(verdict
        .warnings
        .iter()
        .any(|w| w.code == "non-canonical-base64"));
    assert_eq!(
        base64::decode_lenient(props.signature.as_deref().unwrap_or_default()).ok(),
        base64::decode_lenient(&sig).ok()
    );
}

#[test]
fn key_formats() {
    let reference = key("rsa2048-key.pem").public_key();
    assert!(key("rsa2048-pkcs1-key.pem").matches(&reference));
    assert!(key("p384-sec1-key.pem").matches(&key("p384-key.pem").public_key()));
    assert!(key("dsa2048-openssl-key.pem").matches(&key("dsa2048-key.pem").public_key()));

    let enc = data("p384-encrypted-key.pem");
    assert!(glance_sig_core::is_encrypted(&enc));
    assert_eq!(
        PrivateKey::from_bytes(&enc, None).err(),
        Some(KeyError::PassphraseRequired)
    );
    assert_eq!(
        PrivateKey::from_bytes(&enc, Some(b"wrong")).err(),
        Some(KeyError::WrongPassphrase)
    );
    let k = PrivateKey::from_bytes(&enc, Some(b"correct horse")).expect("decrypts");
    assert_eq!(k.key_type(), KeyType::EccSecp384r1);

    // A certificate given as the key says what it found.
    match PrivateKey::from_bytes(&data("p384-cert.pem"), None) {
        Err(KeyError::NotAKey { found }) => assert_eq!(found, vec!["CERTIFICATE".to_owned()]),
        other => panic!("{other:?}"),
    }
    assert!(Certificate::from_pem_or_der(&data("rsa2048-cert.der"))
        .expect("DER")
        .public_key()
        .same_key(&reference));
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let pem = String::from_utf8(data("rsa2048-key.pem")).expect("text");
    let truncated = &pem[..pem.len() / 2];
    assert!(PrivateKey::from_bytes(truncated.as_bytes(), None).is_err());
    assert_eq!(
        PrivateKey::from_bytes(b"", None).err(),
        Some(KeyError::Empty)
    );
    assert_eq!(
        Certificate::from_pem_or_der(b"  \n").err(),
        Some(CertificateError::Empty)
    );
    let cert_pem = String::from_utf8(data("rsa2048-cert.pem")).expect("text");
    assert!(Certificate::from_pem_or_der(&cert_pem.as_bytes()[..cert_pem.len() - 40]).is_err());
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    for len in [1usize, 2, 10, 100, 1000, 5000] {
        for _ in 0..50 {
            let mut junk = vec![0u8; len];
            rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut junk);
            if len > 1 {
                junk[0] = 0x30; // look like DER to reach the deeper parsers
            }
            let _ = PrivateKey::from_bytes(&junk, Some(b"x"));
            let _ = Certificate::from_pem_or_der(&junk);
            let _ = SignatureProperties::from_json(&junk);
            let _ = glance_sig_core::PublicKey::from_spki_der(&junk);
        }
    }
}

const AT_2030: i64 = 1_893_456_000;

#[test]
fn nova_chain_validation() {
    let root = cert("chain-root.pem");
    let inter = cert("chain-inter.pem");
    let leaf = cert("chain-leaf.pem");
    let trusted = vec![root.clone(), inter.clone()];

    let v = validate_chain_like_nova(&leaf, &trusted, AT_2030);
    assert!(v.valid, "{v:?}");
    assert_eq!(
        v.path,
        vec!["CN=Test Leaf", "CN=Test Intermediate", "CN=Test Root"]
    );

    let v = validate_chain_like_nova(&cert("chain-leaf-expired.pem"), &trusted, AT_2030);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("certificate-expired")
    );

    let v = validate_chain_like_nova(&leaf, &trusted, 1_000_000_000);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("certificate-not-yet-valid")
    );

    let v = validate_chain_like_nova(&leaf, std::slice::from_ref(&root), AT_2030);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("issuer-not-found")
    );

    // Only an intermediate trusted: the chain must end at a trusted self-signed root.
    let v = validate_chain_like_nova(&leaf, std::slice::from_ref(&inter), AT_2030);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("issuer-not-found")
    );

    let v = validate_chain_like_nova(&cert("chain-leaf-forged.pem"), &trusted, AT_2030);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("issuer-not-found")
    );

    // The leaf is no CA: trusting it does not make it its own issuer.
    let v = validate_chain_like_nova(&cert("p384-cert.pem"), &[cert("p384-cert.pem")], AT_2030);
    assert!(!v.valid);
    assert_eq!(v.skipped_trusted.len(), 1);

    // Trusted certificates out of their dates are skipped.
    let v = validate_chain_like_nova(&leaf, &trusted, 2_300_000_000);
    assert_eq!(
        v.error.as_ref().map(ChainError::code),
        Some("certificate-expired")
    );
}

/// An encrypted key file can ask for any key-derivation cost; the ones no sane file asks for
/// are refused before any derivation runs (this test would take hours otherwise).
#[test]
fn encrypted_keys_that_cost_too_much_to_open_are_refused() {
    use der::Encode;
    use pkcs8::pkcs5::pbes2::{self, Kdf, Pbkdf2Params, Pbkdf2Prf, ScryptParams};
    use pkcs8::pkcs5::EncryptionScheme;
    let (salt, iv, data) = ([7u8; 16], [9u8; 16], [0u8; 48]);
    let aes = pbes2::EncryptionScheme::Aes256Cbc { iv: &iv };
    // As a key file may hold them: pkcs5's constructor caps the count, its decoder does not.
    let pbkdf2 = |iteration_count| {
        Kdf::Pbkdf2(Pbkdf2Params {
            salt: &salt,
            iteration_count,
            key_length: None,
            prf: Pbkdf2Prf::HmacWithSha256,
        })
    };
    let scrypt = |log_n: u64, r: u16, p: u16| {
        Kdf::Scrypt(ScryptParams {
            salt: &salt,
            cost_parameter: 1 << log_n,
            block_size: r,
            parallelization: p,
            key_length: Some(32),
        })
    };
    for (kdf, refused) in [
        (pbkdf2(u32::MAX), Some("4294967295 PBKDF2 iterations")),
        (pbkdf2(600_000), None),
        (scrypt(24, 8, 1), Some("16384 MiB of scrypt memory")),
        (scrypt(14, 8, 64), Some("scrypt parallelization 64")),
        (scrypt(14, 8, 1), None),
    ] {
        let info = pkcs8::EncryptedPrivateKeyInfo {
            encryption_algorithm: EncryptionScheme::Pbes2(pbes2::Parameters {
                kdf,
                encryption: aes,
            }),
            encrypted_data: &data,
        };
        let der = info.to_der().expect("encodes");
        let err = PrivateKey::from_bytes(&der, Some(b"passphrase")).expect_err("no key inside");
        match refused {
            Some(cost) => {
                assert!(matches!(err, KeyError::KdfTooCostly { .. }), "{err:?}");
                assert!(err.to_string().contains(cost), "{err}");
            }
            // Within the limits the derivation runs, and the garbage inside fails to decrypt.
            None => assert!(matches!(err, KeyError::WrongPassphrase), "{err:?}"),
        }
    }
}
