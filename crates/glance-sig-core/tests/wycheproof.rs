//! Wycheproof vectors for RSA-PSS, ECDSA P-384/P-521 and DSA, run through the core's own
//! verify path: the four properties, `Verifier::new`, `update`, `finish`.
//!
//! Groups whose parameters the scheme cannot express (MGF1 with another hash, SHA-1,
//! SHA-512/t, SHA-3, SHAKE, P1363 encodings) are skipped, and counted so that a change
//! in the crate that silently skips everything fails.

use glance_sig_core::{base64, HashMethod, KeyType, PublicKey, SignatureProperties, Verifier};
use wycheproof::{HashFunction, TestResult};

fn hash_method(h: HashFunction) -> Option<HashMethod> {
    match h {
        HashFunction::Sha2_224 => Some(HashMethod::Sha224),
        HashFunction::Sha2_256 => Some(HashMethod::Sha256),
        HashFunction::Sha2_384 => Some(HashMethod::Sha384),
        HashFunction::Sha2_512 => Some(HashMethod::Sha512),
        _ => None,
    }
}

/// Our verdict through the full verify path (a rejection before hashing counts as invalid).
fn verdict(
    key: &PublicKey,
    key_type: KeyType,
    hash: HashMethod,
    msg: &[u8],
    sig: &[u8],
) -> (bool, Option<usize>) {
    let props = SignatureProperties {
        signature: Some(base64::encode(sig)),
        hash_method: Some(hash.name().to_owned()),
        key_type: Some(key_type.name().to_owned()),
        certificate_uuid: Some("wycheproof".to_owned()),
    };
    let Ok(mut v) = Verifier::new(&props, key) else {
        return (false, None);
    };
    // Odd chunking on purpose: the streaming path must not care.
    for chunk in msg.chunks(7) {
        v.update(chunk);
    }
    let verdict = v.finish();
    (
        verdict.signature.valid,
        verdict.signature.pss.and_then(|p| p.salt_length),
    )
}

#[derive(Default)]
struct Tally {
    run: usize,
    acceptable: usize,
}

fn check(
    tally: &mut Tally,
    what: &str,
    tc_id: usize,
    comment: &str,
    expected: TestResult,
    got: bool,
) {
    tally.run += 1;
    match expected {
        TestResult::Valid => assert!(
            got,
            "{what} tc {tc_id} ({comment}): valid signature refused"
        ),
        TestResult::Invalid => assert!(
            !got,
            "{what} tc {tc_id} ({comment}): invalid signature accepted"
        ),
        TestResult::Acceptable => tally.acceptable += 1,
    }
}

#[test]
fn rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let mut tally = Tally::default();
    for name in TestName::all() {
        let set = TestSet::load(name).expect("vectors load");
        for group in set.test_groups {
            let Some(hash) = hash_method(group.hash) else {
                continue;
            };
            // The scheme is MGF1 over the same hash.
            if group.mgf_hash.and_then(hash_method) != Some(hash) {
                continue;
            }
            let key = PublicKey::from_spki_der(&group.der).expect("wycheproof key parses");
            for t in group.tests {
                let (valid, salt) = verdict(&key, KeyType::RsaPss, hash, &t.msg, &t.sig);
                // Any salt length is accepted (cursive on cryptography >= 42), so a signature
                // that is wrong only in its salt length is valid for us: that must be what the
                // salt we report says.
                let expected = match (t.result, salt) {
                    (TestResult::Invalid, Some(s)) if s != group.salt_size => {
                        TestResult::Acceptable
                    }
                    (r, Some(s)) => {
                        assert_eq!(
                            s, group.salt_size,
                            "{name:?} tc {}: salt length reported",
                            t.tc_id
                        );
                        r
                    }
                    (r, None) => r,
                };
                check(
                    &mut tally,
                    &format!("{name:?}"),
                    t.tc_id,
                    &t.comment,
                    expected,
                    valid,
                );
            }
        }
    }
    assert!(tally.run > 1000, "only {} RSA-PSS vectors ran", tally.run);
}

/// Runs the `wycheproof::$module` sets (name, key type) through cursive's rules. ECDSA and DSA
/// sets have the same shape in distinct types, hence a macro.
macro_rules! run_sets {
    ($module:ident, $sets:expr) => {{
        let mut tally = Tally::default();
        for (name, key_type) in $sets {
            let set = wycheproof::$module::TestSet::load(name).expect("vectors load");
            for group in set.test_groups {
                let hash = hash_method(group.hash).expect("SHA-2 set");
                let key = PublicKey::from_spki_der(&group.der).expect("wycheproof key parses");
                for t in group.tests {
                    let (valid, _) = verdict(&key, key_type, hash, &t.msg, &t.sig);
                    let what = format!("{name:?}");
                    check(&mut tally, &what, t.tc_id, &t.comment, t.result, valid);
                }
            }
        }
        tally
    }};
}

#[test]
fn ecdsa_p384_p521() {
    use wycheproof::ecdsa::TestName;
    let tally = run_sets!(
        ecdsa,
        [
            (TestName::EcdsaSecp384r1Sha256, KeyType::EccSecp384r1),
            (TestName::EcdsaSecp384r1Sha384, KeyType::EccSecp384r1),
            (TestName::EcdsaSecp384r1Sha512, KeyType::EccSecp384r1),
            (TestName::EcdsaSecp521r1Sha512, KeyType::EccSecp521r1),
        ]
    );
    assert!(tally.run > 1000, "only {} ECDSA vectors ran", tally.run);
}

#[test]
fn dsa() {
    use wycheproof::dsa::TestName;
    let tally = run_sets!(
        dsa,
        [
            TestName::Dsa2048_224Sha224,
            TestName::Dsa2048_224Sha256,
            TestName::Dsa2048_256Sha256,
            TestName::Dsa3072_256Sha256,
        ]
        .map(|name| (name, KeyType::Dsa))
    );
    assert!(tally.run > 500, "only {} DSA vectors ran", tally.run);
}
