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

/// At most `max` characters, the last one `…` when the text was longer: cut at a character,
/// never inside one, so any UTF-8 from input can be shortened.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => format!("{}…", &text[..cut]),
        _ => text.to_owned(),
    }
}

fn raw(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Pretty JSON plus a newline, every control character and bidirectional mark escaped
/// (report::json_text: the same bytes as every other engine prints).
pub fn json<T: serde::Serialize>(value: &T) {
    raw(&glance_sig_core::report::json_text(value));
}

/// 1.5 GiB, 300 MiB, ...
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
