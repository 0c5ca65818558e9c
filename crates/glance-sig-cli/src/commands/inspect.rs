//! `glance-sig inspect`: what a file is, and what a cloud would make of it.

use std::path::Path;

use glance_sig_core::{base64, Certificate, HashMethod, KeyType, PublicKey, SignatureProperties};
use serde_json::{json, Value};

use crate::args::InspectArgs;
use crate::commands::inputs;
use crate::engine::native::Native;
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::files::{malformed, read_small};
use crate::io::time::{rfc3339, time};
use crate::keys::pkcs11::{self, Token};
use crate::keys::uri::Pkcs11Uri;
use crate::output::render;

pub fn run(args: &InspectArgs) -> Result<Outcome, CliError> {
    if let Some(uri) = args.path.to_str().filter(|p| Pkcs11Uri::is_uri(p)) {
        let uri = Pkcs11Uri::parse(uri)
            .map_err(|e| CliError::Usage(format!("not a usable PKCS#11 URI: {e}")))?;
        let report = token_key(&uri, args.pkcs11_module.as_deref())?;
        if args.json {
            render::json(&report);
        } else {
            render::out(&text_of(&report));
        }
        return Ok(Outcome::Success);
    }
    let bytes = read_small("file", &args.path)?;
    let at = time(args.at.as_deref())?;
    let text = String::from_utf8_lossy(&bytes);
    let report = if text.trim_start().starts_with('{') {
        properties(&args.path, &bytes)?
    } else if text.contains("-----BEGIN") {
        if text.contains("-----BEGIN CERTIFICATE") || text.contains("-----BEGIN X509 CERTIFICATE") {
            certificate(&args.path, &bytes, "PEM", at)?
        } else if text.contains("-----BEGIN PUBLIC KEY") {
            public_key(&args.path, &text)?
        } else {
            private_key(&args.path, &bytes, args.passphrase_file.as_deref())?
        }
    } else if let Ok(r) = certificate(&args.path, &bytes, "DER", at) {
        r
    } else if let Ok(pk) = PublicKey::from_spki_der(&bytes) {
        describe_public(&pk)
    } else {
        private_key(&args.path, &bytes, args.passphrase_file.as_deref())?
    };
    if args.json {
        render::json(&report);
    } else {
        render::out(&text_of(&report));
    }
    Ok(Outcome::Success)
}

fn certificate(path: &Path, bytes: &[u8], format: &str, at: i64) -> Result<Value, CliError> {
    let certs = Certificate::all_from_pem_or_der(bytes)
        .map_err(|e| malformed("certificate", path, e, None))?;
    let cert = &certs[0];
    let info = cert.info(at);
    let key = cert.public_key();
    let mut cloud = Vec::new();
    match key.key_type() {
        Some(kt) => cloud.push(format!("images signed with this certificate's key carry img_signature_key_type {kt}")),
        None => cloud.push(format!("{} cannot sign Glance images: OpenStack accepts RSA, DSA, and EC keys on P-384 or P-521", key.describe())),
    }
    if format == "DER" {
        cloud.push("this is DER: Barbican must hold the PEM form (castellan cannot read DER): glance-sig upload stores it correctly".to_owned());
    } else {
        cloud.push("store it in Barbican as secret_type certificate, payload_content_type application/octet-stream, base64 of this PEM".to_owned());
    }
    // The dates as Glance and Nova judge them, in the core's words.
    cloud.push(
        match glance_sig_core::policy::certificate_dates(info.not_before, info.not_after, at) {
            None => format!("valid now; expires {}", rfc3339(info.not_after)),
            Some(note) => note.message,
        },
    );
    if info.digital_signature == Some(false) {
        cloud.push("key usage lacks digitalSignature: OpenStack does not check it, but other verifiers may".to_owned());
    }
    if certs.len() > 1 {
        cloud.push(format!(
            "the file holds {} certificates; the first is the one described (as --cert uses it)",
            certs.len()
        ));
    }
    Ok(json!({
        "kind": "certificate",
        "format": format,
        "certificates_in_file": certs.len(),
        "certificate": info,
        "not_before_rfc3339": rfc3339(info.not_before),
        "not_after_rfc3339": rfc3339(info.not_after),
        "key_type": key.key_type(),
        "cloud": cloud,
    }))
}

