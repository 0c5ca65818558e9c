//! External signers (`--signer-command`): a KMS, Vault, or anything that signs a digest,
//! behind a command. The protocol is in docs/signers.md:
//!
//! - the command runs under `sh -c`, with the raw digest on stdin and in the file
//!   `$GLANCE_SIG_DIGEST_FILE`, and the digest and algorithm in the environment
//!   (`GLANCE_SIG_DIGEST_HEX`, `GLANCE_SIG_DIGEST_BASE64`, `GLANCE_SIG_HASH_METHOD`,
//!   `GLANCE_SIG_KEY_TYPE`, `GLANCE_SIG_PSS_SALT_LENGTH`, `GLANCE_SIG_JWS_ALG`, ...);
//! - it prints the signature on stdout, raw or in base64 (or base64url, or Vault's
//!   `vault:v1:...`), or writes it to `$GLANCE_SIG_SIGNATURE_FILE`;
//! - exit status 0 means signed; anything else is a failure, and its stderr is shown.
//!
//! What it returns is normalized and verified by the signing session: a raw `r||s` is made
//! DER, a digest-length PSS salt is reported, and a signature that does not verify under the
//! certificate's key is refused before any property is made.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use glance_sig_core::{pss_max_salt_len, HashMethod, KeyType, PublicKey};

use crate::error::CliError;

/// A signer command.
pub struct CommandSigner {
    command: String,
    timeout: Duration,
}

fn error(command: &str, detail: impl Into<String>, fix: impl Into<String>) -> CliError {
    CliError::Signer {
        signer: describe(command),
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// How messages name a signer command: on one line, at most 80 characters.
pub fn describe(command: &str) -> String {
    format!("signer command `{}`", one_line(command, 80))
}

/// The variables a signer command gets, for a digest made with `hash` to be signed by the
/// key of `key` (the certificate's).
pub fn environment(
    digest: &[u8],
    hash: HashMethod,
    key: &PublicKey,
) -> Vec<(&'static str, String)> {
    let key_type = key.key_type();
    let bits = hash.output_len() * 8;
    let mut env = vec![
        (
            "GLANCE_SIG_DIGEST_HEX",
            digest.iter().map(|b| format!("{b:02x}")).collect(),
        ),
        (
            "GLANCE_SIG_DIGEST_BASE64",
            glance_sig_core::base64::encode(digest),
        ),
        ("GLANCE_SIG_HASH_METHOD", hash.name().to_owned()),
        // openssl's and most KMS CLIs' spelling: sha256.
        ("GLANCE_SIG_HASH", format!("sha{bits}")),
        (
            "GLANCE_SIG_KEY_TYPE",
            key_type.map(|k| k.name().to_owned()).unwrap_or_default(),
        ),
    ];
    let jws = match (key, key_type) {
        (PublicKey::Rsa(k), _) => {
            env.push((
                "GLANCE_SIG_PSS_SALT_LENGTH",
                pss_max_salt_len(k, hash).to_string(),
            ));
            // JWA's PS* fix the salt at the digest length: older clouds refuse it.
            (bits != 224).then(|| format!("PS{bits}"))
        }
        (_, Some(KeyType::EccSecp384r1)) if bits == 384 => Some("ES384".to_owned()),
        (_, Some(KeyType::EccSecp521r1)) if bits == 512 => Some("ES512".to_owned()),
        _ => None,
    };
    env.push(("GLANCE_SIG_JWS_ALG", jws.unwrap_or_default()));
    env
}

impl CommandSigner {
    /// A signer running `command`, waiting at most `timeout` for it.
    pub fn new(command: &str, timeout: Duration) -> Self {
        Self {
            command: command.to_owned(),
            timeout,
        }
    }

    /// How messages name it.
    pub fn describe(&self) -> String {
        describe(&self.command)
    }

    /// Runs the command over `digest`.
    ///
    /// # Errors
    /// [`CliError::Signer`]: it could not start, failed, timed out, or printed nothing.
    pub fn sign(
        &self,
        digest: &[u8],
        hash: HashMethod,
        key: &PublicKey,
    ) -> Result<Vec<u8>, CliError> {
        let cmd = &self.command;
        let dir = PrivateDir::new().map_err(|e| {
            error(
                cmd,
                format!("cannot make a private temporary directory: {e}"),
                "check TMPDIR",
            )
        })?;
        let digest_file = dir.path.join("digest");
        let signature_file = dir.path.join("signature");
        std::fs::write(&digest_file, digest).map_err(|e| {
            error(
                cmd,
                format!("cannot write the digest file: {e}"),
                "check TMPDIR",
            )
        })?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .envs(environment(digest, hash, key))
            .env("GLANCE_SIG_DIGEST_FILE", &digest_file)
            .env("GLANCE_SIG_SIGNATURE_FILE", &signature_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                error(
                    cmd,
                    format!("cannot start it: {e}"),
                    "check that sh is on PATH",
                )
            })?;
        // The digest is at most 64 bytes: it fits any pipe buffer, so this never blocks. A
        // command that does not read stdin closes it; that is not an error.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(digest);
        }
        let stdout = read_all(child.stdout.take());
        let stderr = read_all(child.stderr.take());
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(error(
                        cmd,
                        format!(
                            "no answer within {} s; it was stopped",
                            self.timeout.as_secs()
                        ),
                        "check that it can reach its KMS, or raise --signer-timeout",
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(error(cmd, format!("cannot wait for it: {e}"), "retry")),
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        let said = last_lines(&stderr);
        if !status.success() {
            let code = status.code().map_or_else(
                || "was killed by a signal".to_owned(),
                |c| format!("exited with status {c}"),
            );
            return Err(error(
                cmd,
                if said.is_empty() { code } else { format!("{code}: {said}") },
                "run the command by hand with the GLANCE_SIG_* variables of docs/signers.md set, and fix what it says",
            ));
        }
        let written = std::fs::read(&signature_file).unwrap_or_default();
        let out = if written.is_empty() { stdout } else { written };
        decode_signature(&out).ok_or_else(|| {
            error(
                cmd,
                "it printed no signature (stdout and $GLANCE_SIG_SIGNATURE_FILE are empty)",
                "print the signature on stdout, raw or base64, or write it to $GLANCE_SIG_SIGNATURE_FILE",
            )
        })
    }
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            // A signature and an error message are small; a runaway command is cut off.
            let _ = p.by_ref().take(1 << 20).read_to_end(&mut buf);
            let _ = std::io::copy(&mut p, &mut std::io::sink());
        }
        buf
    })
}

