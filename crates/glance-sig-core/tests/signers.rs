//! Signers outside the core (tokens, KMS services, external commands) hand back signatures
//! in their own forms. The signing session makes each into what cursive verifies, verifies
//! it, and refuses to emit anything that does not verify.

#[path = "support/fixtures.rs"]
#[allow(dead_code)] // each test file uses some of them
mod fixtures;
use fixtures::{cert, key};

use glance_sig_core::{
    Certificate, DigestSigner, HashMethod, ImageDigest, PrivateKey, PublicKey, SignError,
    SigningSession, VerificationSession,
};
use rand_chacha::rand_core::{CryptoRngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use signature::hazmat::RandomizedPrehashSigner;

const AT_2030: i64 = 1_893_456_000;
const IMAGE: &[u8] = b"an image signed by a token";

/// A signer that signs with a real key and hands the signature back in its own shape.
struct Shaped<F> {
    key: PrivateKey,
    shape: F,
}

impl<F: Fn(&PrivateKey, &ImageDigest, &mut dyn CryptoRngCore) -> Vec<u8>> DigestSigner
    for Shaped<F>
{
    fn key_type(&self) -> glance_sig_core::KeyType {
        self.key.key_type()
    }
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
    fn sign_digest(
        &self,
        digest: &ImageDigest,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, SignError> {
        Ok((self.shape)(&self.key, digest, rng))
    }
}

fn sign_with(
    signer: impl DigestSigner,
    cert: &Certificate,
    hash: HashMethod,
    seed: u64,
) -> Result<glance_sig_core::Signed, SignError> {
    let mut s = SigningSession::new(signer, Some(cert), hash, "cert-id", AT_2030)?;
    s.update(IMAGE);
    s.finish(&mut ChaCha20Rng::seed_from_u64(seed))
}

/// What cursive's procedure, run by the verification session, says of the properties.
fn verifies(signed: &glance_sig_core::Signed, cert: &Certificate) -> bool {
    let mut v = VerificationSession::new(
        signed.properties.clone(),
        Some(cert.clone()),
        vec![],
        AT_2030,
    );
    while v.wants_data().is_some() {
        v.update(IMAGE);
        v.end_pass();
    }
    v.report().signature.valid
}

fn codes(signed: &glance_sig_core::Signed) -> Vec<&str> {
    signed.notes.iter().map(|n| n.code.as_str()).collect()
}

type Shape = fn(&PrivateKey, &ImageDigest, &mut dyn CryptoRngCore) -> Vec<u8>;

fn local(key: &PrivateKey, digest: &ImageDigest, rng: &mut dyn CryptoRngCore) -> Vec<u8> {
    key.sign_digest(digest, rng).expect("local key signs")
}

#[test]
fn raw_ecdsa_from_a_token_is_made_der_and_verifies() {
    for (k, c, hash) in [
        ("p384-key.pem", "p384-cert.pem", HashMethod::Sha384),
        ("p521-key.pem", "p521-cert.pem", HashMethod::Sha512),
        ("p521-key.pem", "p521-cert.pem", HashMethod::Sha224),
    ] {
        let raw = |key: &PrivateKey, d: &ImageDigest, rng: &mut dyn CryptoRngCore| {
            let der = local(key, d, rng);
            match key {
                PrivateKey::P384(_) => p384::ecdsa::Signature::from_der(&der)
                    .expect("DER")
                    .to_bytes()
                    .to_vec(),
                PrivateKey::P521(_) => p521::ecdsa::Signature::from_der(&der)
                    .expect("DER")
                    .to_bytes()
                    .to_vec(),
                _ => unreachable!("EC fixtures only"),
            }
        };
        let cert = cert(c);
        let signed = sign_with(
            Shaped {
                key: key(k),
                shape: raw,
            },
            &cert,
            hash,
            7,
        )
        .expect("signs");
        assert!(verifies(&signed, &cert), "{k} {hash}");
        // SHA-224 is also named as weak, before the signature is made.
        let weak = (hash == HashMethod::Sha224).then_some("weak-hash-sha224");
        let expected: Vec<&str> = weak
            .into_iter()
            .chain(["signature-converted-to-der"])
            .collect();
        assert_eq!(codes(&signed), expected, "{k}");
    }
}

#[test]
fn a_digest_length_pss_salt_from_a_kms_is_kept_and_reported() {
    let kms = |key: &PrivateKey, d: &ImageDigest, rng: &mut dyn CryptoRngCore| {
        let PrivateKey::Rsa(k) = key else {
            unreachable!("RSA fixture")
        };
        let mut rng = rng;
        k.sign_with_rng(&mut rng, rsa::Pss::new::<sha2::Sha256>(), d.as_bytes())
            .expect("PSS signs")
    };
    let cert = cert("rsa2048-cert.pem");
    let signed = sign_with(
        Shaped {
            key: key("rsa2048-key.pem"),
            shape: kms,
        },
        &cert,
        HashMethod::Sha256,
        3,
    )
    .expect("signs");
    assert!(verifies(&signed, &cert));
    assert_eq!(signed.pss_salt_length, Some(32));
    assert_eq!(codes(&signed), ["pss-salt-not-maximum"]);
    // A local key signs with the maximum salt, and says nothing.
    let local = sign_with(key("rsa2048-key.pem"), &cert, HashMethod::Sha256, 3).expect("signs");
    assert_eq!(local.pss_salt_length, Some(256 - 32 - 2));
    assert!(local.notes.is_empty());
}

#[test]
fn an_rsa_signature_without_its_leading_zero_is_padded_back() {
    let stripped = |key: &PrivateKey, d: &ImageDigest, rng: &mut dyn CryptoRngCore| {
        let sig = local(key, d, rng);
        sig.iter().skip_while(|&&b| b == 0).copied().collect()
    };
    let cert = cert("rsa2048-cert.pem");
    // About one signature in 256 starts with a zero byte: find a seed that gives one.
    let seed = (0..4096u64)
        .find(|&seed| {
            let k = key("rsa2048-key.pem");
            let mut s = SigningSession::new(&k, Some(&cert), HashMethod::Sha256, "id", AT_2030)
                .expect("test fixture");
            s.update(IMAGE);
            let sig = s
                .finish(&mut ChaCha20Rng::seed_from_u64(seed))
                .expect("test fixture");
            let bytes = glance_sig_core::base64::decode_lenient(
                sig.properties.signature.as_deref().expect("test fixture"),
            )
            .expect("test fixture");
            bytes[0] == 0
        })
        .expect("a signature with a leading zero among 4096");
    let signed = sign_with(
        Shaped {
            key: key("rsa2048-key.pem"),
            shape: stripped,
        },
        &cert,
        HashMethod::Sha256,
        seed,
    )
    .expect("signs");
    assert!(verifies(&signed, &cert));
    assert_eq!(codes(&signed), ["signature-left-padded"]);
}

#[test]
fn what_does_not_verify_is_refused_with_what_the_signer_must_do() {
    let cert = cert("rsa2048-cert.pem");
    let cases: [(&str, Shape, &str); 5] = [
        ("junk", |_, _, _| b"not a signature".to_vec(), "RSASSA-PSS"),
        ("nothing", |_, _, _| Vec::new(), "no bytes"),
        (
            "too long",
            |k, d, r| {
                let mut s = local(k, d, r);
                s.push(0);
                s
            },
            "longer than the key's 256-byte modulus",
        ),
        (
            "PKCS#1 v1.5",
            |k, d, _| {
                let PrivateKey::Rsa(k) = k else {
                    unreachable!()
                };
                k.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), d.as_bytes())
                    .expect("test fixture")
            },
            "not PKCS#1 v1.5",
        ),
        (
            "hashed twice",
            |k, d, r| {
                use sha2::Digest;
                let PrivateKey::Rsa(k) = k else {
                    unreachable!()
                };
                let twice = sha2::Sha256::digest(d.as_bytes());
                let mut r = r;
                k.sign_with_rng(&mut r, rsa::Pss::new::<sha2::Sha256>(), &twice)
                    .expect("test fixture")
            },
            "RSASSA-PSS and SHA-256",
        ),
    ];
    for (name, shape, says) in cases {
        let err = sign_with(
            Shaped {
                key: key("rsa2048-key.pem"),
                shape,
            },
            &cert,
            HashMethod::Sha256,
            1,
        )
        .expect_err(name);
        assert!(
            matches!(err, SignError::InvalidSignature { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(says), "{name}: {err}");
    }
    // ECDSA: junk of the raw length is neither form.
    let cert = cert_ec();
    let err = sign_with(
        Shaped {
            key: key("p384-key.pem"),
            shape: (|_, _, _| vec![1u8; 96]) as Shape,
        },
        &cert,
        HashMethod::Sha384,
        1,
    )
    .expect_err("junk");
    assert!(
        err.to_string()
            .contains("neither as a DER P-384 signature nor as raw r||s"),
        "{err}"
    );
}

fn cert_ec() -> Certificate {
    cert("p384-cert.pem")
}

#[test]
fn a_signer_outside_the_session_finishes_with_its_signature() {
    let k = key("p384-key.pem");
    let cert = cert("p384-cert.pem");
    let mut s = SigningSession::new(&k, Some(&cert), HashMethod::Sha256, "cert-id", AT_2030)
        .expect("test fixture");
    s.update(IMAGE);
    let digest = s.digest();
    let PrivateKey::P384(sk) = &k else {
        unreachable!()
    };
    let mut padded = vec![0u8; 48 - 32];
    padded.extend_from_slice(digest.as_bytes());
    let sig: p384::ecdsa::Signature = sk
        .sign_prehash_with_rng(&mut ChaCha20Rng::seed_from_u64(2), &padded)
        .expect("test fixture");
    let signed = s.finish_with(sig.to_bytes().to_vec()).expect("verifies");
    assert!(verifies(&signed, &cert));
    let mut s = SigningSession::new(&k, Some(&cert), HashMethod::Sha256, "cert-id", AT_2030)
        .expect("test fixture");
    s.update(b"other data");
    assert!(matches!(
        s.finish_with(sig.to_bytes().to_vec()),
        Err(SignError::InvalidSignature { .. })
    ));
}
