//! `glance-sig upload`, `verify --image-id` and `audit` against a real Keystone + Barbican +
//! Glance (scripts/cloud/stack.sh): run by scripts/cloud/test.sh.
//!
//! The stack's clouds.yaml is `GLANCE_SIG_CLOUDS_YAML`, else `<repo>/.stack/clouds.yaml`. When
//! no stack answers, the tests skip, unless `GLANCE_SIG_CLOUD_TESTS=1`: then they fail. Keys and
//! certificates are made with openssl in a temporary folder; every image and secret made is
//! deleted at the end, also when a test fails.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{fs, thread};

use openstack_proto::barbican::{self, Barbican};
use openstack_proto::config::{self, CloudsYaml};
use openstack_proto::glance::{self, Glance, Image, ImageQuery, NewImage, PatchOp};
use openstack_proto::keystone::{self, EndpointFilter, Token};
use openstack_proto::{ApiError, Body, Method, Request, Response};
// The CLI's own HTTP transport, to set the cloud up the way the tests need it.
use glance_sig_cli::cloud::transport::Transport;
use serde_json::{json, Value};

#[path = "support/softhsm.rs"]
mod softhsm;

const BIN: &str = env!("CARGO_BIN_EXE_glance-sig");

// ---------------------------------------------------------------------------------------------
// The stack, logged in through openstack-proto.

/// A logged-in user of the stack.
struct Cloud {
    transport: Transport,
    token: Token,
    glance: Glance,
    barbican: Barbican,
}

impl Cloud {
    fn login(clouds_yaml: &Path, name: &str) -> Result<Self, String> {
        let text = fs::read_to_string(clouds_yaml)
            .map_err(|e| format!("cannot read {}: {e}", clouds_yaml.display()))?;
        let clouds = CloudsYaml::parse(&text).map_err(|e| e.to_string())?;
        let cloud = config::resolve(Some(&clouds), Vec::<(String, String)>::new(), Some(name))
            .map_err(|e| e.to_string())?;
        let keystone = cloud.keystone().map_err(|e| e.to_string())?;
        let auth = cloud.auth().map_err(|e| e.to_string())?;
        let transport = Transport::new(Duration::from_secs(30), ureq::tls::TlsConfig::default());
        let response = transport
            .send(&keystone.authenticate(&auth))
            .map_err(|e| e.to_string())?;
        let token = keystone::parse_token(&response).map_err(|e| e.to_string())?;
        let endpoint = |filter: EndpointFilter| {
            token
                .endpoint(&filter.region(cloud.region_name.as_deref()))
                .map(str::to_owned)
                .map_err(|e| e.to_string())
        };
        let glance = Glance::new(&endpoint(EndpointFilter::image())?, &token.value);
        let barbican = Barbican::new(&endpoint(EndpointFilter::key_manager())?, &token.value);
        Ok(Self {
            transport,
            token,
            glance,
            barbican,
        })
    }

    fn send(&self, request: &Request) -> Response {
        self.transport
            .send(request)
            .unwrap_or_else(|e| panic!("{request:?}: {e}"))
    }

    fn call<T>(
        &self,
        request: &Request,
        parse: impl FnOnce(&Response) -> Result<T, ApiError>,
    ) -> T {
        let response = self.send(request);
        parse(&response).unwrap_or_else(|e| panic!("{request:?}: {e}"))
    }

    fn image(&self, id: &str) -> Option<Image> {
        match glance::parse_image(&self.send(&self.glance.show_image(id))) {
            Ok(image) => Some(image),
            Err(e) if e.is_not_found() => None,
            Err(e) => panic!("show {id}: {e}"),
        }
    }

    fn images_named(&self, name: &str) -> Vec<Image> {
        let query = ImageQuery {
            name: Some(name.to_owned()),
            ..ImageQuery::default()
        };
        self.call(&self.glance.list_images(&query), glance::parse_image_list)
            .images
    }

    fn set_property(&self, id: &str, name: &str, value: &str) {
        let patch = [PatchOp::Replace {
            name: name.to_owned(),
            value: value.to_owned(),
        }];
        self.call(&self.glance.patch_image(id, &patch), glance::parse_image);
    }

    fn upload(&self, id: &str, data: &[u8]) {
        let request = self.glance.upload(id, Some(data.len() as u64));
        let response = self
            .transport
            .send_stream(&request, &mut &data[..])
            .expect("upload");
        glance::parse_uploaded(&response).expect("uploaded");
    }

    /// `POST /v1/secrets` with any body, to store secrets the wrong way on purpose.
    fn store_raw_secret(&self, body: &Value) -> String {
        let mut request = Request::new(
            Method::Post,
            format!("{}/secrets", self.barbican.base_url()),
        )
        .with_header(
            openstack_proto::AUTH_TOKEN_HEADER,
            self.token.value.expose(),
        )
        .with_header("Accept", "application/json")
        .with_header("Content-Type", "application/json");
        request.body = Body::Json(body.to_string().into_bytes());
        self.call(&request, barbican::parse_secret_ref)
    }
}

/// The stack for one test, and what the test made there (removed on drop).
struct Stack {
    clouds_yaml: PathBuf,
    demo: Cloud,
    other: Option<Cloud>,
    images: Vec<String>,
    secrets: Vec<String>,
    other_secrets: Vec<String>,
    dir: PathBuf,
    /// Unique to this test run: in image names and certificate subjects.
    tag: String,
}

/// The test's stack, or return from the test (a skip) when there is none.
macro_rules! stack_or_skip {
    ($test:expr) => {
        match Stack::get($test) {
            Some(stack) => stack,
            None => return,
        }
    };
}

impl Stack {
    /// The stack, or `None` to skip (panics instead under GLANCE_SIG_CLOUD_TESTS=1).
    fn get(test: &str) -> Option<Self> {
        let required = std::env::var("GLANCE_SIG_CLOUD_TESTS").is_ok_and(|v| v == "1");
        let clouds_yaml = std::env::var_os("GLANCE_SIG_CLOUDS_YAML")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.stack/clouds.yaml")
            });
        match Cloud::login(&clouds_yaml, "glance-sig-demo") {
            Ok(demo) => {
                let tag = unique();
                let dir = std::env::temp_dir().join(format!("glance-sig-{test}-{tag}"));
                fs::create_dir_all(&dir).expect("temp dir");
                Some(Self {
                    tag,
                    clouds_yaml,
                    demo,
                    other: None,
                    images: Vec::new(),
                    secrets: Vec::new(),
                    other_secrets: Vec::new(),
                    dir,
                })
            }
            Err(e) if required => panic!(
                "GLANCE_SIG_CLOUD_TESTS=1 but the stack does not answer ({}): {e}\n\
                 start it with scripts/cloud/stack.sh start",
                clouds_yaml.display()
            ),
            Err(e) => {
                eprintln!("skipping {test}: no stack ({e}); set GLANCE_SIG_CLOUD_TESTS=1 to fail");
                None
            }
        }
    }

    fn other(&mut self) -> &Cloud {
        let clouds_yaml = self.clouds_yaml.clone();
        self.other.get_or_insert_with(|| {
            Cloud::login(&clouds_yaml, "glance-sig-other").expect("login as other")
        })
    }

    /// glance-sig as the demo user, with only the stack's clouds.yaml in its environment, and
    /// `env` on top (an empty value removes a variable).
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(BIN);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("OS_") {
                command.env_remove(key);
            }
        }
        command
            .args(args)
            .env("OS_CLIENT_CONFIG_FILE", &self.clouds_yaml)
            .env("OS_CLOUD", "glance-sig-demo")
            .current_dir(&self.dir);
        for (key, value) in env {
            // An empty value removes the variable (OS_CLIENT_CONFIG_FILE, OS_CLOUD).
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        command
    }

    /// Runs glance-sig as the demo user and waits for it; `env` as in [`Stack::command`].
    fn glance_sig(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("run glance-sig")
    }

    /// `glance-sig upload --json`, expected to succeed; the image is removed at the end.
    fn upload_ok(&mut self, image: &Path, key: &Path, cert: &Path, extra: &[&str]) -> Value {
        self.upload_ok_with(image, key, cert, extra, &[])
    }

    /// [`Stack::upload_ok`] with more environment (another cloud, say).
    fn upload_ok_with(
        &mut self,
        image: &Path,
        key: &Path,
        cert: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Value {
        let mut args = upload_with(image, key, cert, &["--json"]);
        args.extend_from_slice(extra);
        let output = self.glance_sig(&args, env);
        let result: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!("upload failed:\n{}", describe(&output));
        });
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        let id = result["id"].as_str().expect("id").to_owned();
        self.images.push(id);
        let uuid = result["certificate"]["uuid"]
            .as_str()
            .expect("uuid")
            .to_owned();
        if result["certificate"]["stored"] == json!(true) {
            self.secrets.push(uuid);
        }
        result
    }
}

