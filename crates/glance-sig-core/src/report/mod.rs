//! The verification report: the one shape every door prints (built by the verification
//! session, `build.rs`; read by any door, crypto or not). The CLI's `--json` is this
//! value; the WASI component returns it as JSON; the portal renders it. [`Report::text`] is
//! the readable form, so every door says the same words.

use serde::{Deserialize, Serialize};

use crate::note::Note;
use crate::properties::{HashMethod, KeyType};

#[cfg(feature = "crypto")]
mod build;

/// Everything a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The signature is valid, and so is the chain when trusted certificates were given.
    pub valid: bool,
    /// The time the certificates were judged at, RFC 3339.
    pub at: String,
    /// The image signature.
    pub signature: SignatureSection,
    /// The certificate the signature was checked with.
    pub certificate: Option<CertificateSection>,
    /// Who signed, as far as proven.
    pub trust: TrustSection,
    /// Nova-style chain validation, when trusted certificates were given.
    pub chain: Option<ChainSection>,
    /// Why the signature is refused.
    pub error: Option<ErrorSection>,
    /// Likely causes of a failure.
    pub diagnosis: Vec<Note>,
    /// Remarks that do not change the verdict.
    pub warnings: Vec<Note>,
    /// The checks made, in cursive's order, as far as they went.
    pub checks: Vec<Check>,
}

/// The image signature part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSection {
    /// Whether cursive accepts it.
    pub valid: bool,
    /// Parsed key type.
    pub key_type: Option<KeyType>,
    /// Parsed hash method.
    pub hash_method: Option<HashMethod>,
    /// The certificate id as given.
    pub certificate_uuid: Option<String>,
    /// RSA-PSS details.
    pub pss: Option<PssReport>,
}

/// The certificate the data was checked against: what a valid signature proves is that the
/// holder of this certificate's key signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSection {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint_sha256: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// "a 2048-bit RSA key".
    pub key: String,
}

/// What the RSA-PSS signature turned out to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PssReport {
    /// The salt length found (`None` when the signature did not verify).
    pub salt_length: Option<usize>,
    /// `emLen - hLen - 2` for this key and hash.
    pub max_salt_length: usize,
    /// Whether a cloud on cryptography <= 41 (maximum salt only) would accept it.
    pub accepted_by_older_clouds: bool,
}

/// A trusted certificate that cannot act as an issuer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTrust {
    /// Its subject.
    pub subject: String,
    /// Why Nova ignores it.
    pub reason: String,
}

/// Whether the report establishes who signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSection {
    /// The signature is valid and its certificate chains to a trusted certificate.
    pub established: bool,
    /// `chains-to-anchor`, `no-trust-anchor`, `not-anchored` or `signature-not-valid`.
    pub code: String,
    /// For people.
    pub message: String,
}

/// The chain part of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSection {
    /// Whether Nova accepts the certificate.
    pub valid: bool,
    /// Subjects, signing certificate first.
    pub path: Vec<String>,
    /// Why not.
    pub error: Option<CodeMessage>,
    /// Trusted certificates Nova ignores, and why.
    pub skipped_trusted: Vec<SkippedTrust>,
}

/// A code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMessage {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
    /// What cursive says.
    pub cursive_message: String,
}

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorSection {
    /// Stable machine-readable code.
    pub code: String,
    /// For people.
    pub message: String,
    /// What cursive (and so Glance's 400 answer) says.
    pub cursive_message: String,
    /// How to fix it.
    pub fix: String,
}

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// For people.
    pub description: String,
}

impl Report {
    /// Whether a door accepts the image: the signature (and chain) is valid and, when
    /// `require_trust`, a trusted certificate vouches for the signer.
    pub fn accepted(&self, require_trust: bool) -> bool {
        self.valid && (!require_trust || self.trust.established)
    }