fn describe_public(pk: &PublicKey) -> Value {
    json!({
        "kind": "public-key",
        "public_key": pk.describe(),
        "key_type": pk.key_type(),
    })
}

fn public_key(path: &Path, text: &str) -> Result<Value, CliError> {
    let der = der_from_pem(text, "PUBLIC KEY")
        .ok_or_else(|| malformed("public key", path, "unreadable PEM", None))?;
    let pk = PublicKey::from_spki_der(&der).map_err(|e| malformed("public key", path, e, None))?;
    Ok(describe_public(&pk))
}

fn der_from_pem(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = text[start..].find(&end)? + start;
    base64::decode_lenient(&text[start..stop]).ok()
}

fn private_key(path: &Path, bytes: &[u8], passphrase: Option<&Path>) -> Result<Value, CliError> {
    let encrypted = glance_sig_core::is_encrypted(bytes);
    if encrypted && passphrase.is_none() && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(json!({
            "kind": "private-key",
            "encrypted": true,
            "cloud": ["an encrypted private key: give --passphrase-file to see its type"],
        }));
    }
    let key = inputs::private_key(&mut Native, path, passphrase)?;
    let kt = key.key_type();
    Ok(json!({
        "kind": "private-key",
        "encrypted": encrypted,
        "key_type": kt,
        "public_key": key.public_key().describe(),
        "cloud": [format!("signs as img_signature_key_type {kt}; glance-sig sign --key {} --cert CERT checks it matches the certificate", path.display())],
    }))
}

/// A key on a token: what it is, how it would sign, and whether the token has its
/// certificate.
fn token_key(uri: &Pkcs11Uri, module: Option<&Path>) -> Result<Value, CliError> {
    let token = Token::open(uri, module, true)?;
    let key = token.private_key()?;
    let kt = key.key_type();
    let mut cloud = vec![
        format!("signs as img_signature_key_type {kt}: the token {}", pkcs11::mechanism_words(kt)),
        "the private key stays on the token: glance-sig hashes the image and the token signs the digest".to_owned(),
    ];
    let certificate = match token.certificate()? {
        Some(der) => {
            let cert = Certificate::from_pem_or_der(&der).map_err(|e| {
                malformed(
                    "certificate on the token",
                    Path::new(&uri.display()),
                    e,
                    None,
                )
            })?;
            cloud.push(if cert.public_key().same_key(key.public_key()) {
                "the token holds its certificate under the same label or id: sign finds it without --cert; upload takes it as --cert with this URI".to_owned()
            } else {
                "the certificate on the token under this label or id holds another key: give the right one with --cert".to_owned()
            });
            Some(cert.subject())
        }
        None => {
            cloud.push(
                "no certificate on the token under this label or id: give it with --cert"
                    .to_owned(),
            );
            None
        }
    };
    Ok(json!({
        "kind": "pkcs11-key",
        "uri": uri.display(),
        "token": token.label(),
        "key_type": kt,
        "public_key": key.public_key().describe(),
        "certificate_subject": certificate,
        "cloud": cloud,
    }))
}

fn properties(path: &Path, bytes: &[u8]) -> Result<Value, CliError> {
    let props = SignatureProperties::from_json(bytes)
        .map_err(|e| malformed("properties file", path, e, None))?;
    let state = props.signing_state();
    // A properties file is about an image not uploaded yet: no data stored.
    let advice = glance_sig_core::policy::signing_state(&state, false);
    let mut cloud = vec![if advice.fix.is_empty() {
        advice.message
    } else {
        format!("{}; fix: {}", advice.message, advice.fix)
    }];
    if let Some(h) = &props.hash_method {
        cloud.push(match HashMethod::parse(h) {
            Ok(h) => format!("hash method {h}: accepted"),
            Err(e) => format!("{e}: refused"),
        });
    }
    if let Some(k) = &props.key_type {
        cloud.push(match KeyType::parse(k) {
            Ok(k) => format!("key type {k}: accepted"),
            Err(e) => format!("{e}: refused"),
        });
    }
    if let Some(s) = &props.signature {
        cloud.push(match base64::decode_lenient(s) {
            Ok(b) if b.is_empty() => "img_signature is empty: refused".to_owned(),
            Ok(b) => format!(
                "img_signature: {} bytes of signature{}",
                b.len(),
                if base64::is_canonical(s) {
                    ""
                } else {
                    " (non-canonical base64: cursive skips the extra characters)"
                }
            ),
            Err(e) => format!("img_signature is not base64 as cursive reads it ({e}): refused"),
        });
    }
    Ok(json!({
        "kind": "properties",
        "signing": state,
        "properties": props.to_map(),
        "cloud": cloud,
    }))
}

