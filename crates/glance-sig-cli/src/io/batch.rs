//! Many images at once: a per-item job run over a list by a bounded number of worker threads,
//! with one progress line (images done, bytes, MB/s) on stderr, and the results in the list's
//! order whatever order they finish in; and [`Shard`], the deterministic split of a catalog
//! between independent runs (a Kubernetes Indexed Job's pods). `audit --verify` uses both; any
//! command that works image by image over a catalog can.

use std::io::{IsTerminal, Read, Write};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::output::render::human_bytes;

/// The environment variable Kubernetes sets in each pod of an Indexed Job: the pod's index,
/// counting from 0.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// When the progress line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProgressMode {
    /// When stderr is a terminal.
    #[default]
    Auto,
    /// Always (a log file, a pod's log).
    Always,
    /// Never.
    Never,
}

impl ProgressMode {
    fn enabled(self) -> bool {
        match self {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Always => true,
            ProgressMode::Never => false,
        }
    }
}

/// What the workers have done so far, for the progress line: jobs count the bytes they move
/// through [`Meter::counting`].
#[derive(Debug, Default)]
pub struct Meter {
    bytes: AtomicU64,
}

impl Meter {
    /// Adds `n` bytes.
    pub fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// The bytes counted.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// `reader`, counting what is read from it.
    pub fn counting<R: Read>(&self, reader: R) -> Counted<'_, R> {
        Counted {
            inner: reader,
            meter: self,
        }
    }
}

/// A reader whose bytes a [`Meter`] counts.
pub struct Counted<'m, R> {
    inner: R,
    meter: &'m Meter,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

/// How a batch runs.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'l> {
    /// Worker threads (at most one per item).
    pub jobs: NonZeroUsize,
    /// The progress line's first word ("verifying").
    pub label: &'l str,
    /// When to show the progress line.
    pub progress: ProgressMode,
}

impl Batch<'_> {
    /// Runs `job` over every item, `jobs` at a time, each worker with its own state from
    /// `worker` (an engine, say: made in the worker's thread, so it need not be `Send`).
    /// Returns the results in the order of `items`.
    ///
    /// # Errors
    /// The first error of `worker` or `job`; the workers then take no new items, finish the one
    /// they hold, and the batch returns that error. A job's per-item problems belong in its
    /// result, not here.
    pub fn run<T, R, W, E>(
        &self,
        items: &[T],
        worker: impl Fn() -> Result<W, E> + Sync,
        job: impl Fn(&mut W, &T, &Meter) -> Result<R, E> + Sync,
    ) -> Result<Vec<R>, E>
    where
        T: Sync,
        R: Send,
        E: Send,
    {
        let mut results: Vec<Option<R>> = Vec::with_capacity(items.len());
        results.resize_with(items.len(), || None);
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let meter = Meter::default();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let workers = self.jobs.get().min(items.len());
        let mut line = ProgressLine::new(self, items.len(), workers);
        let mut first_error = None;
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel::<Result<(usize, R), E>>();
            for _ in 0..workers {
                let tx = tx.clone();
                let (worker, job, meter, next, stop) = (&worker, &job, &meter, &next, &stop);
                s.spawn(move || {
                    let mut state = match worker() {
                        Ok(state) => state,
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        let result = job(&mut state, item, meter).map(|r| (i, r));
                        if result.is_err() {
                            stop.store(true, Ordering::Relaxed);
                        }
                        // The receiver lives until every sender is gone.
                        let _ = tx.send(result);
                    }
                });
            }
            drop(tx);
            loop {
                match rx.recv_timeout(ProgressLine::EVERY) {
                    Ok(Ok((i, r))) => {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(r);
                        }
                        line.done += 1;
                    }
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                line.show(meter.bytes(), false);
            }
        });
        line.show(meter.bytes(), true);
        if let Some(e) = first_error {
            return Err(e);
        }
        // Without an error every item was taken and answered.
        Ok(results.into_iter().flatten().collect())
    }
}

/// `verifying 12/40 images  1.2 GiB  310 MB/s  4 jobs` on stderr, at most five times a second.
struct ProgressLine<'l> {
    label: &'l str,
    total: usize,
    workers: usize,
    done: usize,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

impl<'l> ProgressLine<'l> {
    const EVERY: Duration = Duration::from_millis(200);

    fn new(batch: &Batch<'l>, total: usize, workers: usize) -> Self {
        Self {
            label: batch.label,
            total,
            workers,
            done: 0,
            start: Instant::now(),
            last: None,
            enabled: batch.progress.enabled(),
        }
    }