    /// The readable verdict, as `glance-sig verify` prints it. Control characters from
    /// certificate names are escaped so a crafted subject cannot rewrite the terminal.
    pub fn text(&self) -> String {
        const OK: &str = "✔";
        const FAIL: &str = "✘";
        const NOTE: &str = "!";
        let mut s = String::new();
        let sig = &self.signature;
        let subject = self
            .certificate
            .as_ref()
            .map_or("(no certificate)", |c| c.subject.as_str());
        if self.valid {
            s += &format!(
                "{OK} Signature valid: {} with {}, certificate {subject}\n",
                sig.key_type.map(|k| k.name()).unwrap_or("?"),
                sig.hash_method.map(|h| h.name()).unwrap_or("?"),
            );
        } else if let Some(e) = &self.error {
            s += &format!("{FAIL} Signature NOT valid: {}\n", e.message);
            s += &format!("  Glance/Nova would answer: {}\n", e.cursive_message);
            s += &format!("  Fix: {}\n", e.fix);
        } else {
            s += &format!(
                "{FAIL} Signature valid, but the certificate chain is NOT valid as Nova judges it\n"
            );
        }
        let mark = if self.trust.established { OK } else { NOTE };
        s += &format!("{mark} Trust: {}\n", self.trust.message);
        if let Some(c) = &self.certificate {
            s += &format!(
                "\nCertificate:\n  subject {}\n  issuer  {}\n  SHA-256 {}\n  valid   {} to {}\n  key     {}\n",
                c.subject, c.issuer, c.fingerprint_sha256, c.not_before, c.not_after, c.key
            );
        }
        s += "\nChecks performed:\n";
        for c in &self.checks {
            s += &format!("  {} {}\n", if c.passed { OK } else { FAIL }, c.description);
        }
        if let Some(salt) = sig.pss.as_ref().and_then(|p| p.salt_length.map(|s| (p, s))) {
            let (pss, salt) = salt;
            s += &format!(
                "\nRSA-PSS salt length: {salt} bytes (maximum {}): {}\n",
                pss.max_salt_length,
                if pss.accepted_by_older_clouds {
                    "every cloud accepts it"
                } else {
                    "clouds on cryptography <= 41 refuse it"
                }
            );
        }
        if let Some(chain) = &self.chain {
            s += &format!(
                "\nCertificate chain, as Nova validates it at {}:\n",
                self.at
            );
            s += &format!("  {}\n", chain.path.join("\n  <- issued by "));
            match &chain.error {
                None => s += &format!("  {OK} chain valid\n"),
                Some(e) => s += &format!("  {FAIL} {}\n", e.message),
            }
            for skipped in &chain.skipped_trusted {
                s += &format!(
                    "  {NOTE} trusted certificate {} cannot issue: {}\n",
                    skipped.subject, skipped.reason
                );
            }
        }
        if !self.diagnosis.is_empty() {
            s += "\nLikely cause:\n";
            for d in &self.diagnosis {
                s += &format!("  - {}\n", d.message);
            }
        }
        if !self.warnings.is_empty() {
            s += "\nWarnings:\n";
            for w in &self.warnings {
                s += &format!("  {NOTE} {}\n", w.message);
            }
        }
        escape_controls(&s)
    }
}

/// Every control character but the line feed, and the bidirectional overrides (which can
/// make a terminal show text in another order than it is), as `\u{..}`: text from input or
/// from a cloud can then neither move the cursor, clear the screen, set the title, nor fake a
/// line of output.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if must_escape(c) && c != '\n' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Pretty JSON and a newline, as every door prints `--json`: serde escapes C0 inside
/// strings; DEL, C1 and the bidirectional marks are escaped here too (`\u009b`), which JSON
/// reads as the same string, so the output cannot drive a terminal it is shown on.
pub fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(pretty.len() + 1);
    for c in pretty.chars() {
        // Outside strings the JSON holds only ASCII structure and line feeds.
        if must_escape(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// C0, DEL, C1, and the bidirectional embedding, override and isolate marks.
fn must_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod json_text_tests {
    use super::json_text;

    #[test]
    fn json_output_escapes_what_drives_a_terminal_and_keeps_the_value() {
        let value =
            serde_json::json!({"subject": "a\u{1b}[2J\u{9b}31m\u{7f}\u{202e}z", "n": "é€😀"});
        let text = json_text(&value);
        for escaped in ["\\u001b", "\\u009b", "\\u007f", "\\u202e"] {
            assert!(text.contains(escaped), "{escaped} in {text}");
        }
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, value);
    }
}
