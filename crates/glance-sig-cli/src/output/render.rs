//! JSON for machines on stdout, readable text for people. A closed pipe is not an error.

use std::io::Write;

use glance_sig_core::report::Report;

use crate::io::time::rfc3339;

/// Prints to stdout; a broken pipe ends quietly.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Pretty JSON plus a newline.
pub fn json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => out(&(s + "\n")),
        Err(e) => eprintln!("glance-sig: cannot render JSON: {e}"),
    }
}

const OK: &str = "✔";
const FAIL: &str = "✘";
const NOTE: &str = "!";

/// The readable verdict of `verify`.
pub fn verify_text(report: &Report, cert_subject: &str, at: i64) -> String {
    let mut s = String::new();
    let sig = &report.signature;
    if report.valid {
        s += &format!(
            "{OK} Signature valid: {} with {}, certificate {cert_subject}\n",
            sig.key_type.map(|k| k.name()).unwrap_or("?"),
            sig.hash_method.map(|h| h.name()).unwrap_or("?"),
        );
    } else if let Some(e) = &report.error {
        s += &format!("{FAIL} Signature NOT valid: {}\n", e.message);
        s += &format!("  Glance/Nova would answer: {}\n", e.cursive_message);
        s += &format!("  Fix: {}\n", e.fix);
    } else {
        s += &format!(
            "{FAIL} Signature valid, but the certificate chain is NOT valid as Nova judges it\n"
        );
    }
    s += "\nChecks performed:\n";
    for c in &report.checks {
        s += &format!("  {} {}\n", if c.passed { OK } else { FAIL }, c.description);
    }
    if let Some(pss) = &sig.pss {
        if let Some(salt) = pss.salt_length {
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
    }
    if let Some(chain) = &report.chain {
        s += &format!(
            "\nCertificate chain, as Nova validates it at {}:\n",
            rfc3339(at)
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
    if !report.diagnosis.is_empty() {
        s += "\nLikely cause:\n";
        for d in &report.diagnosis {
            s += &format!("  - {}\n", d.message());
        }
    }
    if !report.warnings.is_empty() {
        s += "\nWarnings:\n";
        for w in &report.warnings {
            s += &format!("  {NOTE} {}\n", w.message);
        }
    }
    s
}
