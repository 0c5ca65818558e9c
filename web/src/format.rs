//! Names and number formatting for the UI (the disk format sniffer is
//! `openstack_proto::diskformat`).

/// The image name suggested for a file name: the name without its last extension.
pub fn image_name_for(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => file_name.to_owned(),
    }
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Throughput and time left for `done` of `total` bytes after `elapsed_ms`: `("212 MB/s",
/// Some("0:04 left"))`. MB is 10^6 bytes, as disk and network rates are usually given.
pub fn rate(done: u64, total: u64, elapsed_ms: f64) -> (String, Option<String>) {
    if elapsed_ms <= 0.0 || done == 0 {
        return ("–".to_owned(), None);
    }
    let per_ms = done as f64 / elapsed_ms;
    let mbps = per_ms * 1000.0 / 1e6;
    let left = if total > done {
        let seconds = ((total - done) as f64 / per_ms / 1000.0).ceil() as u64;
        Some(format!("{}:{:02} left", seconds / 60, seconds % 60))
    } else {
        None
    };
    (format!("{mbps:.0} MB/s"), left)
}

/// Percentage, 0 to 100, for a progress bar.
pub fn percent(done: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        (done as f64 * 100.0 / total as f64).min(100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(image_name_for("cirros-0.6.2.qcow2"), "cirros-0.6.2");
        assert_eq!(image_name_for(".hidden"), ".hidden");
        assert_eq!(image_name_for("disk"), "disk");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(1 << 30), "1.0 GiB");
        let (speed, left) = rate(200_000_000, 400_000_000, 1000.0);
        assert_eq!(speed, "200 MB/s");
        assert_eq!(left.as_deref(), Some("0:01 left"));
        assert_eq!(rate(0, 10, 0.0).0, "–");
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(0, 0), 100.0);
    }
}