fn text_of(report: &Value) -> String {
    let mut s = String::new();
    let kind = report["kind"].as_str().unwrap_or("file");
    s += &format!("{kind}\n");
    if let Some(c) = report.get("certificate") {
        for (label, key) in [
            ("subject", "subject"),
            ("issuer", "issuer"),
            ("serial", "serial"),
            ("SHA-256", "fingerprint_sha256"),
        ] {
            s += &format!("  {label:<10} {}\n", c[key].as_str().unwrap_or("-"));
        }
        s += &format!(
            "  {:<10} {} .. {}\n",
            "valid",
            report["not_before_rfc3339"].as_str().unwrap_or("-"),
            report["not_after_rfc3339"].as_str().unwrap_or("-")
        );
        s += &format!("  {:<10} {}\n", "key", key_line(&c["public_key"]));
        if let Some(bc) = c.get("basic_constraints").filter(|v| !v.is_null()) {
            s += &format!("  {:<10} {}\n", "basic", basic_constraints_line(bc));
        }
    }
    for (label, key) in [
        ("token", "token"),
        ("uri", "uri"),
        ("cert", "certificate_subject"),
    ] {
        if let Some(v) = report.get(key).and_then(Value::as_str) {
            s += &format!("  {label:<10} {}\n", v);
        }
    }
    if let Some(pk) = report.get("public_key") {
        s += &format!("  {:<10} {}\n", "key", key_line(pk));
    }
    if let Some(props) = report.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let v = v.as_str().unwrap_or_default();
            // Cut at a character, not a byte: a value may be any UTF-8.
            let chars = v.chars().count();
            let shown = if chars > 60 {
                format!(
                    "{}... ({chars} chars)",
                    v.chars().take(60).collect::<String>()
                )
            } else {
                v.to_owned()
            };
            s += &format!("  {k} = {shown}\n");
        }
    }
    if let Some(cloud) = report.get("cloud").and_then(Value::as_array) {
        s += "What a cloud makes of it:\n";
        for line in cloud {
            s += &format!("  - {}\n", line.as_str().unwrap_or_default());
        }
    }
    s
}

/// basicConstraints in words (the JSON keeps the raw values).
fn basic_constraints_line(bc: &Value) -> String {
    if bc["ca"].as_bool() != Some(true) {
        return "not a CA (basicConstraints CA:FALSE): cannot issue certificates".to_owned();
    }
    match bc["path_len"].as_u64() {
        None => "a CA (basicConstraints CA:TRUE), with no limit on the chain below it".to_owned(),
        Some(0) => "a CA (basicConstraints CA:TRUE), issuing end certificates only (path length 0)"
            .to_owned(),
        Some(n) => format!(
            "a CA (basicConstraints CA:TRUE), with at most {n} intermediate certificate{} below it",
            if n == 1 { "" } else { "s" }
        ),
    }
}

fn key_line(pk: &Value) -> String {
    let alg = pk["algorithm"].as_str().unwrap_or("?");
    let size = pk["curve"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| pk["bits"].as_u64().map(|b| format!("{b} bits")))
        .unwrap_or_default();
    let kt = pk["key_type"]
        .as_str()
        .map(|k| format!(", signs as {k}"))
        .unwrap_or_default();
    format!("{alg} {size}{kt}")
}
