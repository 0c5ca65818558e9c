//! `--engine component` against `--engine native`: the same stdout, stderr and exit codes,
//! and signatures made by one engine verify with the other.
//!
//! Needs the component: `scripts/component/build.sh --wasm` (or GLANCE_SIG_COMPONENT).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glance_sig_cli::engine::native::Native;
use glance_sig_cli::engine::wasm::host::ComponentEngine;
use glance_sig_cli::engine::{Engine, SignRequest, VerifyRequest};
use glance_sig_cli::error::CliError;
use glance_sig_cli::io::image::{ImageData, ImageSource};
use glance_sig_core::{HashMethod, Report, SignatureProperties};

const CERT_UUID: &str = "7b1f3c52-2b8e-4c27-9d1e-0d6a3e5f4a10";
/// 2030-01-01T00:00:00Z: inside the test chain's validity (2020..2040).
const AT_2030: &str = "2030-01-01T00:00:00Z";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../glance-sig-core/tests/data")
        .join(name)
}

fn component() -> PathBuf {
    let path = std::env::var_os("GLANCE_SIG_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/component/glance_sig_component.wasm")
        });
    assert!(
        path.is_file(),
        "no component at {}: build it with scripts/component/build.sh --wasm",
        path.display()
    );
    path
}

/// A scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("component-tests")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Deterministic image bytes (a little over 2 MiB, so several chunks).
fn image(dir: &Path, name: &str) -> PathBuf {
    let mut x: u32 = 0x9e37_79b9;
    let bytes: Vec<u8> = (0..(2 * 1024 * 1024 + 12_345))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("image");
    path
}

fn run(engine: &str, args: &[&str], at: &str) -> Output {
    let (sub, rest) = args.split_first().expect("a subcommand");
    // Both engines judge the certificate at the same instant (the report says when).
    let at: &[&str] = if *sub == "verify" && !rest.contains(&"--at") {
        &["--at", at]
    } else {
        &[]
    };
    Command::new(env!("CARGO_BIN_EXE_glance-sig"))
        .arg(sub)
        .args(["--engine", engine])
        .args(rest)
        .args(at)
        .env("GLANCE_SIG_COMPONENT", component())
        .env_remove("GLANCE_SIG_ENGINE")
        .output()
        .expect("run glance-sig")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs both engines; asserts they agree on exit code, stdout and stderr; returns native's.
fn both(args: &[&str]) -> Output {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let at = glance_sig_core::time::rfc3339(now);
    let native = run("native", args, &at);
    let component = run("component", args, &at);
    assert_eq!(
        native.status.code(),
        component.status.code(),
        "exit codes differ for {args:?}\nnative stderr: {}\ncomponent stderr: {}",
        text(&native.stderr),
        text(&component.stderr)
    );
    assert_eq!(
        text(&native.stdout),
        text(&component.stdout),
        "stdout differs for {args:?}"
    );
    assert_eq!(
        text(&native.stderr),
        text(&component.stderr),
        "stderr differs for {args:?}"
    );
    native
}

fn sign(engine: &str, img: &Path, key: &str, hash: &str, out: &Path) {
    let o = run(
        engine,
        &[
            "sign",
            "--image",
            s(img),
            "--key",
            fixture(key),
            "--hash-method",
            hash,
            "--cert-uuid",
            CERT_UUID,
        ],
        "2030-01-01T00:00:00Z",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "sign ({engine}, {key}): {}",
        text(&o.stderr)
    );
    std::fs::write(out, &o.stdout).expect("properties file");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test paths")
}

/// A fixture's path as an argument (leaked: a test process lives briefly).
fn fixture(name: &str) -> &'static str {
    Box::leak(s(&data(name)).to_owned().into_boxed_str())
}

