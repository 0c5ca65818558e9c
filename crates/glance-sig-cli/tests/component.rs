//! `--engine component` against `--engine native`: the same stdout, stderr and exit codes,
//! and signatures made by one engine verify with the other.
//!
//! Needs the component: `scripts/component/build.sh --wasm` (or GLANCE_SIG_COMPONENT).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glance_sig_cli::engine::native::Native;
use glance_sig_cli::engine::wasm::host::ComponentEngine;
use glance_sig_cli::engine::{Engine, SignRequest, SigningKey, VerifyRequest};
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

/// A scratch directory for `test`, an image in it, and its properties signed by `engine`
/// with `key` (SHA-256).
fn signed_image(test: &str, engine: &str, key: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch(test);
    let img = image(&dir, "image.raw");
    let props = dir.join("props.json");
    sign(engine, &img, key, "SHA-256", &props);
    (dir, img, props)
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
                let mut args = verify_args(s(&img), fixture(cert), s(&props));
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
    let (_, img, props) = signed_image("pss", "component", "rsa2048-key.pem");
    let mut args = verify_args(s(&img), fixture("rsa2048-cert.pem"), s(&props));
    args.push("--json");
    let o = both(&args);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["signature"]["pss"]["salt_length"], 222);
    assert_eq!(report["signature"]["pss"]["accepted_by_older_clouds"], true);
}

#[test]
fn tampered_image_is_rejected_identically() {
    let (dir, img, props) = signed_image("tampered", "native", "rsa2048-key.pem");
    let mut bytes = std::fs::read(&img).expect("image");
    bytes[1_500_000] ^= 0x01;
    let tampered = dir.join("tampered.raw");
    std::fs::write(&tampered, bytes).expect("tampered image");
    for extra in [&["--json"][..], &[], &["--json", "--no-explain"]] {
        let mut args = verify_args(s(&tampered), fixture("rsa2048-cert.pem"), s(&props));
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
    let (dir, img, props) = signed_image("properties", "native", "p384-key.pem");
    let good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&props).expect("props")).expect("JSON");
    let base = serde_json::json!({"img_signature": good["img_signature"], "img_signature_hash_method": "SHA-256", "img_signature_key_type": "ECC_SECP384R1", "img_signature_certificate_uuid": CERT_UUID});
    // Each variant changes one property of a good set (None removes it).
    let changes: [(&str, &str, Option<&str>); 7] = [
        ("missing-uuid", "img_signature_certificate_uuid", None),
        ("bad-hash", "img_signature_hash_method", Some("sha256")),
        ("other-hash", "img_signature_hash_method", Some("SHA-384")),
        (
            "binary-curve",
            "img_signature_key_type",
            Some("ECC_SECT571K1"),
        ),
        ("wrong-class", "img_signature_key_type", Some("RSA-PSS")),
        ("bad-base64", "img_signature", Some("abc")),
        ("empty-signature", "img_signature", Some("")),
    ];
    let mut variants: Vec<(&str, serde_json::Value)> = changes
        .iter()
        .map(|&(name, key, value)| {
            let mut doc = base.clone();
            match value {
                Some(v) => doc[key] = v.into(),
                None => drop(doc.as_object_mut().expect("an object").remove(key)),
            }
            (name, doc)
        })
        .collect();
    variants.push((
        "nested",
        serde_json::json!({"name": "x", "properties": good}),
    ));
    for (name, doc) in variants {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, doc.to_string()).expect("props");
        for json in [true, false] {
            let mut args = verify_args(s(&img), fixture("p384-cert.pem"), s(&path));
            args.extend(json.then_some("--json"));
            let o = both(&args);
            let want = if name == "nested" { 0 } else { 1 };
            assert_eq!(o.status.code(), Some(want), "{name}: {}", text(&o.stdout));
        }
    }
}

#[test]
fn chains_are_validated_identically() {
    let (_, img, props) = signed_image("chain", "native", "chain-leaf-key.pem");
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
            let mut args = verify_args(s(&img), s(&leaf), s(&props));
            args.extend(["--at", at]);
            for t in trusted {
                args.extend(["--trusted", s(t)]);
            }
            args.extend(json.then_some("--json"));
            let o = both(&args);
            assert_eq!(o.status.code(), Some(want), "{args:?}: {}", text(&o.stdout));
        }
    }
    // No trusted certificates, judged after the certificate expired: a warning, still valid.
    let mut args = verify_args(s(&img), fixture("chain-leaf.pem"), s(&props));
    args.extend(["--at", "2045-01-01T00:00:00Z", "--json"]);
    let o = both(&args);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("certificate-outside-validity"));
}

