//! The two sessions every door runs: what a report says about who signed, the second pass
//! after a failure, the date notes, and the checks a signing session makes first.

#[path = "support/fixtures.rs"]
#[allow(dead_code)] // each test file uses some of them
mod fixtures;
use fixtures::{cert, key};

use glance_sig_core::{
    test_identity, Certificate, HashMethod, Pass, PrivateKey, Report, SignError,
    SignatureProperties, SigningSession, VerificationSession,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const AT_2030: i64 = 1_893_456_000;

const IMAGE: &[u8] = b"an image, fed in more than one chunk";

fn sign(
    key: PrivateKey,
    cert: Option<&Certificate>,
    at: i64,
) -> Result<glance_sig_core::Signed, SignError> {
    let mut s = SigningSession::new(key, cert, HashMethod::Sha256, " cert-id ", at)?;
    for chunk in IMAGE.chunks(5) {
        s.update(chunk);
    }
    s.finish(&mut ChaCha20Rng::seed_from_u64(1))
}

/// A fresh self-signed test identity named `subject`, valid `days` from `AT_2030`, and the
/// properties of `IMAGE` signed with it.
fn self_signed(seed: u64, subject: &str, days: u32) -> (Certificate, SignatureProperties) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (k, c) = test_identity(&mut rng, subject, AT_2030, days).expect("identity");
    let signed = sign(k, Some(&c), AT_2030).expect("signs");
    (c, signed.properties)
}

/// Runs a session the way every door does, counting the passes it asked for.
fn run(mut session: VerificationSession, data: &[u8]) -> (Report, Vec<Pass>) {
    let mut passes = Vec::new();
    while let Some(pass) = session.wants_data() {
        passes.push(pass);
        for chunk in data.chunks(7) {
            session.update(chunk);
        }
        session.end_pass();
    }
    (session.report(), passes)
}

#[test]
fn a_valid_signature_without_anchors_says_authenticity_is_not_established() {
    let c = cert("chain-leaf.pem");
    let signed = sign(key("chain-leaf-key.pem"), Some(&c), AT_2030).expect("signs");
    assert_eq!(
        signed.properties.certificate_uuid.as_deref(),
        Some("cert-id")
    );
    let (report, passes) = run(
        VerificationSession::new(signed.properties, Some(c.clone()), Vec::new(), AT_2030),
        IMAGE,
    );
    assert_eq!(passes, vec![Pass::Verify]);
    assert!(report.valid);
    assert!(report.accepted(false));
    assert!(!report.accepted(true), "--require-trust refuses it");
    assert!(!report.trust.established);
    assert_eq!(report.trust.code, "no-trust-anchor");
    assert!(report.trust.message.contains(&c.fingerprint_sha256()));
    let section = report.certificate.as_ref().expect("certificate section");
    assert_eq!(section.subject, "CN=Test Leaf");
    assert_eq!(section.fingerprint_sha256, c.fingerprint_sha256());
    assert!(report.chain.is_none());
    let text = report.text();
    assert!(text.starts_with("✔ Signature valid"), "{text}");
    assert!(text.contains("authenticity NOT established"), "{text}");
}

#[test]
fn a_self_signed_certificate_not_among_the_anchors_is_not_trusted() {
    let (c, props) = self_signed(3, "Canonical Ltd", 30);
    let anchors = vec![cert("chain-root.pem")];
    let (report, _) = run(
        VerificationSession::new(props, Some(c), anchors, AT_2030),
        IMAGE,
    );
    assert!(report.signature.valid);
    assert!(!report.valid, "Nova refuses it, so the verdict does");
    assert!(!report.accepted(false));
    assert_eq!(report.trust.code, "not-anchored");
    assert!(report.trust.message.contains("Canonical Ltd"));
}

#[test]
fn a_chain_to_an_anchor_establishes_who_signed_and_an_expired_anchor_does_not() {
    let c = cert("chain-leaf.pem");
    let signed = sign(key("chain-leaf-key.pem"), Some(&c), AT_2030).expect("signs");
    let anchors = vec![cert("chain-root.pem"), cert("chain-inter.pem")];
    let (report, _) = run(
        VerificationSession::new(
            signed.properties.clone(),
            Some(c.clone()),
            anchors.clone(),
            AT_2030,
        ),
        IMAGE,
    );
    assert!(report.valid && report.trust.established, "{report:?}");
    assert_eq!(report.trust.code, "chains-to-anchor");
    assert!(report.trust.message.contains("CN=Test Root"));
    assert!(report.accepted(true));
    assert!(report.checks.iter().any(|c| c.name == "chain" && c.passed));

    // 2041: the anchors (and the leaf) are past their dates.
    let late = 2_240_000_000;
    let (report, _) = run(
        VerificationSession::new(signed.properties, Some(c), anchors, late),
        IMAGE,
    );
    assert!(!report.valid);
    assert!(!report.trust.established);
    assert_eq!(report.trust.code, "not-anchored");
}

