//! Image data, streamed in chunks with a progress line: from a file, or from any reader (a
//! Glance download). An engine is handed an [`ImageSource`] and opens it once per pass.
//!
//! Every pass, whichever engine hashes, reads through [`stream_reader`]: a reader thread fills
//! a small ring of buffers while the caller's thread hashes the previous one, so reading costs
//! no wall time and memory stays constant.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::CliError;
use crate::io::files::read_error;
use crate::output::render::human_bytes;

/// Read size. Measured on this project's machine (1 GiB from the page cache, SHA-256 with
/// SHA-NI, best of three): 64 KiB 0.95 s, 128 KiB 0.91 s, 256 KiB 0.89 s (1 MiB buffers fall
/// out of the 512 KiB L2 the hash reads them from: 1.08 s); reading and hashing on one thread,
/// 1.00 s at any size; `openssl dgst -sha256` 1.10 s.
pub const CHUNK: usize = 256 * 1024;

/// Buffers in the ring: one being read into, one waiting, one being hashed (two measured the
/// same; four cost cache).
pub const READ_AHEAD_BUFFERS: usize = 3;

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

/// One pass over an image's bytes. `Send`, so that it can be read ahead on another thread.
pub struct ImageData<'a> {
    reader: Box<dyn Read + Send + 'a>,
    total: u64,
    label: &'static str,
    quiet: bool,
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
            quiet: false,
            read_error: Box::new(read_error),
        }
    }

    /// Without its own progress line (a batch shows one line for all its images).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Feeds every chunk to `feed`, in order; progress on stderr when it is a terminal.
    /// Returns the bytes read.
    ///
    /// # Errors
    /// The source's error for a failed read.
    pub fn feed(self, mut feed: impl FnMut(&[u8])) -> Result<u64, CliError> {
        self.feed_while(|chunk| {
            feed(chunk);
            ControlFlow::Continue(())
        })
    }

    /// As [`ImageData::feed`], stopping early (and reading no more) when `feed` breaks.
    ///
    /// # Errors
    /// The source's error for a failed read.
    pub fn feed_while(
        mut self,
        feed: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<u64, CliError> {
        let mut progress = Progress::new(self.label, self.total);
        progress.enabled &= !self.quiet;
        stream_reader(&mut self.reader, &mut progress, feed).map_err(&self.read_error)
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

/// Streams `reader` through `feed` in chunks, reading ahead on another thread ([`CHUNK`],
/// [`READ_AHEAD_BUFFERS`]), until the end or until `feed` breaks; shows `progress`. Returns
/// the bytes fed.
///
/// # Errors
/// The reader's error.
pub fn stream_reader(
    reader: &mut (dyn Read + Send),
    progress: &mut Progress,
    mut feed: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> std::io::Result<u64> {
    // Filled buffers go one way, emptied ones come back: no allocation per chunk.
    let (full_tx, full_rx) = mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(1);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(READ_AHEAD_BUFFERS);
    for _ in 0..READ_AHEAD_BUFFERS {
        // The channel holds READ_AHEAD_BUFFERS, and the receiver is alive.
        let _ = empty_tx.send(vec![0u8; CHUNK]);
    }
    let mut done = 0u64;
    let outcome = std::thread::scope(|s| {
        s.spawn(move || {
            // Ends when the data does, on an error, or when the consumer hangs up.
            while let Ok(mut buf) = empty_rx.recv() {
                let read = loop {
                    match reader.read(&mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                };
                let end = !matches!(read, Ok(n) if n > 0);
                if full_tx.send(read.map(|n| (buf, n))).is_err() || end {
                    break;
                }
            }
        });
        for read in &full_rx {
            let (buf, n) = read?;
            if n == 0 {
                break;
            }
            done += n as u64;
            let flow = feed(&buf[..n]);
            progress.show(done);
            if flow.is_break() {
                break;
            }
            let _ = empty_tx.send(buf);
        }
        // Hang up, so that a reader waiting for a buffer ends.
        drop(empty_tx);
        drop(full_rx);
        Ok(())
    });
    progress.finish();
    outcome.map(|()| done)
}

/// A progress line on stderr, shown only when stderr is a terminal.
pub struct Progress {
    label: String,
    total: u64,
    start: Instant,
    last: Instant,
    pub(crate) enabled: bool,
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