    fn show(&mut self, bytes: u64, last: bool) {
        if !self.enabled || (!last && self.last.is_some_and(|t| t.elapsed() < Self::EVERY)) {
            return;
        }
        self.last = Some(Instant::now());
        let secs = self.start.elapsed().as_secs_f64().max(1e-6);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} {}/{} images  {}  {:.0} MB/s  {} job{}   {}",
            self.label,
            self.done,
            self.total,
            human_bytes(bytes),
            bytes as f64 / secs / 1e6,
            self.workers,
            if self.workers == 1 { "" } else { "s" },
            if last { "\n" } else { "" }
        );
        let _ = err.flush();
    }
}

/// One of `count` deterministic parts of a catalog. An image belongs to the shard whose
/// number is the SHA-256 of its id, read as a big-endian integer, modulo `count`: it depends
/// on the id alone, so an image stays in its shard as others are added or deleted (a split of
/// the sorted ids would move most of them), every machine and version computes the same split
/// (Rust's own hasher is randomized), and UUIDs spread evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1 to `count`.
    pub index: u32,
    /// How many shards the catalog is split into.
    pub count: u32,
}

impl Shard {
    /// Reads `I/N` (1-based, as people count), or `auto/N`, whose index is
    /// `JOB_COMPLETION_INDEX` + 1 (`job_index`: Kubernetes counts from 0).
    ///
    /// # Errors
    /// A [`ShardError`] naming what is wrong and the spec to give instead.
    pub fn parse(spec: &str, job_index: Option<&str>) -> Result<Self, ShardError> {
        let malformed = || ShardError::Malformed {
            spec: spec.to_owned(),
        };
        let (index, count) = spec.trim().split_once('/').ok_or_else(malformed)?;
        let count: u32 = count.trim().parse().map_err(|_| malformed())?;
        if count == 0 {
            return Err(ShardError::NoShards {
                spec: spec.to_owned(),
            });
        }
        let index = match index.trim() {
            "auto" => {
                let value = job_index.ok_or(ShardError::NoJobIndex { count })?;
                let zero_based: u32 =
                    value
                        .trim()
                        .parse()
                        .map_err(|_| ShardError::JobIndexMalformed {
                            value: value.to_owned(),
                        })?;
                if zero_based >= count {
                    return Err(ShardError::JobIndexOutOfRange {
                        value: zero_based,
                        count,
                    });
                }
                zero_based + 1
            }
            index => index.parse().map_err(|_| malformed())?,
        };
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Self { index, count })
    }

    /// Whether the item with this id is in this shard.
    pub fn holds(&self, id: &str) -> bool {
        Self::of(id, self.count) == self.index
    }

    /// The shard (1 to `count`) an id belongs to.
    pub fn of(id: &str, count: u32) -> u32 {
        let mut hasher = glance_sig_core::ImageHasher::new(glance_sig_core::HashMethod::Sha256);
        hasher.update(id.as_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_bytes()[..8]);
        // count >= 1 (parse refuses 0); max(1) keeps `of` total for any caller.
        let bucket = u64::from_be_bytes(first) % u64::from(count.max(1));
        // bucket < count <= u32::MAX
        u32::try_from(bucket).unwrap_or(0) + 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A `--shard` that names no shard.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N` or `auto/N`.
    #[error("--shard {spec:?} is not I/N or auto/N")]
    Malformed { spec: String },
    /// `I/0`.
    #[error("--shard {spec:?} splits the catalog into no shards")]
    NoShards { spec: String },
    /// `0/N`, or an index above N.
    #[error("--shard {index}/{count}: there is no shard {index} of {count}")]
    OutOfRange { index: u32, count: u32 },
    /// `auto/N` outside an Indexed Job.
    #[error("--shard auto/{count} takes the index from JOB_COMPLETION_INDEX, which is not set")]
    NoJobIndex { count: u32 },
    /// `JOB_COMPLETION_INDEX` is not a number.
    #[error("JOB_COMPLETION_INDEX is {value:?}, not a number")]
    JobIndexMalformed { value: String },
    /// `JOB_COMPLETION_INDEX` at or above N.
    #[error("JOB_COMPLETION_INDEX is {value}, but --shard auto/{count} has indices 0 to {}", count - 1)]
    JobIndexOutOfRange { value: u32, count: u32 },
}

impl ShardError {
    /// What to give instead.
    pub fn fix(&self) -> String {
        match self {
            ShardError::Malformed { .. } | ShardError::NoShards { .. } => {
                "give the shard's number and the shard count, counting from 1: --shard 2/4 is \
                 the second of four; in a Kubernetes Indexed Job, --shard auto/4"
                    .to_owned()
            }
            ShardError::OutOfRange { count, .. } => format!(
                "shards are numbered 1 to {count}: --shard 1/{count} ... --shard {count}/{count} \
                 (JOB_COMPLETION_INDEX counts from 0: use --shard auto/{count} there)"
            ),
            ShardError::NoJobIndex { count } => format!(
                "run it in a Kubernetes Indexed Job (completionMode: Indexed), or give the index \
                 yourself: --shard 1/{count}"
            ),
            ShardError::JobIndexMalformed { .. } => {
                "JOB_COMPLETION_INDEX must be the pod's index (Kubernetes sets it in an Indexed \
                 Job); unset it, or give --shard I/N"
                    .to_owned()
            }
            ShardError::JobIndexOutOfRange { count, .. } => format!(
                "set the Job's completions to {count}, the N of --shard auto/{count} (or N to the \
                 Job's completions)"
            ),
        }
    }
}

/// What a shard's report says of itself, for [`check_shards`].
#[derive(Debug, Clone)]
pub struct ShardReport<'a> {
    /// The file it came from.
    pub file: &'a str,
    /// Its shard; `None` for a report of a whole catalog.
    pub shard: Option<Shard>,
    /// What was run, in words (cloud, project, options): equal for the shards of one run.
    pub scope: String,
}

/// Checks that `reports` are the shards of one run, each once, none missing.
///
/// # Errors
/// A [`MergeError`] naming the files at fault.
pub fn check_shards(reports: &[ShardReport<'_>]) -> Result<u32, MergeError> {
    let Some(first) = reports.first() else {
        return Err(MergeError::NoReports);
    };
    let mut seen: Vec<Option<&str>> = Vec::new();
    let mut count = None;
    for report in reports {
        let Some(shard) = report.shard else {
            return Err(MergeError::NotAShard {
                file: report.file.to_owned(),
            });
        };
        if report.scope != first.scope {
            return Err(MergeError::ScopesDiffer {
                first: first.file.to_owned(),
                first_scope: first.scope.clone(),
                file: report.file.to_owned(),
                scope: report.scope.clone(),
            });
        }
        let (count_file, n) = *count.get_or_insert((report.file, shard.count));
        if shard.count != n {
            return Err(MergeError::CountsDiffer {
                first: count_file.to_owned(),
                first_count: n,
                file: report.file.to_owned(),
                shard,
            });
        }
        seen.resize(n as usize, None);
        let slot = shard.index as usize - 1;
        if let Some(Some(earlier)) = seen.get(slot) {
            return Err(MergeError::Duplicate {
                shard,
                first: (*earlier).to_owned(),
                second: report.file.to_owned(),
            });
        }
        if let Some(entry) = seen.get_mut(slot) {
            *entry = Some(report.file);
        }
    }
    let missing: Vec<u32> = (1u32..)
        .zip(&seen)
        .filter(|(_, file)| file.is_none())
        .map(|(index, _)| index)
        .collect();
    let count = count.map_or(0, |(_, n)| n);
    if missing.is_empty() {
        Ok(count)
    } else {
        Err(MergeError::Missing { missing, count })
    }
}

/// Reports that are not the shards of one run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no reports to merge")]
    NoReports,
    /// A report of a whole catalog among shards.
    #[error("{file} is the report of a whole audit, not of a shard (it was run without --shard)")]
    NotAShard { file: String },
    /// Shards of different splits.
    #[error("{file} is shard {shard}, but {first} is a shard of {first_count}: shards of different splits")]
    CountsDiffer {
        first: String,
        first_count: u32,
        file: String,
        shard: Shard,
    },
    /// The same shard twice.
    #[error("shard {shard} is given twice: {first} and {second}")]
    Duplicate {
        shard: Shard,
        first: String,
        second: String,
    },
    /// Shards left out.
    #[error(
        "shard{} {} of {count} {} missing",
        if missing.len() == 1 { "" } else { "s" },
        missing.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
        if missing.len() == 1 { "is" } else { "are" }
    )]
    Missing { missing: Vec<u32>, count: u32 },
    /// Shards of different runs.
    #[error("{file} is of another audit than {first}: {scope}, against {first_scope}")]
    ScopesDiffer {
        first: String,
        first_scope: String,
        file: String,
        scope: String,
    },
    /// One item in two shards.
    #[error("image {id} is in both {first} and {second}")]
    InTwoShards {
        id: String,
        first: String,
        second: String,
    },
}

impl MergeError {
    /// What to do instead.
    pub fn fix(&self) -> String {
        match self {
            MergeError::NoReports => "name the reports of every shard".to_owned(),
            MergeError::NotAShard { .. } => {
                "merge only the reports of `audit --shard I/N --json` (or --output); a whole \
                 audit needs no merging"
                    .to_owned()
            }
            MergeError::CountsDiffer { .. } => {
                "merge the shards of one run, all with the same N in --shard I/N; run the \
                 missing ones again with that N"
                    .to_owned()
            }
            MergeError::Duplicate { .. } => {
                "give each shard's report once (the newest, when a shard was run again)".to_owned()
            }
            MergeError::Missing { missing, count } => format!(
                "give the reports of all {count} shards: run the missing ones (--shard {}/{count} \
                 ...) and merge again",
                missing.first().copied().unwrap_or(1)
            ),
            MergeError::ScopesDiffer { .. } => {
                "merge only shards of one audit: the same cloud, project and options (--verify, \
                 --mine, --expiry-warning-days)"
                    .to_owned()
            }
            MergeError::InTwoShards { .. } => {
                "the shards were not split by the same rule (another glance-sig version?): run \
                 every shard again with one glance-sig"
                    .to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).expect("not zero")
    }

    fn batch(n: usize) -> Batch<'static> {
        Batch {
            jobs: jobs(n),
            label: "testing",
            progress: ProgressMode::Never,
        }
    }

    #[test]
    fn results_come_in_the_items_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..40).collect();
        let job = |_: &mut (), item: &u64, meter: &Meter| -> Result<u64, String> {
            // Early items take longest, so they finish last.
            std::thread::sleep(Duration::from_millis(40u64.saturating_sub(*item)));
            meter.add(*item);
            Ok(item * 10)
        };
        let one = batch(1).run(&items, || Ok(()), job).expect("runs");
        let many = batch(6).run(&items, || Ok(()), job).expect("runs");
        assert_eq!(one, items.iter().map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(many, one);
    }

    #[test]
    fn at_most_jobs_run_at_once_each_with_its_own_state() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let made = AtomicUsize::new(0);
        let items = vec![(); 30];
        batch(3)
            .run(
                &items,
                || Ok::<_, String>(made.fetch_add(1, Ordering::SeqCst)),
                |_, _, _| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                },
            )
            .expect("runs");
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(made.load(Ordering::SeqCst), 3);
        // Never more workers than items.
        batch(8)
            .run(
                &[(); 2],
                || Ok::<_, String>(made.fetch_add(1, Ordering::SeqCst)),
                |_, _, _| Ok(()),
            )
            .expect("runs");
        assert_eq!(made.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn an_error_stops_the_batch_and_is_returned() {
        let taken = AtomicUsize::new(0);
        let items: Vec<usize> = (0..1000).collect();
        let r = batch(2).run(
            &items,
            || Ok(()),
            |_, item, _| {
                taken.fetch_add(1, Ordering::SeqCst);
                if *item == 3 {
                    Err(format!("item {item} broke"))
                } else {
                    Ok(*item)
                }
            },
        );
        assert_eq!(r, Err("item 3 broke".to_owned()));
        assert!(
            taken.load(Ordering::SeqCst) < 100,
            "the workers stopped taking items"
        );
        let r = batch(2).run(
            &items,
            || Err::<(), _>("no engine".to_owned()),
            |_, i, _| Ok(*i),
        );
        assert_eq!(r, Err("no engine".to_owned()));
    }

    #[test]
    fn the_meter_counts_what_is_read() {
        let meter = Meter::default();
        let mut out = Vec::new();
        meter
            .counting(&[7u8; 1000][..])
            .read_to_end(&mut out)
            .expect("reads");
        assert_eq!((meter.bytes(), out.len()), (1000, 1000));
    }

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/4", None), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::parse("1/1", None), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(
            Shard::parse("auto/4", Some("0")),
            Ok(Shard { index: 1, count: 4 })
        );
        assert_eq!(
            Shard::parse("auto/4", Some("3")),
            Ok(Shard { index: 4, count: 4 })
        );
        for (spec, env, expected) in [
            ("0/4", None, ShardError::OutOfRange { index: 0, count: 4 }),
            ("5/4", None, ShardError::OutOfRange { index: 5, count: 4 }),
            ("1/0", None, ShardError::NoShards { spec: "1/0".into() }),
            (
                "garbage",
                None,
                ShardError::Malformed {
                    spec: "garbage".into(),
                },
            ),
            ("1/x", None, ShardError::Malformed { spec: "1/x".into() }),
            (
                "-1/4",
                None,
                ShardError::Malformed {
                    spec: "-1/4".into(),
                },
            ),
            (
                "",
                None,
                ShardError::Malformed {
                    spec: String::new(),
                },
            ),
            ("auto/4", None, ShardError::NoJobIndex { count: 4 }),
            (
                "auto/4",
                Some("4"),
                ShardError::JobIndexOutOfRange { value: 4, count: 4 },
            ),
            (
                "auto/4",
                Some("two"),
                ShardError::JobIndexMalformed {
                    value: "two".into(),
                },
            ),
        ] {
            let e = Shard::parse(spec, env).expect_err(spec);
            assert_eq!(e, expected, "{spec}");
            assert!(!e.fix().is_empty());
        }
        assert!(ShardError::OutOfRange { index: 0, count: 4 }
            .fix()
            .contains("1/4"));
    }

    #[test]
    fn every_id_is_in_exactly_one_shard_and_stays_there() {
        let ids: Vec<String> = (0..2000)
            .map(|i| format!("3f2a{i:04}-6b1e-4c55-9d1c-0242ac120002"))
            .collect();
        for count in [1u32, 2, 3, 4, 7] {
            let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            let mut sizes = vec![0usize; count as usize];
            for id in &ids {
                let holders: Vec<&Shard> = shards.iter().filter(|s| s.holds(id)).collect();
                assert_eq!(holders.len(), 1, "{id} in {count} shards");
                sizes[holders[0].index as usize - 1] += 1;
            }
            // An even spread: each shard within 20% of its share.
            let share = ids.len() / count as usize;
            assert!(
                sizes.iter().all(|n| n.abs_diff(share) * 5 <= share),
                "{count}: {sizes:?}"
            );
        }
        // The split is a function of the id alone: pinned values, so a change of the rule
        // (which would break merging shards of mixed versions) fails here.
        assert_eq!(
            Shard::of("8a2ea42d-06b5-42c2-a54d-97105420f2bb", 4),
            PINNED_8A2E
        );
    }

    fn report(file: &'static str, shard: Option<(u32, u32)>, scope: &str) -> ShardReport<'static> {
        ShardReport {
            file,
            shard: shard.map(|(index, count)| Shard { index, count }),
            scope: scope.to_owned(),
        }
    }

    #[test]
    fn shards_of_one_run_merge_and_nothing_else_does() {
        let all = [
            report("c.json", Some((3, 3)), "cloud A"),
            report("a.json", Some((1, 3)), "cloud A"),
            report("b.json", Some((2, 3)), "cloud A"),
        ];
        assert_eq!(check_shards(&all), Ok(3));
        assert_eq!(check_shards(&[report("x", Some((1, 1)), "s")]), Ok(1));
        let shard = |index, count| Shard { index, count };
        for (reports, expected) in [
            (vec![], MergeError::NoReports),
            (
                vec![all[0].clone(), report("whole.json", None, "cloud A")],
                MergeError::NotAShard {
                    file: "whole.json".into(),
                },
            ),
            (
                vec![all[1].clone(), report("d.json", Some((2, 4)), "cloud A")],
                MergeError::CountsDiffer {
                    first: "a.json".into(),
                    first_count: 3,
                    file: "d.json".into(),
                    shard: shard(2, 4),
                },
            ),
            (
                vec![
                    all[1].clone(),
                    all[2].clone(),
                    report("b2.json", Some((2, 3)), "cloud A"),
                ],
                MergeError::Duplicate {
                    shard: shard(2, 3),
                    first: "b.json".into(),
                    second: "b2.json".into(),
                },
            ),
            (
                vec![all[1].clone()],
                MergeError::Missing {
                    missing: vec![2, 3],
                    count: 3,
                },
            ),
            (
                vec![all[1].clone(), report("e.json", Some((2, 3)), "cloud B")],
                MergeError::ScopesDiffer {
                    first: "a.json".into(),
                    first_scope: "cloud A".into(),
                    file: "e.json".into(),
                    scope: "cloud B".into(),
                },
            ),
        ] {
            let e = check_shards(&reports).expect_err("inconsistent");
            assert_eq!(e, expected);
            assert!(!e.fix().is_empty());
        }
        let missing = MergeError::Missing {
            missing: vec![2],
            count: 4,
        };
        assert_eq!(missing.to_string(), "shard 2 of 4 is missing");
        assert!(missing.fix().contains("--shard 2/4"), "{}", missing.fix());
    }

    /// The shard of one fixed id among four, computed once from the rule's definition
    /// (`sha256(id)[..8]` big-endian mod 4, plus 1).
    const PINNED_8A2E: u32 = 1;
}
