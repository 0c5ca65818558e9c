//! JSON for machines on stdout, readable text for people. A closed pipe is not an error.

use std::io::Write;

use glance_sig_core::report::escape_controls;

/// Prints text for people to stdout, control characters escaped (text from input and from
/// the cloud must not drive the terminal); a broken pipe ends quietly.
pub fn out(text: &str) {
    raw(&escape_controls(text));
}

/// A line for people on stderr (`glance-sig: warning: ...`), control characters escaped.
pub fn err_line(text: &str) {
    eprintln!("{}", escape_controls(text));
}

fn raw(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Pretty JSON plus a newline (serde escapes the control characters inside strings; the
/// same bytes as every other engine prints).
pub fn json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => raw(&(s + "\n")),
        Err(e) => eprintln!("glance-sig: cannot render JSON: {e}"),
    }
}