#[test]
fn signatures_cross_engines_for_every_key_type() {
    let dir = scratch("cross");
    let img = image(&dir, "image.raw");
    for (key, cert, hash) in [
        ("rsa2048-key.pem", "rsa2048-cert.pem", "SHA-256"),
        ("p384-key.pem", "p384-cert.pem", "SHA-384"),
        ("p521-key.pem", "p521-cert.pem", "SHA-512"),
        ("dsa2048-key.pem", "dsa2048-cert.pem", "SHA-224"),
    ] {
        for signer in ["native", "component"] {
            let props = dir.join(format!("{key}-{signer}.json"));
            sign(signer, &img, key, hash, &props);
            for json in [true, false] {
                let mut args = vec![
                    "verify",
                    "--image",
                    s(&img),
                    "--cert",
                    fixture(cert),
                    "--properties",
                    s(&props),
                ];
                args.extend(json.then_some("--json"));
                let o = both(&args);
                assert_eq!(
                    o.status.code(),
                    Some(0),
                    "{key} signed by {signer}: {}",
                    text(&o.stdout)
                );
            }
        }
    }
}

#[test]
fn component_signs_with_the_maximum_pss_salt() {
    let dir = scratch("pss");
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign("component", &img, "rsa2048-key.pem", "SHA-256", &props);
    let o = both(&[
        "verify",
        "--image",
        s(&img),
        "--cert",
        fixture("rsa2048-cert.pem"),
        "--properties",
        s(&props),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["signature"]["pss"]["salt_length"], 222);
    assert_eq!(report["signature"]["pss"]["accepted_by_older_clouds"], true);
}

#[test]
fn tampered_image_is_rejected_identically() {
    let dir = scratch("tampered");
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign("native", &img, "rsa2048-key.pem", "SHA-256", &props);
    let mut bytes = std::fs::read(&img).expect("image");
    bytes[1_500_000] ^= 0x01;
    let tampered = dir.join("tampered.raw");
    std::fs::write(&tampered, bytes).expect("tampered image");
    for extra in [&["--json"][..], &[], &["--json", "--no-explain"]] {
        let mut args = vec![
            "verify",
            "--image",
            s(&tampered),
            "--cert",
            fixture("rsa2048-cert.pem"),
            "--properties",
            s(&props),
        ];
        args.extend_from_slice(extra);
        let o = both(&args);
        assert_eq!(o.status.code(), Some(1));
        if extra == ["--json"] {
            let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
            assert_eq!(report["error"]["code"], "signature-mismatch");
            assert_eq!(report["diagnosis"][0]["code"], "data-changed", "{report}");
        }
    }
}

#[test]
fn property_problems_are_reported_identically() {
    let dir = scratch("properties");
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign("native", &img, "p384-key.pem", "SHA-256", &props);
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&props).expect("props")).expect("JSON");
    let variants = [
        (
            "missing-uuid",
            serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "SHA-256", "img_signature_key_type": "ECC_SECP384R1"}),
        ),
        (
            "bad-hash",
            serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "sha256", "img_signature_key_type": "ECC_SECP384R1", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "other-hash",
            serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "SHA-384", "img_signature_key_type": "ECC_SECP384R1", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "binary-curve",
            serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "SHA-256", "img_signature_key_type": "ECC_SECT571K1", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "wrong-class",
            serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "SHA-256", "img_signature_key_type": "RSA-PSS", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "bad-base64",
            serde_json::json!({"img_signature": "abc", "img_signature_hash_method": "SHA-256", "img_signature_key_type": "ECC_SECP384R1", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "empty-signature",
            serde_json::json!({"img_signature": "", "img_signature_hash_method": "SHA-256", "img_signature_key_type": "ECC_SECP384R1", "img_signature_certificate_uuid": CERT_UUID}),
        ),
        (
            "nested",
            serde_json::json!({"name": "x", "properties": good}),
        ),
    ];
    for (name, doc) in variants {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, doc.to_string()).expect("props");
        for json in [true, false] {
            let mut args = vec![
                "verify",
                "--image",
                s(&img),
                "--cert",
                fixture("p384-cert.pem"),
                "--properties",
                s(&path),
            ];
            args.extend(json.then_some("--json"));
            let o = both(&args);
            let want = if name == "nested" { 0 } else { 1 };
            assert_eq!(o.status.code(), Some(want), "{name}: {}", text(&o.stdout));
        }
    }
}