impl Stack {
    /// The stack's Glance, as `IP:port` (for proxies put in front of it).
    fn glance_address(&self) -> SocketAddr {
        let glance_url = self
            .demo
            .token
            .endpoint(&EndpointFilter::image().region(Some("RegionOne")))
            .expect("image endpoint")
            .to_owned();
        glance_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host:port")
            .parse()
            .expect("the stack's Glance is at an IP:port")
    }

    /// The stack's TLS files (scripts/cloud/stack.sh): ca.pem, client.pem, client-key.pem.
    fn tls_file(&self, name: &str) -> String {
        let path = self
            .clouds_yaml
            .parent()
            .expect("state dir")
            .join("tls")
            .join(name);
        assert!(
            path.is_file(),
            "{} missing: stack.sh start makes it",
            path.display()
        );
        path.display().to_string()
    }

    /// The demo user's cloud, as the stack's clouds.yaml gives it.
    fn demo_config(&self) -> config::CloudConfig {
        let text = fs::read_to_string(&self.clouds_yaml).expect("clouds.yaml");
        let clouds = CloudsYaml::parse(&text).expect("parse");
        config::resolve(
            Some(&clouds),
            Vec::<(String, String)>::new(),
            Some("glance-sig-demo"),
        )
        .expect("demo cloud")
    }

    /// A clouds.yaml of one cloud `name`: the demo user at `auth_url` in `region`, with
    /// `extra` lines (cacert, cert, key, verify) under the cloud.
    fn clouds_yaml_for(
        &self,
        name: &str,
        auth_url: &str,
        region: &str,
        extra: &[String],
    ) -> String {
        let demo = self.demo_config();
        let mut yaml = format!(
            "clouds:\n  {name}:\n    auth:\n      auth_url: {auth_url}\n      username: {}\n      \
             password: {}\n      project_name: {}\n      user_domain_name: Default\n      \
             project_domain_name: Default\n    region_name: {region}\n",
            demo.username.as_deref().expect("user"),
            demo.password.as_ref().expect("password").expose(),
            demo.project_name.as_deref().expect("project"),
        );
        for line in extra {
            yaml += &format!("    {line}\n");
        }
        let path = self.dir.join(format!("{name}.yaml"));
        fs::write(&path, yaml).expect("write clouds.yaml");
        path.display().to_string()
    }

    /// `args` run with `--engine component`, when the component is built.
    fn in_component(&self, args: &[&str]) -> Option<Output> {
        let component = component()?;
        let engine = ["--engine", "component", "--component", path_str(&component)];
        Some(self.glance_sig(&[args, &engine[..]].concat(), &[]))
    }

    /// Images of that name, and certificate secrets of this test, to be removed at the end.
    fn collect_leftovers(&mut self, name: &str) -> Vec<Image> {
        let images = self.demo.images_named(name);
        self.images.extend(images.iter().map(|i| i.id.clone()));
        let secrets = self.demo.call(
            &self.demo.barbican.list_certificates(100, 0),
            barbican::parse_secret_list,
        );
        self.secrets.extend(secrets_tagged(&secrets, &self.tag));
        images
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for id in &self.images {
            let _ = self.demo.transport.send(&self.demo.glance.delete_image(id));
        }
        for uuid in &self.secrets {
            let _ = self
                .demo
                .transport
                .send(&self.demo.barbican.delete_secret(uuid));
        }
        if let Some(other) = &self.other {
            for uuid in &self.other_secrets {
                let _ = other.transport.send(&other.barbican.delete_secret(uuid));
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The ids of the secrets whose name carries `tag` (the subject of a test certificate).
fn secrets_tagged(page: &barbican::SecretPage, tag: &str) -> Vec<String> {
    page.secrets
        .iter()
        .filter(|s| s.name.as_deref().is_some_and(|n| n.contains(tag)))
        .filter_map(|s| s.uuid().map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Keys, certificates and image files.

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `upload --image IMAGE --key KEY --cert CERT --name NAME`.
fn upload_args<'a>(image: &'a Path, key: &'a Path, cert: &'a Path, name: &'a str) -> Vec<&'a str> {
    upload_with(image, key, cert, &["--name", name])
}

/// `upload --image IMAGE --key KEY --cert CERT EXTRA...`.
fn upload_with<'a>(
    image: &'a Path,
    key: &'a Path,
    cert: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "upload",
        "--image",
        path_str(image),
        "--key",
        path_str(key),
        "--cert",
        path_str(cert),
    ];
    args.extend_from_slice(extra);
    args
}

/// The component for `--engine component`, when it is built (`scripts/component/build.sh
/// --wasm`, or `GLANCE_SIG_COMPONENT`).
fn component() -> Option<PathBuf> {
    let path = std::env::var_os("GLANCE_SIG_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/component/glance_sig_component.wasm")
        });
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "no component at {}: --engine component not tried",
            path.display()
        );
        None
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        describe(&output)
    );
}

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    Rsa,
    P384,
    P521,
    Dsa,
}

impl KeyKind {
    fn key_type(self) -> &'static str {
        match self {
            Self::Rsa => "RSA-PSS",
            Self::P384 => "ECC_SECP384R1",
            Self::P521 => "ECC_SECP521R1",
            Self::Dsa => "DSA",
        }
    }
}

/// A private key and a self-signed certificate for it (valid a year, `tag` in its subject):
/// `(key, cert)`.
fn key_and_cert(dir: &Path, kind: KeyKind, tag: &str) -> (PathBuf, PathBuf) {
    let stem = format!("{kind:?}").to_lowercase();
    let key = format!("{stem}.key");
    let cert = format!("{stem}.crt");
    match kind {
        KeyKind::Rsa => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ],
        ),
        KeyKind::P384 | KeyKind::P521 => {
            let curve = if matches!(kind, KeyKind::P384) {
                "ec_paramgen_curve:secp384r1"
            } else {
                "ec_paramgen_curve:secp521r1"
            };
            openssl(
                dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    curve,
                    "-out",
                    &key,
                ],
            );
        }
        KeyKind::Dsa => {
            openssl(
                dir,
                &[
                    "genpkey",
                    "-genparam",
                    "-algorithm",
                    "DSA",
                    "-pkeyopt",
                    "dsa_paramgen_bits:2048",
                    "-out",
                    "dsa.param",
                ],
            );
            openssl(dir, &["genpkey", "-paramfile", "dsa.param", "-out", &key]);
        }
    }
    let subject = format!("/CN=glance-sig cloud test {stem} {tag}");
    openssl(
        dir,
        &[
            "req", "-new", "-x509", "-key", &key, "-out", &cert, "-days", "365", "-subj", &subject,
        ],
    );
    (dir.join(key), dir.join(cert))
}

/// A certificate for `key` that expired in 2020 (`openssl ca` can back-date, `req` cannot).
fn expired_cert(dir: &Path, key: &Path) -> PathBuf {
    let ca = dir.join("ca");
    fs::create_dir_all(&ca).expect("ca dir");
    fs::write(ca.join("index.txt"), "").expect("index");
    fs::write(
        ca.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {0}/index.txt\nnew_certs_dir = {0}\n\
             rand_serial = yes\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
            ca.display()
        ),
    )
    .expect("ca.cnf");
    let key = path_str(key);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            key,
            "-subj",
            "/CN=glance-sig expired",
            "-out",
            "ca/exp.csr",
        ],
    );
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca/ca.cnf",
            "-selfsign",
            "-keyfile",
            key,
            "-in",
            "ca/exp.csr",
            "-out",
            "expired.crt",
            "-notext",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
        ],
    );
    dir.join("expired.crt")
}

