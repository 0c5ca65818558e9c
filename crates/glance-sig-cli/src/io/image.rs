//! Image data, streamed in chunks with a progress line: from a file, or from any reader (a
//! Glance download). An engine is handed an [`ImageSource`] and opens it once per pass.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::CliError;
use crate::io::files::read_error;

/// Image read size: large enough that syscalls vanish next to hashing, small for memory.
const CHUNK: usize = 1024 * 1024;

/// Where an image's bytes come from. A failure worth explaining reads them again, so a source
/// can be opened more than once; it is opened only when the data is needed (properties refused
/// outright read nothing, as Glance answers at once).
pub trait ImageSource {
    /// Opens the data for one pass; `label` names the pass on the progress line.
    ///
    /// # Errors
    /// The source's own: an unreadable file, a download Glance refuses.
    fn open(&mut self, label: &'static str) -> Result<ImageData<'_>, CliError>;
}

/// One pass over an image's bytes. `Send`, so that an engine can read ahead on another thread.
pub struct ImageData<'a> {
    reader: Box<dyn Read + Send + 'a>,
    total: u64,
    label: &'static str,
    read_error: Box<dyn Fn(std::io::Error) -> CliError + Send + 'a>,
}

impl<'a> ImageData<'a> {
    /// `total` bytes (for the progress line) from `reader`; `read_error` says which image a
    /// failed read was of.
    pub fn new(
        reader: impl Read + Send + 'a,
        total: u64,
        label: &'static str,
        read_error: impl Fn(std::io::Error) -> CliError + Send + 'a,
    ) -> Self {
        Self {
            reader: Box::new(reader),
            total,
            label,
            read_error: Box::new(read_error),
        }
    }

    /// Feeds every chunk to `feed`, in order; progress on stderr when it is a terminal.
    /// Returns the bytes read.
    ///
    /// # Errors
    /// The source's error for a failed read.
    pub fn feed(mut self, feed: impl FnMut(&[u8])) -> Result<u64, CliError> {
        stream_reader(&mut self.reader, self.total, self.label, feed).map_err(&self.read_error)
    }
}

/// An image file.
#[derive(Debug, Clone, Copy)]
pub struct ImageFile<'p> {
    path: &'p Path,
}

impl<'p> ImageFile<'p> {
    /// The file at `path` (opened at each pass).
    pub fn new(path: &'p Path) -> Self {
        Self { path }
    }
}

impl ImageSource for ImageFile<'_> {
    fn open(&mut self, label: &'static str) -> Result<ImageData<'_>, CliError> {
        let path = self.path;
        let f = File::open(path).map_err(|e| read_error("image", path, e))?;
        let meta = f.metadata().map_err(|e| read_error("image", path, e))?;
        if meta.is_dir() {
            return Err(read_error(
                "image",
                path,
                std::io::Error::other("is a directory"),
            ));
        }
        Ok(ImageData::new(f, meta.len(), label, move |e| {
            read_error("image", path, e)
        }))
    }
}

/// Streams an image file through `feed` in chunks; progress on stderr when it is a terminal.
///
/// # Errors
/// [`CliError::Read`] when the file cannot be opened or read.
pub fn stream_image(
    path: &Path,
    label: &'static str,
    feed: impl FnMut(&[u8]),
) -> Result<u64, CliError> {
    ImageFile::new(path).open(label)?.feed(feed)
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
