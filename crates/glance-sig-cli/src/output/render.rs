//! JSON for machines on stdout, readable text for people. A closed pipe is not an error.

use std::io::Write;

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