#[test]
fn bad_inputs_fail_identically() {
    let (dir, img, props) = signed_image("bad", "native", "rsa2048-key.pem");
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01not a certificate or key\xff").expect("garbage");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, b"{\"img_signature\": \xc3\x28}").expect("not json");
    let cert = data("rsa2048-cert.pem");
    let vars: &[(&str, &Path)] = &[
        ("img", &img),
        ("dir", &dir),
        ("props", &props),
        ("garbage", &garbage),
        ("not_json", &not_json),
        ("cert", &cert),
    ];
    // Exit 2: the input cannot be used; exit 1: it was read and it is wrong.
    let cases = [
        ("verify --image $img --cert $garbage --properties $props", 2),
        ("verify --image $img --cert $cert --properties $not_json", 2),
        (
            "verify --image $img --cert $cert --properties $props --trusted $garbage",
            2,
        ),
        ("verify --image $dir --cert $cert --properties $props", 2),
        ("verify --image $img --cert $cert --properties $dir", 2),
        (
            "verify --image $img --cert @p384-key.pem --properties $props",
            2,
        ),
        ("sign --image $img --key $garbage --cert-uuid $uuid", 2),
        ("sign --image $img --key $cert --cert-uuid $uuid", 2),
        ("sign --image $dir --key @p384-key.pem --cert-uuid $uuid", 2),
        // An encrypted key without its passphrase (stdin is not a terminal).
        (
            "sign --image $img --key @p384-encrypted-key.pem --cert-uuid $uuid",
            2,
        ),
        // The key does not belong to the certificate.
        (
            "sign --image $img --key @rsa-other-key.pem --cert $cert --cert-uuid $uuid",
            1,
        ),
    ];
    for (line, want) in cases {
        let args = argv(line, vars);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = both(&args);
        assert_eq!(o.status.code(), Some(want), "{line}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{line} printed {}", text(&o.stdout));
    }
}

/// `verify --image IMG --cert CERT --properties PROPS`, for a test to extend.
fn verify_args<'a>(img: &'a str, cert: &'a str, props: &'a str) -> Vec<&'a str> {
    vec![
        "verify",
        "--image",
        img,
        "--cert",
        cert,
        "--properties",
        props,
    ]
}

/// A command line from a template: `$name` is a path from `vars` (`$uuid` the test
/// certificate's id), `@file` a fixture.
fn argv(line: &str, vars: &[(&str, &Path)]) -> Vec<String> {
    line.split_whitespace()
        .map(|word| {
            if word == "$uuid" {
                CERT_UUID.to_owned()
            } else if let Some(name) = word.strip_prefix('$') {
                let (_, path) = vars
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("no ${name} in the test's paths"));
                s(path).to_owned()
            } else if let Some(file) = word.strip_prefix('@') {
                fixture(file).to_owned()
            } else {
                word.to_owned()
            }
        })
        .collect()
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
    let v = both(&verify_args(s(&img), fixture("p384-cert.pem"), s(&props)));
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

/// The real component with a custom section appended: still a valid component, another
/// SHA-256 (as a rebuilt or planted one would have).
fn another_component(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(component()).expect("the component");
    // A custom section: id 0, size 6, then the name (length 5, "other") and no payload.
    bytes.extend_from_slice(&[0, 6, 5, b'o', b't', b'h', b'e', b'r']);
    let path = dir.join("other.wasm");
    std::fs::write(&path, bytes).expect("write");
    path
}

fn glance_sig_in(cwd: &Path, args: &[&str], component: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glance-sig"));
    command
        .current_dir(cwd)
        .args(args)
        .env_remove("GLANCE_SIG_COMPONENT")
        .env("GLANCE_SIG_ENGINE", "component");
    if let Some(path) = component {
        command.env("GLANCE_SIG_COMPONENT", path);
    }
    command.output().expect("run glance-sig")
}