/// `size` pseudo-random bytes (a simple LCG: the content only has to differ between files).
fn image_file(dir: &Path, name: &str, size: usize, seed: u64) -> PathBuf {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let data: Vec<u8> = (0..size)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    let path = dir.join(name);
    fs::write(&path, data).expect("image file");
    path
}

// ---------------------------------------------------------------------------------------------
// Tests that need no stack.

/// Runs a command line that clap must refuse: exit 2, and the usage message.
fn usage_error(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).output().expect("run");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        describe(&output)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn image_and_image_id_are_mutually_exclusive() {
    let stderr = usage_error(&[
        "verify",
        "--image",
        "a.img",
        "--image-id",
        "x",
        "--cert",
        "c.pem",
    ]);
    assert!(
        stderr.contains("--image <IMAGE>") && stderr.contains("--image-id"),
        "{stderr}"
    );
    let stderr = usage_error(&["verify", "--cert", "c.pem"]);
    assert!(stderr.contains("--image-id"), "{stderr}");
    let stderr = usage_error(&["verify", "--image-id", "x", "--properties", "p.json"]);
    assert!(stderr.contains("--properties"), "{stderr}");
}

#[test]
fn upload_needs_a_certificate() {
    let stderr = usage_error(&["upload", "--image", "a.img", "--key", "k.pem"]);
    assert!(
        stderr.contains("--cert-uuid") && stderr.contains("--cert"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Good signatures of every key type.

fn good_upload(kind: KeyKind, hash: &str) {
    let mut stack = stack_or_skip!(&format!("good-{kind:?}"));
    let (key, cert) = key_and_cert(&stack.dir, kind, &stack.tag);
    let image = image_file(&stack.dir, "disk.img", 3 << 20, kind as u64);
    let name = format!("gs-good-{kind:?}-{}", unique());
    let result = stack.upload_ok(
        &image,
        &key,
        &cert,
        &["--name", &name, "--hash-method", hash],
    );
    let id = result["id"].as_str().expect("id").to_owned();

    let stored = stack.demo.image(&id).expect("image exists");
    assert_eq!(stored.status, "active");
    assert_eq!(stored.size, Some(3 << 20));
    assert_eq!(stored.disk_format.as_deref(), Some("raw"));
    for name in [
        "img_signature",
        "img_signature_hash_method",
        "img_signature_key_type",
        "img_signature_certificate_uuid",
    ] {
        assert_eq!(
            stored.properties.get(name).map(String::as_str),
            result["properties"][name].as_str(),
            "{name}"
        );
    }
    assert_eq!(
        stored
            .properties
            .get("img_signature_key_type")
            .map(String::as_str),
        Some(kind.key_type())
    );
    assert_eq!(
        stored
            .properties
            .get("img_signature_hash_method")
            .map(String::as_str),
        Some(hash)
    );

    // The same image, verified from the cloud as Nova would.
    let output = stack.glance_sig(&["verify", "--image-id", &id], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Signature valid"));
    // And with the download streamed through the WebAssembly component: the same report.
    if let Some(with_component) = stack.in_component(&["verify", "--image-id", &id]) {
        assert_eq!(
            with_component.status.code(),
            Some(0),
            "{}",
            describe(&with_component)
        );
        assert_eq!(
            String::from_utf8_lossy(&with_component.stdout),
            String::from_utf8_lossy(&output.stdout)
        );
    }

    // Who signed: without an anchor the report says so, and --require-trust refuses it. An
    // anchor given as a Barbican secret id is read from Barbican (as Nova reads
    // trusted_image_certificates); this self-signed certificate has no keyUsage, so Nova would
    // not take it as an issuer, and the chain is refused.
    if matches!(kind, KeyKind::P384) {
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(out.contains("authenticity NOT established"), "{out}");
        let strict = stack.glance_sig(&["verify", "--image-id", &id, "--require-trust"], &[]);
        assert_eq!(strict.status.code(), Some(1), "{}", describe(&strict));
        let uuid = result["certificate"]["uuid"]
            .as_str()
            .expect("certificate uuid");
        let anchored = stack.glance_sig(
            &["verify", "--image-id", &id, "--trusted", uuid, "--json"],
            &[],
        );
        assert_eq!(anchored.status.code(), Some(1), "{}", describe(&anchored));
        let report: serde_json::Value =
            serde_json::from_slice(&anchored.stdout).expect("verify --json");
        assert_eq!(report["trust"]["code"], "not-anchored", "{report}");
        assert_eq!(report["signature"]["valid"], true, "{report}");
        let skipped = report["chain"]["skipped_trusted"].to_string();
        assert!(skipped.contains("key usage"), "{report}");
    }

    // A second upload of the same certificate reuses the secret.
    let again = stack.upload_ok(&image, &key, &cert, &["--name", &name]);
    assert_eq!(again["certificate"]["stored"], json!(false), "{again}");
    assert_eq!(
        again["certificate"]["uuid"], result["certificate"]["uuid"],
        "the identical certificate is found in Barbican"
    );
}

// One test per key type, so that they run (and fail) apart.
macro_rules! good_signature_tests {
    ($($name:ident: $kind:ident, $hash:literal;)*) => {
        $(
            #[test]
            fn $name() {
                good_upload(KeyKind::$kind, $hash);
            }
        )*
    };
}

good_signature_tests! {
    good_signature_rsa_pss: Rsa, "SHA-256";
    good_signature_ecc_secp384r1: P384, "SHA-384";
    good_signature_ecc_secp521r1: P521, "SHA-512";
    good_signature_dsa: Dsa, "SHA-256";
}

/// `upload --engine component`: the signing pass runs in the WebAssembly component, and Glance
/// verifies what it signed on upload (RSA-PSS, whose salt is the component's choice).
#[test]
fn the_component_signs_what_glance_accepts() {
    let mut stack = stack_or_skip!("upload-component");
    let Some(component) = component() else {
        return;
    };
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::Rsa, &stack.tag);
    let image = image_file(&stack.dir, "disk.img", 2 << 20, 31);
    let name = format!("gs-component-{}", unique());
    let engine = ["--engine", "component", "--component", path_str(&component)];
    let result = stack.upload_ok(
        &image,
        &key,
        &cert,
        &[&["--name", &name][..], &engine].concat(),
    );
    let id = result["id"].as_str().expect("id");
    let stored = stack.demo.image(id).expect("image exists");
    assert_eq!(
        stored.status, "active",
        "Glance verified the component's signature"
    );
    let output = stack.glance_sig(&["verify", "--image-id", id], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

/// Signers outside the process: a key in a PKCS#11 token (SoftHSM2), and a signer command
/// standing in for a KMS (openssl over the digest, with the digest-length PSS salt KMS services
/// use). Glance verifies each on upload, in each engine, and `verify --image-id` agrees.
#[test]
fn keys_in_a_token_and_behind_a_signer_command_sign_what_glance_accepts() {
    let mut stack = stack_or_skip!("upload-outside-signers");
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let hsm = softhsm::SoftHsm::new(&stack.dir.join("softhsm"), "cloud-test");
    let pkcs8 = stack.dir.join("p384.pk8.pem");
    openssl(
        &stack.dir,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            path_str(&key),
            "-out",
            path_str(&pkcs8),
        ],
    );
    hsm.import(&pkcs8, "image-key", "01");
    let (rsa_key, rsa_cert) = key_and_cert(&stack.dir, KeyKind::Rsa, &stack.tag);
    let kms = format!(
        "openssl pkeyutl -sign -inkey {} -in \"$GLANCE_SIG_DIGEST_FILE\" -pkeyopt digest:$GLANCE_SIG_HASH -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:digest | base64 -w0",
        path_str(&rsa_key)
    );
    let image = image_file(&stack.dir, "disk.img", 3 << 20, 47);
    let conf = ("SOFTHSM2_CONF", path_str(&hsm.conf));
    let component = component();
    let mut engines = vec![vec!["--engine", "native"]];
    if let Some(c) = &component {
        engines.push(vec!["--engine", "component", "--component", path_str(c)]);
    }
    for engine in &engines {
        let token_key = hsm.uri("image-key");
        let cases: [(&[&str], &Path, &str); 2] = [
            (&["--key", &token_key], &cert, "ECC_SECP384R1"),
            (&["--signer-command", &kms], &rsa_cert, "RSA-PSS"),
        ];
        for (signer, cert, key_type) in cases {
            let name = format!("gs-outside-{}", unique());
            let mut args = vec![
                "upload",
                "--image",
                path_str(&image),
                "--cert",
                path_str(cert),
            ];
            args.extend_from_slice(signer);
            args.extend_from_slice(&["--name", &name, "--json"]);
            args.extend_from_slice(engine);
            let output = stack.glance_sig(&args, &[conf]);
            assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
            let result: Value = serde_json::from_slice(&output.stdout).expect("JSON");
            let id = result["id"].as_str().expect("id").to_owned();
            stack.images.push(id.clone());
            if result["certificate"]["stored"] == json!(true) {
                stack.secrets.push(
                    result["certificate"]["uuid"]
                        .as_str()
                        .expect("uuid")
                        .to_owned(),
                );
            }
            let stored = stack.demo.image(&id).expect("image exists");
            assert_eq!(
                stored.status, "active",
                "Glance verified it: {engine:?} {signer:?}"
            );
            let stored_type = stored.properties.get("img_signature_key_type");
            assert_eq!(stored_type.map(String::as_str), Some(key_type));
            let verified = stack.glance_sig(&["verify", "--image-id", &id], &[]);
            assert_eq!(verified.status.code(), Some(0), "{}", describe(&verified));
        }
    }
    // A wrong PIN fails before the cloud is touched: no image, no secret.
    let name = format!("gs-outside-bad-pin-{}", unique());
    let wrong = stack.dir.join("wrong-pin");
    fs::write(&wrong, "0000\n").expect("pin");
    let bad = hsm
        .uri("image-key")
        .replace(path_str(&hsm.pin_file), path_str(&wrong));
    let output = stack.glance_sig(
        &[
            "upload",
            "--image",
            path_str(&image),
            "--cert",
            path_str(&cert),
            "--key",
            &bad,
            "--name",
            &name,
        ],
        &[conf],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr_of(&output).contains("wrong PIN"),
        "{}",
        describe(&output)
    );
    assert!(
        stack.demo.images_named(&name).is_empty(),
        "nothing uploaded"
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals and failures leave nothing behind.

#[test]
fn tampered_data_is_refused_and_the_image_deleted() {
    let mut stack = stack_or_skip!("tampered");
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let signed = image_file(&stack.dir, "signed.img", 1 << 20, 1);
    // The bytes change on their way to Glance: one byte of the body, past the headers.
    let tamperer = proxy(stack.glance_address(), OnPut::FlipByteAt(64 << 10));
    let name = format!("gs-tampered-{}", unique());
    let output = stack.glance_sig(
        &upload_args(&signed, &key, &cert, &name),
        &[("OS_IMAGE_ENDPOINT_OVERRIDE", &format!("http://{tamperer}"))],
    );
    let images = stack.collect_leftovers(&name);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Signature verification failed"), "{stderr}");
    assert!(stderr.contains("nothing is left behind"), "{stderr}");
    assert!(
        stderr.contains("fix: the uploaded bytes do not match"),
        "{stderr}"
    );
    assert!(images.is_empty(), "left behind: {images:?}");
}

/// What [`proxy`] does to a `PUT` (an image upload).
#[derive(Clone, Copy)]
enum OnPut {
    /// Cut the connection (both ways) once this many bytes went up.
    CutAfter(u64),
    /// Pass it on at about this many bytes a second.
    Throttle(u64),
    /// Invert the byte at this offset of what goes up (headers included).
    FlipByteAt(u64),
}

/// Forwards connections to `upstream`, doing `on_put` to uploads. Serves at most 16
/// connections.
fn proxy(upstream: SocketAddr, on_put: OnPut) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    thread::spawn(move || {
        for client in listener.incoming().take(16) {
            let Ok(client) = client else { continue };
            thread::spawn(move || {
                let Ok(server) = TcpStream::connect(upstream) else {
                    return;
                };
                let (mut from_server, mut to_client) = (
                    server.try_clone().expect("clone"),
                    client.try_clone().expect("clone"),
                );
                thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
                let (mut client, mut server) = (client, server);
                let mut buffer = [0u8; 16 * 1024];
                let mut sent = 0u64;
                let mut is_put = None;
                loop {
                    let n = match client.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let put = *is_put.get_or_insert_with(|| buffer[..n].starts_with(b"PUT "));
                    if let OnPut::FlipByteAt(at) = on_put {
                        if put && (sent..sent + n as u64).contains(&at) {
                            let i = usize::try_from(at - sent).expect("offset");
                            buffer[i] = !buffer[i];
                        }
                    }
                    sent += n as u64;
                    match on_put {
                        OnPut::CutAfter(limit) if put && sent > limit => {
                            let _ = client.shutdown(Shutdown::Both);
                            let _ = server.shutdown(Shutdown::Both);
                            return;
                        }
                        OnPut::Throttle(rate) if put => {
                            thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / rate));
                        }
                        _ => {}
                    }
                    if server.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(Shutdown::Write);
            });
        }
    });
    address
}

#[test]
fn a_connection_cut_during_upload_leaves_no_image() {
    let mut stack = stack_or_skip!("cut");
    let upstream = stack.glance_address();
    let proxy = proxy(upstream, OnPut::CutAfter(2 << 20));

    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let image = image_file(&stack.dir, "big.img", 16 << 20, 3);
    let name = format!("gs-cut-{}", unique());
    let output = stack.glance_sig(
        &[
            upload_args(&image, &key, &cert, &name),
            vec!["--timeout", "30"],
        ]
        .concat(),
        &[("OS_IMAGE_ENDPOINT_OVERRIDE", &format!("http://{proxy}"))],
    );
    // Whatever Glance still does with the broken upload, no image of that name may remain.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !stack.demo.images_named(&name).is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(500));
    }
    let left = stack.collect_leftovers(&name);
    // A broken connection decides nothing about the image: "could not check".
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("uploading image"), "{stderr}");
    assert!(stderr.contains("the image was deleted"), "{stderr}");
    assert!(left.is_empty(), "left behind: {left:?}\n{stderr}");
}

// ---------------------------------------------------------------------------------------------
// audit: each problem reported with its fix.

/// The audit of image `id` in an audit's JSON (null when it is not there).
fn audited(report: &Value, id: &str) -> Value {
    report["images"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["id"] == json!(id)))
        .cloned()
        .unwrap_or(Value::Null)
}

fn findings(report: &Value, id: &str) -> Vec<Value> {
    audited(report, id)["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("image {id} not audited"))
        .clone()
}

fn codes(report: &Value, id: &str) -> Vec<String> {
    findings(report, id)
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn audit_reports_each_problem_with_its_fix() {
    let mut stack = stack_or_skip!("audit");
    let dir = stack.dir.clone();
    let (key, cert) = key_and_cert(&dir, KeyKind::P384, &stack.tag);
    let expired = expired_cert(&dir, &key);
    let data = image_file(&dir, "disk.img", 1 << 20, 4);
    let tag = stack.tag.clone();
    let upload = |stack: &mut Stack, what: &str, cert: &Path| -> String {
        let name = format!("gs-audit-{what}-{tag}");
        let result = stack.upload_ok(&data, &key, cert, &["--name", &name]);
        result["id"].as_str().expect("id").to_owned()
    };
    // Signed data whose img_signature_certificate_uuid is then pointed at `secret`.
    let upload_pointing_at = |stack: &mut Stack, what: &str, secret: &str| -> String {
        let id = upload(stack, what, &cert);
        stack
            .demo
            .set_property(&id, "img_signature_certificate_uuid", secret);
        id
    };

    // A good one, and one signed under an expired certificate (Glance does not check dates).
    let good = upload(&mut stack, "good", &cert);
    let expired_id = upload(&mut stack, "expired", &expired);

    // The certificate stored as DER, then as text/plain: the image's data stays signed, only
    // img_signature_certificate_uuid is pointed at the badly stored secret.
    let der = Command::new("openssl")
        .args(["x509", "-in", path_str(&cert), "-outform", "DER"])
        .output()
        .expect("openssl")
        .stdout;
    let der_secret = stack.demo.store_raw_secret(&json!({
        "name": "glance-sig cloud test der",
        "secret_type": "certificate",
        "payload": glance_sig_core::base64::encode(&der),
        "payload_content_type": "application/octet-stream",
        "payload_content_encoding": "base64",
    }));
    stack.secrets.push(der_secret.clone());
    let der_id = upload_pointing_at(&mut stack, "der", &der_secret);

    let pem = fs::read_to_string(&cert).expect("pem");
    let text_secret = stack.demo.store_raw_secret(&json!({
        "name": "glance-sig cloud test text",
        "secret_type": "certificate",
        "payload": pem,
        "payload_content_type": "text/plain",
    }));
    stack.secrets.push(text_secret.clone());
    let text_id = upload_pointing_at(&mut stack, "text", &text_secret);

    // Another project's certificate, referenced from demo.
    let other = stack.other();
    let request = other
        .barbican
        .store_certificate("glance-sig cloud test other", pem.as_bytes(), None)
        .expect("request");
    let other_secret = other.call(&request, barbican::parse_secret_ref);
    stack.other_secrets.push(other_secret.clone());
    let other_id = upload_pointing_at(&mut stack, "other", &other_secret);

    // A partial property set, made directly: Glance stores the data unverified.
    let partial = NewImage::new(&format!("gs-audit-partial-{tag}"), "raw", "bare")
        .with_property("img_signature", "MGUCMQD3")
        .with_property("img_signature_hash_method", "SHA-256");
    let partial = create_and_upload(&mut stack, &partial, b"unverified data");

    // An unsigned one.
    let unsigned = create_and_upload(
        &mut stack,
        &NewImage::new(&format!("gs-audit-unsigned-{tag}"), "raw", "bare"),
        b"plain data",
    );

    let output = stack.glance_sig(&["audit", "--json", "--verify", "--mine"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");

    let good_findings = findings(&report, &good);
    assert!(good_findings.is_empty(), "{good_findings:?}");
    let audit_of = |id: &str| audited(&report, id);
    assert_eq!(audit_of(&good)["data_verified"], json!(true));
    // The data pass in the WebAssembly component: the same audit of each of these images
    // (other tests' images come and go in the same project meanwhile).
    if let Some(with_component) = stack.in_component(&["audit", "--json", "--verify", "--mine"]) {
        assert_eq!(
            with_component.status.code(),
            Some(1),
            "{}",
            describe(&with_component)
        );
        let other: Value = serde_json::from_slice(&with_component.stdout).expect("JSON");
        for id in [&good, &expired_id, &der_id, &text_id, &other_id, &partial] {
            // The same verdict and findings (messages carry each request's own id).
            let (in_component, native) = (audited(&other, id), audit_of(id));
            assert_eq!(
                in_component["data_verified"], native["data_verified"],
                "{id}"
            );
            assert_eq!(in_component["signing"], native["signing"], "{id}");
            assert_eq!(codes(&other, id), codes(&report, id), "{id}");
        }
    }
    assert!(codes(&report, &expired_id).contains(&"certificate-expired".to_owned()));
    assert_eq!(audit_of(&expired_id)["data_verified"], json!(true));
    assert!(
        codes(&report, &der_id).contains(&"secret-not-pem".to_owned()),
        "{:?}",
        codes(&report, &der_id)
    );
    assert!(
        codes(&report, &text_id).contains(&"secret-wrong-content-type".to_owned()),
        "{:?}",
        codes(&report, &text_id)
    );
    let other_codes = codes(&report, &other_id);
    assert!(
        other_codes
            .iter()
            .any(|c| c == "certificate-forbidden" || c == "certificate-not-found"),
        "{other_codes:?}"
    );
    let partial_findings = findings(&report, &partial);
    assert_eq!(partial_findings[0]["code"], json!("partially-signed"));
    let message = partial_findings[0]["message"].as_str().expect("message");
    assert!(
        message.contains("img_signature_key_type")
            && message.contains("img_signature_certificate_uuid"),
        "{message}"
    );
    assert_eq!(codes(&report, &unsigned), vec!["unsigned".to_owned()]);
    let flawed = [
        &expired_id,
        &der_id,
        &text_id,
        &other_id,
        &partial,
        &unsigned,
    ];
    for id in flawed {
        for finding in findings(&report, id) {
            assert!(
                finding["fix"].as_str().is_some_and(|f| f.len() > 10),
                "{id}: {finding}"
            );
        }
    }

    // The table: a row per image, each problem with its fix under it.
    let output = stack.glance_sig(&["audit", "--mine"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    for id in std::iter::once(&good).chain(flawed) {
        assert!(table.contains(id.as_str()), "{id} missing:\n{table}");
    }
    assert!(table.contains("fix: convert it to PEM"), "{table}");
    assert!(
        table.contains("Barbican ACL") || table.contains("another project"),
        "{table}"
    );

    // verify --image-id refuses the DER secret as castellan would, with the fix.
    let output = stack.glance_sig(&["verify", "--image-id", &der_id], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("fix: convert it to PEM"));
    // ... and with the certificate given locally, the data verifies.
    let output = stack.glance_sig(
        &["verify", "--image-id", &der_id, "--cert", path_str(&cert)],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

/// Creates `image` directly (no signing, so Glance verifies nothing unless all four properties
/// are set), uploads `data` and returns its id; the image is removed at the end.
fn create_and_upload(stack: &mut Stack, image: &NewImage, data: &[u8]) -> String {
    let request = stack.demo.glance.create_image(image).expect("request");
    let id = stack.demo.call(&request, glance::parse_image).id;
    stack.images.push(id.clone());
    stack.demo.upload(&id, data);
    id
}

/// The row of image `id` in an audit table, and the lines under it up to the next row.
fn audit_row<'a>(table: &'a str, id: &str) -> &'a str {
    let start = table
        .find(id)
        .unwrap_or_else(|| panic!("{id} not in the table:\n{table}"));
    let rest = &table[start..];
    // The next row starts at a line that begins with a character other than a space.
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| rest[i..].chars().next().is_some_and(|c| c != ' '))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn audit_says_what_was_checked_and_names_the_cause() {
    use glance_sig_core::policy::ImageVerdict;

    let mut stack = stack_or_skip!("audit-states");
    let dir = stack.dir.clone();
    let (key, cert) = key_and_cert(&dir, KeyKind::Rsa, &stack.tag);
    let data = image_file(&dir, "disk.img", 1 << 20, 7);
    let tag = stack.tag.clone();
    let upload = |stack: &mut Stack, what: &str| -> String {
        let name = format!("gs-states-{what}-{tag}");
        stack.upload_ok(&data, &key, &cert, &["--name", &name])["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let good = upload(&mut stack, "good");
    // Good data signed with SHA-256; the property then says SHA-512.
    let wrong_hash = upload(&mut stack, "wrong-hash");
    stack
        .demo
        .set_property(&wrong_hash, "img_signature_hash_method", "SHA-512");
    // Tampered: three properties at upload (so Glance verifies nothing), other bytes stored,
    // then the good signature added.
    let signed = stack.demo.image(&good).expect("good image").properties;
    let mut tampered = NewImage::new(&format!("gs-states-tampered-{tag}"), "raw", "bare");
    for name in [
        "img_signature_hash_method",
        "img_signature_key_type",
        "img_signature_certificate_uuid",
    ] {
        tampered = tampered.with_property(name, &signed[name]);
    }
    let mut other_bytes = fs::read(&data).expect("image");
    other_bytes[1000] ^= 1;
    let tampered = create_and_upload(&mut stack, &tampered, &other_bytes);
    let patch = [PatchOp::Add {
        name: "img_signature".to_owned(),
        value: signed["img_signature"].clone(),
    }];
    stack.demo.call(
        &stack.demo.glance.patch_image(&tampered, &patch),
        glance::parse_image,
    );
    // Two partially signed images: their advice is said once.
    let mut partials = Vec::new();
    for n in 0..2 {
        let partial = NewImage::new(&format!("gs-states-partial{n}-{tag}"), "raw", "bare")
            .with_property("img_signature", "c2ln")
            .with_property("img_signature_hash_method", "SHA-256");
        partials.push(create_and_upload(&mut stack, &partial, b"unverified data"));
    }

    // Plain audit: the properties are there, the data was not checked; never "verified".
    let output = stack.glance_sig(&["audit", "--mine"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    for id in [&good, &wrong_hash, &tampered] {
        let row = audit_row(&table, id);
        assert!(row.contains("? signed, data not checked here"), "{row}");
    }
    assert!(!table.contains("verified here"), "{table}");
    assert!(!table.contains("signed and usable"), "{table}");
    for id in &partials {
        let row = audit_row(&table, id);
        assert!(row.contains("✘ partially signed"), "{row}");
        assert!(row.contains("missing img_signature_key_type"), "{row}");
    }
    // Each kind's advice once, under the table.
    for kind in [ImageVerdict::SignedUnchecked, ImageVerdict::PartiallySigned] {
        let advice = kind.advice();
        assert_eq!(
            table.matches(advice.as_str()).count(),
            1,
            "{kind:?}:\n{table}"
        );
    }
    assert!(table.contains("glance-sig audit --verify"), "{table}");

    // The partial set's fix is the very text inspect gives for the same properties.
    let props = dir.join("partial.json");
    fs::write(
        &props,
        json!({"img_signature": "c2ln", "img_signature_hash_method": "SHA-256"}).to_string(),
    )
    .expect("write");
    let inspected = stack.glance_sig(&["inspect", path_str(&props)], &[]);
    assert_eq!(inspected.status.code(), Some(0), "{}", describe(&inspected));
    let inspected = String::from_utf8_lossy(&inspected.stdout).into_owned();
    let fix = inspected
        .lines()
        .find_map(|line| line.split_once("; fix: ").map(|(_, fix)| fix.to_owned()))
        .unwrap_or_else(|| panic!("no fix in:\n{inspected}"));
    assert!(fix.len() > 100, "{fix}");
    assert_eq!(table.matches(fix.as_str()).count(), 1, "{fix}\n{table}");

    // --verify: the data checked, and a failure names its cause and the cause's fix.
    let output = stack.glance_sig(&["audit", "--mine", "--verify"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    let row = audit_row(&table, &good);
    assert!(row.contains("✔ verified here at 20"), "{row}");
    let row = audit_row(&table, &tampered);
    assert!(row.contains("✘ signature fails"), "{row}");
    assert!(row.contains("the image changed after signing"), "{row}");
    assert!(
        row.contains("fix: upload the bytes that were signed, or sign the bytes stored now"),
        "{row}"
    );
    let row = audit_row(&table, &wrong_hash);
    assert!(row.contains("✘ signature fails"), "{row}");
    assert!(
        row.contains("the signature verifies with SHA-256, not SHA-512"),
        "{row}"
    );
    assert!(
        row.contains("fix: set img_signature_hash_method to SHA-256"),
        "{row}"
    );
    assert!(!table.contains("see the diagnosis"), "{table}");
    assert_eq!(
        table
            .matches(ImageVerdict::SignatureFails.advice().as_str())
            .count(),
        1,
        "{table}"
    );
    // The same in JSON: the verdict, and the error's fix is the cause's.
    let output = stack.glance_sig(&["audit", "--mine", "--verify", "--json"], &[]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let image = |id: &str| audited(&report, id);
    assert_eq!(image(&good)["verdict"], json!("verified"));
    assert_eq!(image(&wrong_hash)["verdict"], json!("signature-fails"));
    let fixes: Vec<Value> = findings(&report, &wrong_hash)
        .iter()
        .map(|f| f["fix"].clone())
        .collect();
    assert!(
        fixes.contains(&json!("set img_signature_hash_method to SHA-256")),
        "{fixes:?}"
    );

    // verify --image-id of the tampered image: the report's fix is the cause's too.
    let output = stack.glance_sig(&["verify", "--image-id", &tampered], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("Fix: upload the bytes that were signed, or sign the bytes stored now"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// HTTPS: the same stack behind TLS fronts with a private CA (scripts/cloud/stack.sh): region
// RegionTLS (5443, 9293, 9312), RegionMTLS (client certificates required: 5444, 9294, 9313), a
// Keystone front with an expired certificate (5445) and one for another name (5446).

const TLS_AUTH_URL: &str = "https://127.0.0.1:5443/v3";
const MTLS_AUTH_URL: &str = "https://127.0.0.1:5444/v3";

/// An audit's JSON report on stdout, with the exit code it must have.
fn audit_json(stack: &Stack, args: &[&str], env: &[(&str, &str)], code: i32) -> Value {
    let output = stack.glance_sig(args, env);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: {}",
        describe(&output)
    );
    // Never a progress line on stdout: it is the report alone.
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn shards_and_parallel_downloads_give_the_report_of_one_run() {
    let mut stack = stack_or_skip!("audit-shards");
    let dir = stack.dir.clone();
    let (key, cert) = key_and_cert(&dir, KeyKind::Rsa, &stack.tag);
    let tag = stack.tag.clone();
    // A seeded catalog of every kind: signed (a few sizes), signed with the wrong hash method
    // named (its data fails and is explained), partially signed, unsigned.
    let mut seeded = Vec::new();
    for n in 0..6 {
        let data = image_file(
            &dir,
            &format!("disk{n}.img"),
            (1 << 18) + n * 4099,
            20 + n as u64,
        );
        let name = format!("gs-shards-signed{n}-{tag}");
        let id = stack.upload_ok(&data, &key, &cert, &["--name", &name])["id"]
            .as_str()
            .expect("id")
            .to_owned();
        if n == 5 {
            stack
                .demo
                .set_property(&id, "img_signature_hash_method", "SHA-512");
        }
        seeded.push(id);
    }
    for n in 0..3 {
        let partial = NewImage::new(&format!("gs-shards-partial{n}-{tag}"), "raw", "bare")
            .with_property("img_signature", "c2ln")
            .with_property("img_signature_hash_method", "SHA-256");
        seeded.push(create_and_upload(&mut stack, &partial, b"unverified data"));
        let unsigned = NewImage::new(&format!("gs-shards-unsigned{n}-{tag}"), "raw", "bare");
        seeded.push(create_and_upload(&mut stack, &unsigned, b"plain data"));
    }

    let audit = ["audit", "--json", "--verify", "--mine"];
    let with = |extra: &[&str]| -> Vec<String> {
        audit.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    let run = |v: Vec<String>, env: &[(&str, &str)], code: i32| {
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        audit_json(&stack, &v, env, code)
    };
    let one = run(with(&["--jobs", "1"]), &[], 1);
    let images: Vec<&str> = one["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    for id in &seeded {
        assert!(images.contains(&id.as_str()), "{id} not audited: {one}");
    }
    assert!(one.get("shard").is_none(), "{one}");
    assert_eq!(one["summary"]["images"], json!(images.len()));
    assert!(one["summary"]["verified"].as_u64() >= Some(5), "{one}");
    // Downloads in parallel (and a progress line forced on stderr): the same report.
    let parallel = stack.glance_sig(
        &with(&["--jobs", "4", "--progress", "always"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(parallel.status.code(), Some(1), "{}", describe(&parallel));
    let report: Value = serde_json::from_slice(&parallel.stdout).expect("JSON alone on stdout");
    assert_eq!(report, one);
    let progress = String::from_utf8_lossy(&parallel.stderr);
    assert!(
        progress.contains("verifying") && progress.contains("MB/s"),
        "{progress}"
    );
    let checked = one["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| !i["data_verified"].is_null())
        .count();
    assert!(checked >= 6, "{one}");
    assert!(
        progress.contains(&format!("/{checked} images")),
        "{progress}"
    );

    // Four shards, each written with --output, together exactly the images of one run.
    let mut files = Vec::new();
    let mut held = 0;
    for index in 1..=4 {
        let file = dir.join(format!("shard-{index}.json"));
        let spec = format!("{index}/4");
        let output = stack.glance_sig(
            &with(&["--shard", &spec, "--output", path_str(&file)])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            &[],
        );
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            describe(&output)
        );
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let written: Value =
            serde_json::from_slice(&fs::read(&file).expect("--output file")).expect("JSON");
        assert_eq!(printed, written);
        assert_eq!(written["shard"], json!({"index": index, "count": 4}));
        held += written["images"].as_array().expect("images").len();
        files.push(file);
    }
    assert_eq!(held, images.len());
    // auto/4 in an Indexed Job's third pod is shard 3/4.
    let auto = run(
        with(&["--shard", "auto/4"]),
        &[("JOB_COMPLETION_INDEX", "2")],
        1,
    );
    let third: Value =
        serde_json::from_slice(&fs::read(&files[2]).expect("shard 3")).expect("JSON");
    assert_eq!(auto["images"], third["images"]);

    // Merged (in any order): the report of the one run, and its exit code.
    let mut merge = vec!["audit-merge".to_owned(), "--json".to_owned()];
    merge.extend(files.iter().rev().map(|f| path_str(f).to_owned()));
    let merged = run(merge.clone(), &[], 1);
    assert_eq!(merged, one);
    // The table of the merge, as audit prints it.
    let table = stack.glance_sig(
        &[
            "audit-merge",
            path_str(&files[0]),
            path_str(&files[1]),
            path_str(&files[2]),
            path_str(&files[3]),
        ],
        &[],
    );
    assert_eq!(table.status.code(), Some(1), "{}", describe(&table));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!("Audited {} images", images.len())),
        "{text}"
    );

    // Inconsistent shards: exit 2, the problem and the fix named.
    let refused = |files: &[&Path], needles: &[&str]| {
        let mut args = vec!["audit-merge"];
        args.extend(files.iter().map(|f| path_str(f)));
        let output = stack.glance_sig(&args, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
        let stderr = stderr_of(&output);
        for needle in needles {
            assert!(stderr.contains(needle), "{needle}: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    };
    let f: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    refused(
        &[f[0], f[1], f[3]],
        &["shard 3 of 4 is missing", "--shard 3/4"],
    );
    refused(
        &[f[0], f[1], f[1], f[2], f[3]],
        &["shard 2/4 is given twice"],
    );
    let whole = dir.join("whole.json");
    fs::write(&whole, serde_json::to_vec(&one).expect("JSON")).expect("write");
    refused(&[f[0], &whole], &["not of a shard"]);
    let two = dir.join("shard-1-of-2.json");
    run(
        with(&["--shard", "1/2", "--output", path_str(&two)]),
        &[],
        1,
    );
    refused(
        &[f[0], f[1], f[2], f[3], &two],
        &["shards of different splits"],
    );
    let mut elsewhere = third.clone();
    elsewhere["scope"]["glance"] = json!("https://glance.elsewhere.example:9292");
    let elsewhere_file = dir.join("elsewhere.json");
    fs::write(
        &elsewhere_file,
        serde_json::to_vec(&elsewhere).expect("JSON"),
    )
    .expect("write");
    refused(
        &[f[0], f[1], &elsewhere_file, f[3]],
        &["another audit", "glance.elsewhere.example"],
    );
    let garbage = dir.join("garbage.json");
    fs::write(&garbage, b"{\"images\": 3}").expect("write");
    refused(&[f[0], &garbage], &["garbage.json", "audit --shard"]);
}

#[test]
fn bad_shard_specs_are_usage_errors() {
    // Refused before any cloud is asked: no clouds.yaml is needed.
    for (spec, env, needle) in [
        ("0/4", None, "no shard 0 of 4"),
        ("5/4", None, "no shard 5 of 4"),
        ("1/0", None, "into no shards"),
        ("garbage", None, "not I/N"),
        ("auto/4", None, "JOB_COMPLETION_INDEX, which is not set"),
        ("auto/4", Some("4"), "indices 0 to 3"),
    ] {
        let mut command = Command::new(BIN);
        command
            .args(["audit", "--shard", spec])
            .env("OS_CLIENT_CONFIG_FILE", "/nonexistent/clouds.yaml")
            .env_remove("JOB_COMPLETION_INDEX");
        if let Some(index) = env {
            command.env("JOB_COMPLETION_INDEX", index);
        }
        let output = command.output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{spec}: {}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{spec}: {stderr}");
        assert!(stderr.contains("fix:"), "{spec}: {stderr}");
    }
    let stderr = usage_error(&["audit", "--jobs", "0"]);
    assert!(stderr.contains("--jobs"), "{stderr}");
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Upload, `verify --image-id` and `audit` over https with `env`; the image is checked over the
/// plain endpoints (the same Glance).
fn upload_verify_audit_over_https(stack: &mut Stack, env: &[(&str, &str)]) {
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let image = image_file(&stack.dir, "disk.img", 2 << 20, 21);
    let name = format!("gs-https-{}", unique());
    let result = stack.upload_ok_with(&image, &key, &cert, &["--name", &name], env);
    let id = result["id"].as_str().expect("id").to_owned();
    let stored = stack.demo.image(&id).expect("image exists");
    assert_eq!(stored.status, "active");
    for property in glance_sig_properties() {
        assert!(
            stored.properties.contains_key(property),
            "{property} missing"
        );
    }

    let output = stack.glance_sig(&["verify", "--image-id", &id], env);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Signature valid"));

    let output = stack.glance_sig(&["audit", "--mine", "--json"], env);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        describe(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("audit json");
    assert!(findings(&report, &id).is_empty(), "{report}");
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("warning"), "{stderr}");
}

fn glance_sig_properties() -> [&'static str; 4] {
    [
        "img_signature",
        "img_signature_hash_method",
        "img_signature_key_type",
        "img_signature_certificate_uuid",
    ]
}

#[test]
fn https_with_clouds_yaml_cacert() {
    let mut stack = stack_or_skip!("https-cacert");
    upload_verify_audit_over_https(&mut stack, &[("OS_CLOUD", "glance-sig-demo-tls")]);
}

#[test]
fn https_with_os_variables_and_os_cacert() {
    let mut stack = stack_or_skip!("https-env");
    let demo = stack.demo_config();
    let ca = stack.tls_file("ca.pem");
    let password = demo
        .password
        .as_ref()
        .expect("password")
        .expose()
        .to_owned();
    let env = [
        ("OS_CLIENT_CONFIG_FILE", ""),
        ("OS_CLOUD", ""),
        ("OS_AUTH_URL", TLS_AUTH_URL),
        ("OS_USERNAME", demo.username.as_deref().expect("user")),
        ("OS_PASSWORD", password.as_str()),
        (
            "OS_PROJECT_NAME",
            demo.project_name.as_deref().expect("project"),
        ),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_REGION_NAME", "RegionTLS"),
        ("OS_CACERT", ca.as_str()),
    ];
    upload_verify_audit_over_https(&mut stack, &env);
}

#[test]
fn https_without_the_ca_is_refused_creates_nothing_and_cannot_check() {
    let mut stack = stack_or_skip!("https-no-ca");
    let yaml = stack.clouds_yaml_for("no-ca", TLS_AUTH_URL, "RegionTLS", &[]);
    let env = [
        ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
        ("OS_CLOUD", "no-ca"),
    ];
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::Rsa, &stack.tag);
    let image = image_file(&stack.dir, "disk.img", 1 << 20, 22);
    let name = format!("gs-https-no-ca-{}", unique());
    let output = stack.glance_sig(&upload_args(&image, &key, &cert, &name), &env);
    let left = stack.collect_leftovers(&name);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("not signed by any CA this machine trusts"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cacert") && stderr.contains("OS_CACERT"),
        "{stderr}"
    );
    assert!(left.is_empty(), "created: {left:?}");

    for args in [
        &[
            "verify",
            "--image-id",
            "00000000-0000-4000-8000-000000000000",
        ][..],
        &["audit"],
    ] {
        let output = stack.glance_sig(args, &env);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?}: {}",
            describe(&output)
        );
        assert!(
            stderr_of(&output).contains("--os-cacert"),
            "{}",
            describe(&output)
        );
    }

    // A CA file that is not there is a local mistake, named with its setting.
    let output = stack.glance_sig(&["audit", "--os-cacert", "/nonexistent/ca.pem"], &env);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr_of(&output).contains("/nonexistent/ca.pem (--os-cacert"),
        "{}",
        describe(&output)
    );

    // The CA by flag makes the same cloud work.
    let ca = stack.tls_file("ca.pem");
    let output = stack.glance_sig(&["audit", "--mine", "--json", "--os-cacert", &ca], &env);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        describe(&output)
    );
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let mut stack = stack_or_skip!("mtls");
    // The stack's cloud: cert and key in clouds.yaml.
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P521, &stack.tag);
    let image = image_file(&stack.dir, "disk.img", 1 << 20, 23);
    let name = format!("gs-mtls-{}", unique());
    let env = [("OS_CLOUD", "glance-sig-demo-mtls")];
    let result = stack.upload_ok_with(&image, &key, &cert, &["--name", &name], &env);
    let id = result["id"].as_str().expect("id").to_owned();
    let output = stack.glance_sig(&["verify", "--image-id", &id], &env);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    // Without the client certificate: refused, and the fix names the settings.
    let ca = format!("cacert: {}", stack.tls_file("ca.pem"));
    let yaml = stack.clouds_yaml_for("mtls-no-cert", MTLS_AUTH_URL, "RegionMTLS", &[ca]);
    let env = [
        ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
        ("OS_CLOUD", "mtls-no-cert"),
    ];
    let output = stack.glance_sig(&["verify", "--image-id", &id], &env);
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("client certificate"), "{stderr}");
    assert!(stderr.contains("OS_CERT"), "{stderr}");

    // OS_CERT and OS_KEY give it.
    let (client, client_key) = (
        stack.tls_file("client.pem"),
        stack.tls_file("client-key.pem"),
    );
    let with_vars = [
        env[0],
        env[1],
        ("OS_CERT", client.as_str()),
        ("OS_KEY", client_key.as_str()),
    ];
    let output = stack.glance_sig(&["verify", "--image-id", &id], &with_vars);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    // A key that is not the certificate's is caught before any connection.
    let (other_key, _) = key_and_cert(&stack.dir, KeyKind::Rsa, &stack.tag);
    let output = stack.glance_sig(
        &[
            "audit",
            "--os-cert",
            &client,
            "--os-key",
            path_str(&other_key),
        ],
        &env,
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stderr_of(&output).contains("not the certificate's"),
        "{}",
        describe(&output)
    );
}

#[test]
fn expired_and_misnamed_server_certificates_are_named() {
    let stack = stack_or_skip!("tls-bad-server");
    let ca = format!("cacert: {}", stack.tls_file("ca.pem"));
    let cases = [
        ("https://127.0.0.1:5445/v3", "certificate expired at"),
        (
            "https://127.0.0.1:5446/v3",
            "certificate is for cloud.example, not for 127.0.0.1",
        ),
    ];
    for (auth_url, says) in cases {
        let yaml = stack.clouds_yaml_for("bad", auth_url, "RegionTLS", std::slice::from_ref(&ca));
        let env = [
            ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
            ("OS_CLOUD", "bad"),
        ];
        let output = stack.glance_sig(&["audit", "--mine"], &env);
        assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
        assert!(
            stderr_of(&output).contains(says),
            "{auth_url}: {}",
            describe(&output)
        );
    }

    // --insecure (and verify: false) skip the check, with a warning on every run.
    let yaml = stack.clouds_yaml_for("bad", "https://127.0.0.1:5446/v3", "RegionTLS", &[]);
    let env = [
        ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
        ("OS_CLOUD", "bad"),
    ];
    let output = stack.glance_sig(&["audit", "--mine", "--json", "--insecure"], &env);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        describe(&output)
    );
    assert!(stderr_of(&output).contains("https certificates are not checked (--insecure)"));
    let yaml = stack.clouds_yaml_for(
        "bad",
        "https://127.0.0.1:5446/v3",
        "RegionTLS",
        &["verify: false".to_owned()],
    );
    let env = [
        ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
        ("OS_CLOUD", "bad"),
    ];
    let output = stack.glance_sig(&["audit", "--mine", "--json"], &env);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        describe(&output)
    );
    assert!(stderr_of(&output).contains("https certificates are not checked (verify: false)"));
}

#[test]
fn could_not_check_has_its_own_exit_code() {
    let stack = stack_or_skip!("exit-codes");
    // An image id Glance does not know: nothing was checked.
    let output = stack.glance_sig(
        &[
            "verify",
            "--image-id",
            "00000000-0000-4000-8000-000000000000",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    // Nor for an id that is no UUID at all.
    for unknown in ["no-such-image", "0"] {
        let output = stack.glance_sig(&["verify", "--image-id", unknown], &[]);
        assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
        let stderr = stderr_of(&output);
        assert!(!stderr.contains("not valid"), "{stderr}");
    }
    // Keystone refuses the password.
    let output = stack.glance_sig(
        &["audit"],
        &[
            ("OS_PASSWORD", "wrong"),
            ("OS_CLOUD", ""),
            ("OS_CLIENT_CONFIG_FILE", ""),
            ("OS_AUTH_URL", "http://127.0.0.1:5000/v3"),
            ("OS_USERNAME", "demo"),
            ("OS_PROJECT_NAME", "demo"),
            ("OS_USER_DOMAIN_NAME", "Default"),
            ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    // Nothing listens.
    let yaml = stack.clouds_yaml_for("down", "http://127.0.0.1:9/v3", "RegionOne", &[]);
    let output = stack.glance_sig(
        &["audit"],
        &[
            ("OS_CLIENT_CONFIG_FILE", yaml.as_str()),
            ("OS_CLOUD", "down"),
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    // A clouds.yaml that is not YAML is bad local input.
    let broken = stack.dir.join("broken.yaml");
    fs::write(&broken, "clouds: [unclosed\n").expect("write");
    let output = stack.glance_sig(&["audit"], &[("OS_CLIENT_CONFIG_FILE", path_str(&broken))]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C and SIGTERM during an upload.

/// Starts an upload through a slow proxy, sends `signal` once the image exists in Glance, and
/// returns the image name, the image id and what glance-sig printed.
fn interrupt_upload(stack: &mut Stack, signal: &str, extra: &[&str]) -> (String, String, Output) {
    let proxy = proxy(stack.glance_address(), OnPut::Throttle(1 << 20));
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let image = image_file(&stack.dir, "slow.img", 32 << 20, 24);
    let name = format!("gs-interrupted-{}", unique());
    let mut args = upload_args(&image, &key, &cert, &name);
    args.extend_from_slice(extra);
    let glance = format!("http://{proxy}");
    let child = stack
        .command(&args, &[("OS_IMAGE_ENDPOINT_OVERRIDE", &glance)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the image is created and its data is flowing.
    let deadline = Instant::now() + Duration::from_secs(60);
    let id = loop {
        let images = stack.demo.images_named(&name);
        if let Some(image) = images.first() {
            break image.id.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the upload never created its image"
        );
        thread::sleep(Duration::from_millis(200));
    };
    thread::sleep(Duration::from_secs(2));
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    (name, id, output)
}

#[test]
fn sigint_during_upload_deletes_the_image() {
    let mut stack = stack_or_skip!("sigint");
    let (name, id, output) = interrupt_upload(&mut stack, "INT", &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut left = stack.demo.images_named(&name);
    while !left.is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(500));
        left = stack.demo.images_named(&name);
    }
    stack.collect_leftovers(&name);
    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("image {id} was deleted: nothing is left behind")),
        "{stderr}"
    );
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(stack.demo.image(&id).is_none());
}

#[test]
fn sigterm_during_upload_with_keep_keeps_and_names_the_image() {
    let mut stack = stack_or_skip!("sigterm");
    let (name, id, output) = interrupt_upload(&mut stack, "TERM", &["--keep"]);
    let left = stack.collect_leftovers(&name);
    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains(&format!("`openstack image delete {id}`")),
        "{stderr}"
    );
    assert_eq!(left.len(), 1, "{left:?}");
    // All four properties were in the create request: even the kept image has a full set.
    for property in glance_sig_properties() {
        assert!(
            left[0].properties.contains_key(property),
            "{property} missing"
        );
    }
}
