//! `glance-sig upload`, `verify --image-id` and `audit` against a real Keystone + Barbican +
//! Glance (scripts/cloud/stack.sh): run by scripts/cloud/test.sh.
//!
//! The stack's clouds.yaml is `GLANCE_SIG_CLOUDS_YAML`, else `<repo>/.stack/clouds.yaml`. When
//! no stack answers, the tests skip, unless `GLANCE_SIG_CLOUD_TESTS=1`: then they fail. Keys and
//! certificates are made with openssl in a temporary folder; every image and secret made is
//! deleted at the end, also when a test fails.

// The CLI's own HTTP transport, to set the cloud up the way the tests need it.
#[path = "../src/cloud/transport.rs"]
#[allow(dead_code)]
mod transport;

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
use serde_json::{json, Value};
use transport::Transport;

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
        let transport = Transport::new(Duration::from_secs(30));
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

    /// Runs glance-sig as the demo user, with only the stack's clouds.yaml in its environment.
    fn glance_sig(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
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
            command.env(key, value);
        }
        command.output().expect("run glance-sig")
    }

    /// `glance-sig upload --json`, expected to succeed; the image is removed at the end.
    fn upload_ok(&mut self, image: &Path, key: &Path, cert: &Path, extra: &[&str]) -> Value {
        let mut args = vec![
            "upload",
            "--json",
            "--image",
            path_str(image),
            "--key",
            path_str(key),
            "--cert",
            path_str(cert),
        ];
        args.extend_from_slice(extra);
        let output = self.glance_sig(&args, &[]);
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

#[test]
fn image_and_image_id_are_mutually_exclusive() {
    let output = Command::new(BIN)
        .args([
            "verify",
            "--image",
            "a.img",
            "--image-id",
            "x",
            "--cert",
            "c.pem",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--image <IMAGE>") && stderr.contains("--image-id"),
        "{stderr}"
    );

    let output = Command::new(BIN)
        .args(["verify", "--cert", "c.pem"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--image-id"));

    let output = Command::new(BIN)
        .args(["verify", "--image-id", "x", "--properties", "p.json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--properties"));
}

#[test]
fn upload_needs_a_certificate() {
    let output = Command::new(BIN)
        .args(["upload", "--image", "a.img", "--key", "k.pem"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--cert-uuid") && stderr.contains("--cert"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Good signatures of every key type.

fn good_upload(kind: KeyKind, hash: &str) {
    let Some(mut stack) = Stack::get(&format!("good-{kind:?}")) else {
        return;
    };
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

    // A second upload of the same certificate reuses the secret.
    let again = stack.upload_ok(&image, &key, &cert, &["--name", &name]);
    assert_eq!(again["certificate"]["stored"], json!(false), "{again}");
    assert_eq!(
        again["certificate"]["uuid"], result["certificate"]["uuid"],
        "the identical certificate is found in Barbican"
    );
}

#[test]
fn good_signature_rsa_pss() {
    good_upload(KeyKind::Rsa, "SHA-256");
}

#[test]
fn good_signature_ecc_secp384r1() {
    good_upload(KeyKind::P384, "SHA-384");
}

#[test]
fn good_signature_ecc_secp521r1() {
    good_upload(KeyKind::P521, "SHA-512");
}

#[test]
fn good_signature_dsa() {
    good_upload(KeyKind::Dsa, "SHA-256");
}

// ---------------------------------------------------------------------------------------------
// Refusals and failures leave nothing behind.

#[test]
fn tampered_data_is_refused_and_the_image_deleted() {
    let Some(mut stack) = Stack::get("tampered") else {
        return;
    };
    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let signed = image_file(&stack.dir, "signed.img", 1 << 20, 1);
    let other = image_file(&stack.dir, "other.img", 1 << 20, 2);
    let name = format!("gs-tampered-{}", unique());
    let output = stack.glance_sig(
        &[
            "upload",
            "--image",
            path_str(&signed),
            "--key",
            path_str(&key),
            "--cert",
            path_str(&cert),
            "--name",
            &name,
            "--debug-upload-other",
            path_str(&other),
        ],
        &[],
    );
    let images = stack.demo.images_named(&name);
    stack.images.extend(images.iter().map(|i| i.id.clone()));
    // The secret this run stored, for the clean-up.
    let secrets = stack.demo.call(
        &stack.demo.barbican.list_certificates(100, 0),
        barbican::parse_secret_list,
    );
    stack.secrets.extend(secrets_tagged(&secrets, &stack.tag));
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

/// Forwards connections to `upstream`; a connection whose request is a `PUT` is cut (both
/// ways) once `cut_after` bytes of it went up. Serves at most 16 connections.
fn cutting_proxy(upstream: SocketAddr, cut_after: u64) -> SocketAddr {
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
                    sent += n as u64;
                    if put && sent > cut_after {
                        let _ = client.shutdown(Shutdown::Both);
                        let _ = server.shutdown(Shutdown::Both);
                        return;
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
    let Some(mut stack) = Stack::get("cut") else {
        return;
    };
    let glance_url = stack
        .demo
        .token
        .endpoint(&EndpointFilter::image())
        .expect("image endpoint")
        .to_owned();
    let authority = glance_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_owned();
    let upstream: SocketAddr = authority
        .parse()
        .expect("the stack's Glance is at an IP:port");
    let proxy = cutting_proxy(upstream, 2 << 20);

    let (key, cert) = key_and_cert(&stack.dir, KeyKind::P384, &stack.tag);
    let image = image_file(&stack.dir, "big.img", 16 << 20, 3);
    let name = format!("gs-cut-{}", unique());
    let output = stack.glance_sig(
        &[
            "upload",
            "--image",
            path_str(&image),
            "--key",
            path_str(&key),
            "--cert",
            path_str(&cert),
            "--name",
            &name,
            "--timeout",
            "30",
        ],
        &[("OS_IMAGE_ENDPOINT_OVERRIDE", &format!("http://{proxy}"))],
    );
    // Whatever Glance still does with the broken upload, no image of that name may remain.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut left = stack.demo.images_named(&name);
    while !left.is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(500));
        left = stack.demo.images_named(&name);
    }
    stack.images.extend(left.iter().map(|i| i.id.clone()));
    let secrets = stack.demo.call(
        &stack.demo.barbican.list_certificates(100, 0),
        barbican::parse_secret_list,
    );
    stack.secrets.extend(secrets_tagged(&secrets, &stack.tag));
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("uploading image"), "{stderr}");
    assert!(stderr.contains("the image was deleted"), "{stderr}");
    assert!(left.is_empty(), "left behind: {left:?}\n{stderr}");
}

// ---------------------------------------------------------------------------------------------
// audit: each problem reported with its fix.

fn findings<'a>(report: &'a Value, id: &str) -> &'a Vec<Value> {
    report["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["id"] == json!(id))
        .unwrap_or_else(|| panic!("image {id} not audited"))["findings"]
        .as_array()
        .expect("findings")
}

fn codes(report: &Value, id: &str) -> Vec<String> {
    findings(report, id)
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn audit_reports_each_problem_with_its_fix() {
    let Some(mut stack) = Stack::get("audit") else {
        return;
    };
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
    let der_id = upload(&mut stack, "der", &cert);
    stack
        .demo
        .set_property(&der_id, "img_signature_certificate_uuid", &der_secret);

    let pem = fs::read_to_string(&cert).expect("pem");
    let text_secret = stack.demo.store_raw_secret(&json!({
        "name": "glance-sig cloud test text",
        "secret_type": "certificate",
        "payload": pem,
        "payload_content_type": "text/plain",
    }));
    stack.secrets.push(text_secret.clone());
    let text_id = upload(&mut stack, "text", &cert);
    stack
        .demo
        .set_property(&text_id, "img_signature_certificate_uuid", &text_secret);

    // Another project's certificate, referenced from demo.
    let other = stack.other();
    let request = other
        .barbican
        .store_certificate("glance-sig cloud test other", pem.as_bytes(), None)
        .expect("request");
    let other_secret = other.call(&request, barbican::parse_secret_ref);
    stack.other_secrets.push(other_secret.clone());
    let other_id = upload(&mut stack, "other", &cert);
    stack
        .demo
        .set_property(&other_id, "img_signature_certificate_uuid", &other_secret);

    // A partial property set, made directly: Glance stores the data unverified.
    let partial = NewImage::new(&format!("gs-audit-partial-{tag}"), "raw", "bare")
        .with_property("img_signature", "MGUCMQD3")
        .with_property("img_signature_hash_method", "SHA-256");
    let request = stack.demo.glance.create_image(&partial).expect("request");
    let partial = stack.demo.call(&request, glance::parse_image);
    stack.images.push(partial.id.clone());
    stack.demo.upload(&partial.id, b"unverified data");

    // An unsigned one.
    let request = stack
        .demo
        .glance
        .create_image(&NewImage::new(
            &format!("gs-audit-unsigned-{tag}"),
            "raw",
            "bare",
        ))
        .expect("request");
    let unsigned = stack.demo.call(&request, glance::parse_image);
    stack.images.push(unsigned.id.clone());
    stack.demo.upload(&unsigned.id, b"plain data");

    let output = stack.glance_sig(&["audit", "--json", "--verify", "--mine"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");

    let good_findings = findings(&report, &good);
    assert!(good_findings.is_empty(), "{good_findings:?}");
    let audited = |id: &str| {
        report["images"]
            .as_array()
            .and_then(|all| all.iter().find(|i| i["id"] == json!(id)))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(audited(&good)["data_verified"], json!(true));
    assert!(codes(&report, &expired_id).contains(&"certificate-expired".to_owned()));
    assert_eq!(audited(&expired_id)["data_verified"], json!(true));
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
    let partial_findings = findings(&report, &partial.id);
    assert_eq!(partial_findings[0]["code"], json!("partially-signed"));
    let message = partial_findings[0]["message"].as_str().expect("message");
    assert!(
        message.contains("img_signature_key_type")
            && message.contains("img_signature_certificate_uuid"),
        "{message}"
    );
    assert_eq!(codes(&report, &unsigned.id), vec!["unsigned".to_owned()]);
    for id in [
        &expired_id,
        &der_id,
        &text_id,
        &other_id,
        &partial.id,
        &unsigned.id,
    ] {
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
    for id in [
        &good,
        &expired_id,
        &der_id,
        &text_id,
        &other_id,
        &partial.id,
        &unsigned.id,
    ] {
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