/// A component planted in the current directory (where the CLI once looked first) never
/// runs: the one the binary was built with does, and gives native's verdict.
#[test]
fn a_component_in_the_current_directory_is_never_loaded() {
    let (dir, img, props) = signed_image("planted", "native", "rsa2048-key.pem");
    let planted = dir.join("target/component");
    std::fs::create_dir_all(&planted).expect("dir");
    std::fs::write(planted.join("glance_sig_component.wasm"), b"\0asm planted").expect("plant");
    std::fs::write(dir.join("glance_sig_component.wasm"), b"\0asm planted").expect("plant");
    let args = verify_args(s(&img), fixture("rsa2048-cert.pem"), s(&props));
    let o = glance_sig_in(&dir, &args, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("Signature valid"),
        "{}",
        text(&o.stdout)
    );
    assert!(!text(&o.stderr).contains("planted"), "{}", text(&o.stderr));
}

/// The default component is checked against the pin: a different file beside the binary is
/// refused, naming both digests and the fix.
#[test]
fn a_swapped_component_beside_the_binary_is_refused() {
    let (dir, img, props) = signed_image("swapped", "native", "rsa2048-key.pem");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("dir");
    std::fs::copy(env!("CARGO_BIN_EXE_glance-sig"), bin.join("glance-sig")).expect("copy");
    std::fs::rename(
        another_component(&dir),
        bin.join("glance_sig_component.wasm"),
    )
    .expect("swap");
    let args = verify_args(s(&img), fixture("rsa2048-cert.pem"), s(&props));
    let o = Command::new(bin.join("glance-sig"))
        .args(&args)
        .env_remove("GLANCE_SIG_COMPONENT")
        .env("GLANCE_SIG_ENGINE", "component")
        .output()
        .expect("run the copy");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("is not the one this glance-sig was built with"),
        "{err}"
    );
    assert!(err.contains("--component"), "{err}");
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}

/// A component the user names runs as chosen, and the output says it is not the pinned one;
/// the pinned one, named explicitly, runs without a note.
#[test]
fn a_chosen_component_runs_and_the_output_says_so() {
    let (dir, img, props) = signed_image("chosen", "native", "rsa2048-key.pem");
    let other = another_component(&dir);
    let args = verify_args(s(&img), fixture("rsa2048-cert.pem"), s(&props));
    let o = glance_sig_in(&dir, &args, Some(&other));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("runs {}", other.display())), "{err}");
    assert!(
        err.contains("not the component this glance-sig was built with"),
        "{err}"
    );
    let pinned = glance_sig_in(&dir, &args, Some(&component()));
    assert_eq!(pinned.status.code(), Some(0));
    assert!(
        !text(&pinned.stderr).contains("note:"),
        "{}",
        text(&pinned.stderr)
    );
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
        key: SigningKey::Parsed(&key),
        certificate: None,
        hash: HashMethod::Sha256,
        certificate_uuid: CERT_UUID,
        at: 1_900_000_000,
    };
    let props = Native
        .sign(request, &mut |_| {}, &mut Memory::new(&image))
        .expect("engine")
        .expect("signs")
        .properties;

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
    assert!(
        !report.diagnosis.is_empty(),
        "a change in the data is explained"
    );
}

/// Signs `img` with `key` for the trust tests; returns the properties file.
fn signed_properties(dir: &Path, img: &Path, key: &str) -> PathBuf {
    let props = dir.join(format!("{key}.props.json"));
    sign("native", img, key, "SHA-256", &props);
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
        let mut args = verify_args(s(&img), fixture(cert), s(props));
        args.extend_from_slice(extra);
        both(&args)
    };
    let trust_of = |o: &Output| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")["trust"].clone()
    };

    // A self-signed "anyone" certificate, no anchors: valid, but said to be unproven.
    let o = verify(
        &self_signed,
        "p384-cert.pem",
        &["--at", "2030-01-01T00:00:00Z"],
    );
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
    assert!(
        out.contains("chains to the trusted certificate CN=Test Root"),
        "{out}"
    );

    // 2041: the anchors are past their dates; Nova refuses, and trust is not established.
    let mut args = vec!["--at", "2041-06-01T00:00:00Z", "--json"];
    args.extend_from_slice(&anchors);
    let o = verify(&chained, "chain-leaf.pem", &args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(trust_of(&o)["established"], false);
    assert_eq!(trust_of(&o)["code"], "not-anchored");
}
