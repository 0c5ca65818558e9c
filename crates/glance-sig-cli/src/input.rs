//! Reading the inputs: small files whole (with limits), images streamed in chunks.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use glance_sig_core::{PrivateKey, SignatureProperties};

use crate::engine::Engine;
use crate::exit::CliError;

/// Keys, certificates and property files are small; anything bigger is a mistake.
const SMALL_FILE_LIMIT: u64 = 16 * 1024 * 1024;
/// Image read size: large enough that syscalls vanish next to hashing, small for memory.
const CHUNK: usize = 1024 * 1024;

fn read_error(what: &'static str, path: &Path, source: std::io::Error) -> CliError {
    CliError::Read {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// Reads a small file whole.
pub fn read_small(what: &'static str, path: &Path) -> Result<Vec<u8>, CliError> {
    let mut f = File::open(path).map_err(|e| read_error(what, path, e))?;
    let size = f.metadata().map_err(|e| read_error(what, path, e))?.len();
    if size > SMALL_FILE_LIMIT {
        return Err(CliError::TooLarge {
            what,
            path: path.display().to_string(),
            size,
            limit: SMALL_FILE_LIMIT,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    Read::by_ref(&mut f)
        .take(SMALL_FILE_LIMIT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| read_error(what, path, e))?;
    Ok(buf)
}

pub fn malformed(
    what: &'static str,
    path: &Path,
    detail: impl ToString,
    fix: Option<String>,
) -> CliError {
    CliError::Malformed {
        what,
        path: path.display().to_string(),
        detail: detail.to_string(),
        fix,
    }
}

/// The image properties file, read by `engine`.
pub fn properties<E: Engine>(engine: &mut E, path: &Path) -> Result<SignatureProperties, CliError> {
    let bytes = read_small("properties file", path)?;
    engine.properties(&bytes)?.map_err(|e| {
        malformed(
            "properties file",
            path,
            e,
            Some("give a JSON object of image properties, or the output of `openstack image show -f json IMAGE`".to_owned()),
        )
    })
}

/// A certificate (the first one in a bundle), read by `engine`.
pub fn certificate<E: Engine>(engine: &mut E, path: &Path) -> Result<E::Cert, CliError> {
    let bytes = read_small("certificate", path)?;
    engine
        .certificate(&bytes)?
        .map_err(|e| malformed("certificate", path, e, None))
}

/// Every certificate in each file, read by `engine`.
pub fn trusted<E: Engine>(
    engine: &mut E,
    paths: &[std::path::PathBuf],
) -> Result<Vec<E::Cert>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let bytes = read_small("trusted certificate", p)?;
        out.extend(
            engine
                .certificates(&bytes)?
                .map_err(|e| malformed("trusted certificate", p, e, None))?,
        );
    }
    Ok(out)
}

/// A private key, asking for its passphrase on a terminal when needed and none was given.
pub fn private_key(path: &Path, passphrase_file: Option<&Path>) -> Result<PrivateKey, CliError> {
    let (bytes, passphrase) = private_key_material(path, passphrase_file)?;
    PrivateKey::from_bytes(&bytes, passphrase.as_deref())
        .map_err(|e| malformed("private key", path, e, None))
}

/// The key file's bytes and its passphrase: from the passphrase file, else typed at a prompt
/// when the key is encrypted and stdin is a terminal.
pub fn private_key_material(
    path: &Path,
    passphrase_file: Option<&Path>,
) -> Result<(Vec<u8>, Option<Vec<u8>>), CliError> {
    let bytes = read_small("private key", path)?;
    let mut passphrase = match passphrase_file {
        Some(p) => {
            let raw = read_small("passphrase file", p)?;
            let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
            Some(line.strip_suffix(b"\r").unwrap_or(line).to_vec())
        }
        None => None,
    };
    if passphrase.is_none()
        && glance_sig_core::is_encrypted(&bytes)
        && std::io::stdin().is_terminal()
    {
        let typed = rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
            .map_err(|e| read_error("passphrase from the terminal", path, e))?;
        passphrase = Some(typed.into_bytes());
    }
    Ok((bytes, passphrase))
}

/// The time for certificate checks: `--at`, else now.
pub fn time(at: Option<&str>) -> Result<i64, CliError> {
    let t = match at {
        Some(s) => humantime::parse_rfc3339_weak(s).map_err(|e| {
            CliError::Usage(format!(
                "--at {s}: {e} (use RFC 3339, e.g. 2030-01-01T00:00:00Z)"
            ))
        })?,
        None => SystemTime::now(),
    };
    Ok(match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    })
}

/// Formats Unix seconds as RFC 3339.
pub fn rfc3339(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(s) => humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(s)).to_string(),
        Err(_) => format!("{unix} (before 1970)"),
    }
}

/// Streams an image through `feed` in chunks; progress on stderr when it is a terminal.
pub fn stream_image(path: &Path, label: &str, feed: impl FnMut(&[u8])) -> Result<u64, CliError> {
    let mut f = File::open(path).map_err(|e| read_error("image", path, e))?;
    let meta = f.metadata().map_err(|e| read_error("image", path, e))?;
    if meta.is_dir() {
        return Err(read_error(
            "image",
            path,
            std::io::Error::other("is a directory"),
        ));
    }
    stream_reader(&mut f, meta.len(), label, feed).map_err(|e| read_error("image", path, e))
}

/// Streams `reader` (of `total` bytes, for the progress display) through `feed` in chunks;
/// progress on stderr when it is a terminal. Returns the bytes read.
pub fn stream_reader(
    reader: &mut dyn Read,
    total: u64,
    label: &str,
    mut feed: impl FnMut(&[u8]),
) -> std::io::Result<u64> {
    let mut progress = Progress::new(label, total);
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        feed(&buf[..n]);
        done += n as u64;
        progress.show(done);
    }
    progress.finish();
    Ok(done)
}

/// A progress line on stderr, shown only when stderr is a terminal.
pub struct Progress {
    label: String,
    total: u64,
    start: Instant,
    last: Instant,
    enabled: bool,
}

impl Progress {
    /// A progress line for `total` bytes.
    pub fn new(label: &str, total: u64) -> Self {
        let now = Instant::now();
        Self {
            label: label.to_owned(),
            total,
            start: now,
            last: now,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `done` bytes of the total (at most five times a second).
    pub fn show(&mut self, done: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let secs = self.start.elapsed().as_secs_f64().max(1e-6);
        let rate = done as f64 / secs;
        let pct = if self.total > 0 {
            done as f64 * 100.0 / self.total as f64
        } else {
            100.0
        };
        let left = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} {:>5.1}%  {} / {}  {:.0} MB/s  {:.0} s left   ",
            self.label,
            pct,
            human_bytes(done),
            human_bytes(self.total),
            rate / 1e6,
            left
        );
        let _ = err.flush();
    }

    /// Ends the line.
    pub fn finish(&self) {
        if self.enabled && self.start.elapsed() >= Duration::from_millis(200) {
            let _ = writeln!(std::io::stderr());
        }
    }
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
