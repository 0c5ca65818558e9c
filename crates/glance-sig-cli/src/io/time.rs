//! The clock, and times as people write them (RFC 3339).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::CliError;

/// The time for certificate checks: `--at`, else now.
///
/// # Errors
/// [`CliError::Usage`] when `at` is not RFC 3339.
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