#[test]
fn chains_are_validated_identically() {
    let dir = scratch("chain");
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign("native", &img, "chain-leaf-key.pem", "SHA-256", &props);
    let (root, inter) = (data("chain-root.pem"), data("chain-inter.pem"));
    let cases: [(&str, &[&Path], &str, i32); 5] = [
        ("chain-leaf.pem", &[&root, &inter], AT_2030, 0),
        ("chain-leaf.pem", &[&inter], AT_2030, 1),
        (
            "chain-leaf.pem",
            &[&root, &inter],
            "2045-01-01T00:00:00Z",
            1,
        ),
        ("chain-leaf-expired.pem", &[&root, &inter], AT_2030, 1),
        ("chain-leaf-forged.pem", &[&root, &inter], AT_2030, 1),
    ];
    for (leaf, trusted, at, want) in cases {
        for json in [true, false] {
            let leaf = data(leaf);
            let mut args = vec![
                "verify",
                "--image",
                s(&img),
                "--cert",
                s(&leaf),
                "--properties",
                s(&props),
                "--at",
                at,
            ];
            for t in trusted {
                args.extend(["--trusted", s(t)]);
            }
            args.extend(json.then_some("--json"));
            let o = both(&args);
            assert_eq!(o.status.code(), Some(want), "{args:?}: {}", text(&o.stdout));
        }
    }
    // No trusted certificates, judged after the certificate expired: a warning, still valid.
    let o = both(&[
        "verify",
        "--image",
        s(&img),
        "--cert",
        fixture("chain-leaf.pem"),
        "--properties",
        s(&props),
        "--at",
        "2045-01-01T00:00:00Z",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("certificate-outside-validity"));
}

#[test]
fn bad_inputs_fail_identically() {
    let dir = scratch("bad");
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign("native", &img, "rsa2048-key.pem", "SHA-256", &props);
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01not a certificate or key\xff").expect("garbage");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, b"{\"img_signature\": \xc3\x28}").expect("not json");
    let cert = data("rsa2048-cert.pem");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (
            vec![
                "verify",
                "--image",
                s(&img),
                "--cert",
                s(&garbage),
                "--properties",
                s(&props),
            ],
            2,
        ),
        (
            vec![
                "verify",
                "--image",
                s(&img),
                "--cert",
                s(&cert),
                "--properties",
                s(&not_json),
            ],
            2,
        ),
        (
            vec![
                "verify",
                "--image",
                s(&img),
                "--cert",
                s(&cert),
                "--properties",
                s(&props),
                "--trusted",
                s(&garbage),
            ],
            2,
        ),
        (
            vec![
                "verify",
                "--image",
                s(&dir),
                "--cert",
                s(&cert),
                "--properties",
                s(&props),
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--image",
                s(&img),
                "--key",
                s(&garbage),
                "--cert-uuid",
                CERT_UUID,
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--image",
                s(&img),
                "--key",
                s(&cert),
                "--cert-uuid",
                CERT_UUID,
            ],
            2,
        ),
        (
            vec![
                "sign",
                "--image",
                s(&dir),
                "--key",
                fixture("p384-key.pem"),
                "--cert-uuid",
                CERT_UUID,
            ],
            2,
        ),
        // An encrypted key without its passphrase (stdin is not a terminal).
        (
            vec![
                "sign",
                "--image",
                s(&img),
                "--key",
                fixture("p384-encrypted-key.pem"),
                "--cert-uuid",
                CERT_UUID,
            ],
            2,
        ),
        // The key does not belong to the certificate.
        (
            vec![
                "sign",
                "--image",
                s(&img),
                "--key",
                fixture("rsa-other-key.pem"),
                "--cert",
                s(&cert),
                "--cert-uuid",
                CERT_UUID,
            ],
            1,
        ),
    ];
    for (args, want) in cases {
        let o = both(&args);
        assert_eq!(o.status.code(), Some(want), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{args:?} printed {}", text(&o.stdout));
    }
}

#[test]
fn passphrase_protected_key_signs_in_the_component() {
    let dir = scratch("passphrase");
    let img = image(&dir, "image.raw");
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, b"correct horse\n").expect("passphrase file");
    let o = run(
        "component",
        &[
            "sign",
            "--image",
            s(&img),
            "--key",
            fixture("p384-encrypted-key.pem"),
            "--passphrase-file",
            s(&pass),
            "--cert",
            fixture("p384-cert.pem"),
            "--cert-uuid",
            CERT_UUID,
        ],
        "2030-01-01T00:00:00Z",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let props = dir.join("props.json");
    std::fs::write(&props, &o.stdout).expect("props");
    let v = both(&[
        "verify",
        "--image",
        s(&img),
        "--cert",
        fixture("p384-cert.pem"),
        "--properties",
        s(&props),
    ]);
    assert_eq!(v.status.code(), Some(0));
}

#[test]
fn missing_component_is_a_clear_error() {
    let o = Command::new(env!("CARGO_BIN_EXE_glance-sig"))
        .args([
            "verify",
            "--engine",
            "component",
            "--image",
            "x",
            "--cert",
            "y",
            "--properties",
            "z",
        ])
        .env(
            "GLANCE_SIG_COMPONENT",
            "/nonexistent/glance_sig_component.wasm",
        )
        .output()
        .expect("run glance-sig");
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("/nonexistent/glance_sig_component.wasm"),
        "{err}"
    );
    assert!(err.contains("scripts/component/build.sh"), "{err}");
}