#[test]
fn a_failure_worth_explaining_gets_a_second_pass_unless_told_not_to() {
    let c = cert("chain-leaf.pem");
    let signed = sign(key("chain-leaf-key.pem"), Some(&c), AT_2030).expect("signs");
    let changed = b"another image entirely, fed in chunks";
    let (report, passes) = run(
        VerificationSession::new(
            signed.properties.clone(),
            Some(c.clone()),
            Vec::new(),
            AT_2030,
        ),
        changed,
    );
    assert_eq!(passes, vec![Pass::Verify, Pass::Explain]);
    assert!(!report.valid);
    assert_eq!(report.trust.code, "signature-not-valid");
    assert!(!report.diagnosis.is_empty(), "{report:?}");
    // The fix is the cause's, not a pointer to the diagnosis.
    let fix = &report.error.as_ref().expect("refused").fix;
    assert!(
        fix.starts_with("upload the bytes that were signed")
            || fix.starts_with("compare the image's checksum"),
        "{fix}"
    );
    assert!(!fix.contains("diagnosis"), "{fix}");
    assert!(report.text().contains(&format!("  Fix: {fix}\n")));

    let (report, passes) = run(
        VerificationSession::new(signed.properties, Some(c), Vec::new(), AT_2030)
            .explain_failures(false),
        changed,
    );
    assert_eq!(passes, vec![Pass::Verify]);
    assert!(report.diagnosis.is_empty());
    // No cause looked for: a plain complete sentence.
    assert_eq!(
        report.error.expect("refused").fix,
        "sign exactly the bytes Glance stores, with the private key of the certificate \
         img_signature_certificate_uuid names and the hash img_signature_hash_method names, \
         and set img_signature to the new signature (glance-sig sign does all of it)"
    );
}

#[test]
fn a_wrong_hash_method_on_good_data_gets_the_hash_that_verifies_as_its_fix() {
    let c = cert("chain-leaf.pem");
    let mut props = sign(key("chain-leaf-key.pem"), Some(&c), AT_2030)
        .expect("signs")
        .properties;
    props.hash_method = Some("SHA-512".to_owned());
    let (report, passes) = run(
        VerificationSession::new(props, Some(c), Vec::new(), AT_2030),
        IMAGE,
    );
    assert_eq!(passes, vec![Pass::Verify, Pass::Explain]);
    let error = report.error.as_ref().expect("refused");
    assert_eq!(error.code, "signature-mismatch");
    assert_eq!(error.fix, "set img_signature_hash_method to SHA-256");
    assert_eq!(
        report.diagnosis[0].message,
        "the signature verifies with SHA-256, not SHA-512: set img_signature_hash_method to SHA-256"
    );
}

#[test]
fn the_signing_certificate_as_its_own_anchor_says_why_nova_refuses_it() {
    // A self-signed certificate that is no CA (no basicConstraints), as most signers make.
    let c = cert("rsa2048-cert.pem");
    let props = sign(key("rsa2048-key.pem"), Some(&c), AT_2030)
        .expect("signs")
        .properties;
    let (report, _) = run(
        VerificationSession::new(props, Some(c.clone()), vec![c], AT_2030),
        IMAGE,
    );
    assert!(report.signature.valid);
    assert!(!report.valid);
    let chain = report.chain.as_ref().expect("chain");
    let error = &chain.error.as_ref().expect("refused").message;
    assert!(
        error.contains("the certificate itself is trusted"),
        "{error}"
    );
    assert!(error.contains("only as an issuer"), "{error}");
    let reason = &chain.skipped_trusted[0].reason;
    assert_eq!(reason, "no basic constraints extension");
    assert!(
        error.contains(&format!("skips this one ({reason})")),
        "{error}"
    );
    assert!(
        report.trust.message.contains(error.as_str()),
        "{}",
        report.trust.message
    );
}

#[test]
fn refusals_before_data_and_a_missing_certificate_want_no_data() {
    let unsigned = SignatureProperties::default();
    let (report, passes) = run(
        VerificationSession::new(unsigned, None, Vec::new(), AT_2030),
        IMAGE,
    );
    assert!(passes.is_empty());
    assert_eq!(
        report.error.as_ref().map(|e| e.code.as_str()),
        Some("missing-property")
    );
    assert!(report.certificate.is_none());
    assert!(report.text().contains("(no certificate)") || report.text().contains("NOT valid"));
}

#[test]
fn dates_outside_the_certificate_are_noted_only_without_anchors() {
    let c = cert("chain-leaf.pem");
    let late = 2_240_000_000;
    let signed = sign(key("chain-leaf-key.pem"), Some(&c), late).expect("signs");
    assert_eq!(
        signed.notes.len(),
        1,
        "signing says Nova would refuse the dates"
    );
    let (report, _) = run(
        VerificationSession::new(signed.properties, Some(c), Vec::new(), late),
        IMAGE,
    );
    assert!(report.valid);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.code == "certificate-outside-validity"));
}

#[test]
fn signing_refuses_a_key_that_is_not_the_certificates_and_an_empty_id() {
    let c = cert("chain-leaf.pem");
    let err = sign(key("p384-key.pem"), Some(&c), AT_2030).expect_err("mismatch");
    assert!(matches!(err, SignError::KeyMismatch { .. }), "{err:?}");
    let err = SigningSession::new(key("p384-key.pem"), None, HashMethod::Sha256, "  ", AT_2030)
        .err()
        .expect("empty id refused");
    assert_eq!(err, SignError::NoCertificateId);
}

#[test]
fn the_report_round_trips_through_json_and_escapes_control_characters() {
    let (c, props) = self_signed(5, "evil\u{1b}[2J", 1);
    let (report, _) = run(
        VerificationSession::new(props, Some(c), Vec::new(), AT_2030),
        IMAGE,
    );
    let json = serde_json::to_string(&report).expect("serializes");
    let back: Report = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, report);
    assert!(!report.text().contains('\u{1b}'));
}