/// The end of what a command said, on one line, control characters removed.
fn last_lines(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    one_line(&tail, 400)
}

/// `text` on one line (control characters as spaces), at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::output::render::shorten(&clean, max)
}

/// The signature in what a command printed: base64 or base64url text (Vault's `vault:vN:`
/// prefix removed), else the raw bytes. `None` for nothing.
pub fn decode_signature(out: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(out).ok().map(str::trim);
    if text == Some("") {
        return None;
    }
    if let Some(text) = text {
        let text = strip_vault_prefix(text);
        let standard: String = text
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        let alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        if standard.chars().all(alphabet) {
            let padded = match standard.len() % 4 {
                2 => standard + "==",
                3 => standard + "=",
                _ => standard,
            };
            if let Ok(bytes) = glance_sig_core::base64::decode_lenient(&padded) {
                if !bytes.is_empty() {
                    return Some(bytes);
                }
            }
        }
    }
    (!out.is_empty()).then(|| out.to_vec())
}

fn strip_vault_prefix(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("vault:v") {
        if let Some((version, sig)) = rest.split_once(':') {
            if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) {
                return sig;
            }
        }
    }
    text
}

/// A directory only this user can read, removed when dropped.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn new() -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..16u32 {
            let path = base.join(format!(
                "glance-sig-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free name"))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_base64_base64url_vault_and_raw_output() {
        let sig: Vec<u8> = (0u8..=255).rev().collect();
        let b64 = glance_sig_core::base64::encode(&sig);
        let url: String = b64
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        for out in [
            format!("{b64}\n").into_bytes(),
            format!("{}\n{}\n", &b64[..60], &b64[60..]).into_bytes(),
            url.into_bytes(),
            format!("vault:v3:{b64}").into_bytes(),
            sig.clone(),
        ] {
            assert_eq!(decode_signature(&out).as_deref(), Some(&sig[..]));
        }
        assert_eq!(decode_signature(b""), None);
        assert_eq!(decode_signature(b" \n"), None);
    }

    #[test]
    fn names_the_command_on_one_short_line() {
        let long = format!("aws kms sign \\\n --key-id {}", "x".repeat(200));
        let shown = describe(&long);
        assert!(!shown.contains('\n'));
        assert!(
            shown.chars().count() <= "signer command ``".len() + 81,
            "{shown}"
        );
    }
}