/// Image bytes held in memory: any reader, as a Glance download is one. Counts the passes.
struct Memory {
    data: Vec<u8>,
    opened: usize,
}

impl Memory {
    fn new(data: &[u8]) -> Self {
        Self {
            data: data.to_vec(),
            opened: 0,
        }
    }
}

impl ImageSource for Memory {
    fn open(&mut self, label: &'static str) -> Result<ImageData<'_>, CliError> {
        self.opened += 1;
        let total = self.data.len() as u64;
        Ok(ImageData::new(
            self.data.as_slice(),
            total,
            label,
            |source| CliError::Read {
                what: "image",
                path: "memory".to_owned(),
                source,
            },
        ))
    }
}

/// Verifies `image` against `props` with `engine`: the report, and how often the data was read.
fn verify_from_memory<E: Engine>(
    engine: &mut E,
    props: &SignatureProperties,
    image: &[u8],
) -> (Report, usize) {
    let cert_pem = std::fs::read(data("rsa2048-cert.pem")).expect("certificate");
    let cert = engine
        .certificate(&cert_pem)
        .expect("engine")
        .expect("certificate parses");
    let mut source = Memory::new(image);
    let request = VerifyRequest {
        properties: props.clone(),
        certificate: Some(&cert),
        anchors: &[],
        at: 1_900_000_000,
        explain: true,
    };
    let report = engine.verify(request, &mut source).expect("verify");
    (report, source.opened)
}

/// The engines take image data from any source, not only a file (`verify --image-id` streams
/// the Glance download through either): from memory, both give the same verdicts, explain a
/// change in the data, and read nothing for properties refused outright.
#[test]
fn engines_verify_image_data_from_any_source() {
    let mut component = ComponentEngine::load(&component()).expect("component loads");
    let image = b"image data, in memory rather than in a file".repeat(50_000);
    let key_pem = std::fs::read(data("rsa2048-key.pem")).expect("key");
    let key = Native
        .private_key(&key_pem, None)
        .expect("engine")
        .expect("key parses");
    let request = SignRequest {
        key: &key,
        certificate: None,
        hash: HashMethod::Sha256,
        certificate_uuid: CERT_UUID,
        at: 1_900_000_000,
    };
    let props = Native
        .sign(request, &mut |_| {}, &mut Memory::new(&image))
        .expect("engine")
        .expect("signs");

    let mut tampered = image.clone();
    tampered[1000] ^= 1;
    let unsigned = SignatureProperties {
        signature: None,
        ..props.clone()
    };
    for (bytes, props, valid, passes) in [
        (&image, &props, true, 1),
        (&tampered, &props, false, 2),
        (&image, &unsigned, false, 0),
    ] {
        let native = verify_from_memory(&mut Native, props, bytes);
        let wasm = verify_from_memory(&mut component, props, bytes);
        assert_eq!(native, wasm, "the engines agree");
        assert_eq!(native.0.valid, valid, "{native:?}");
        assert_eq!(native.1, passes, "passes over the data: {native:?}");
    }
    let (report, _) = verify_from_memory(&mut component, &props, &tampered);
    assert!(!report.diagnosis.is_empty(), "a change in the data is explained");
}

/// Signs `img` with `key` for the trust tests; returns the properties file.
fn signed_properties(dir: &Path, img: &Path, key: &str) -> PathBuf {
    let o = run(
        "native",
        &["sign", "--image", s(img), "--key", fixture(key), "--cert-uuid", CERT_UUID],
        "2030-01-01T00:00:00Z",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let props = dir.join(format!("{key}.props.json"));
    std::fs::write(&props, &o.stdout).expect("props");
    props
}

/// "Valid" says who signed and whether anyone vouches for them: a self-signed certificate
/// that is no anchor is not trusted (exit 0 unless --require-trust), a chain to an anchor
/// is, an expired anchor is not; both engines say it alike.
#[test]
fn trust_is_part_of_every_verdict() {
    let dir = scratch("trust");
    let img = image(&dir, "image.raw");
    let self_signed = signed_properties(&dir, &img, "p384-key.pem");
    let chained = signed_properties(&dir, &img, "chain-leaf-key.pem");
    let verify = |props: &Path, cert: &str, extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--image",
            s(&img),
            "--cert",
            fixture(cert),
            "--properties",
            s(props),
        ];
        args.extend_from_slice(extra);
        both(&args)
    };
    let trust_of = |o: &Output| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")["trust"].clone()
    };

    // A self-signed "anyone" certificate, no anchors: valid, but said to be unproven.
    let o = verify(&self_signed, "p384-cert.pem", &["--at", "2030-01-01T00:00:00Z"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(out.starts_with("✔ Signature valid"), "{out}");
    assert!(out.contains("authenticity NOT established"), "{out}");
    assert!(out.contains("SHA-256 fingerprint"), "{out}");
    let o = verify(
        &self_signed,
        "p384-cert.pem",
        &["--at", "2030-01-01T00:00:00Z", "--require-trust"],
    );
    assert_eq!(o.status.code(), Some(1), "--require-trust refuses it");
    let o = verify(
        &self_signed,
        "p384-cert.pem",
        &["--at", "2030-01-01T00:00:00Z", "--json"],
    );
    assert_eq!(trust_of(&o)["code"], "no-trust-anchor");
    assert_eq!(trust_of(&o)["established"], false);

    // The same certificate against an anchor that did not issue it: refused, as Nova does.
    let root = fixture("chain-root.pem");
    let o = verify(
        &self_signed,
        "p384-cert.pem",
        &["--at", "2030-01-01T00:00:00Z", "--trusted", root, "--json"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(trust_of(&o)["code"], "not-anchored");

    // A chain to the anchor: trusted, also with --require-trust.
    let inter = fixture("chain-inter.pem");
    let anchors = ["--trusted", root, "--trusted", inter];
    let mut args = vec!["--at", "2030-01-01T00:00:00Z", "--require-trust"];
    args.extend_from_slice(&anchors);
    let o = verify(&chained, "chain-leaf.pem", &args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(out.contains("chains to the trusted certificate CN=Test Root"), "{out}");

    // 2041: the anchors are past their dates; Nova refuses, and trust is not established.
    let mut args = vec!["--at", "2041-06-01T00:00:00Z", "--json"];
    args.extend_from_slice(&anchors);
    let o = verify(&chained, "chain-leaf.pem", &args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(trust_of(&o)["established"], false);
    assert_eq!(trust_of(&o)["code"], "not-anchored");
}
