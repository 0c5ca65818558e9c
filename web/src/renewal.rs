//! Renewing a session's token before an upload outlives it.
//!
//! Glance checks the token when a request starts: a long data upload goes on after the token
//! expires, but the status read that confirms it, and the delete that cleans up after a
//! refusal, need a token that is still valid then. So when the token would expire before the
//! upload is expected to end (plus a margin), the portal asks the host page that handed it the
//! token for a fresh one (`glance-sig:token-expiring`), and takes the answer
//! (`glance-sig:token-refresh`) only when Keystone says it is the same user in the same project
//! and it lasts longer ([`crate::state::Scoped::admits`]). Keystone never extends a token, so a host can give a later one only
//! once its user has signed in again; Horizon hands over what its session holds.

/// Time kept in hand after the upload's expected end: the confirmation, a cleanup's retries.
pub const MARGIN_SECONDS: i64 = 300;
/// The upload rate assumed before one is measured: a slow link's, so that a large upload asks
/// early rather than too late.
pub const ASSUMED_BYTES_PER_SECOND: f64 = 10e6;
/// How long a measured rate must run before it replaces the assumed one.
pub const MEASURE_AFTER_MS: f64 = 2_000.0;
/// At most one request to the host page in this many seconds.
pub const ASK_INTERVAL_SECONDS: f64 = 30.0;
/// How long the portal waits for the host page's answer.
pub const ANSWER_WAIT_MS: u64 = 10_000;

/// The upload rate to plan with: measured once the upload has run a while, else assumed.
pub fn rate(done: u64, elapsed_ms: f64) -> f64 {
    if elapsed_ms >= MEASURE_AFTER_MS && done > 0 {
        done as f64 / (elapsed_ms / 1000.0)
    } else {
        ASSUMED_BYTES_PER_SECOND
    }
}

/// Until when (Unix seconds) the token must last: `bytes_left` at `rate`, plus the margin.
pub fn needed_until(now: i64, bytes_left: u64, rate: f64) -> i64 {
    let seconds = if rate > 0.0 {
        (bytes_left as f64 / rate).ceil()
    } else {
        f64::from(u32::MAX)
    };
    now.saturating_add(seconds as i64)
        .saturating_add(MARGIN_SECONDS)
}

/// Whether a token expiring at `expires_at` (Unix seconds; `None` when Keystone's date could not
/// be read) runs out before `needed_until`.
pub fn runs_out(expires_at: Option<i64>, needed_until: i64) -> bool {
    expires_at.is_none_or(|at| at < needed_until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_assumed_until_measured() {
        assert_eq!(rate(0, 0.0), ASSUMED_BYTES_PER_SECOND);
        assert_eq!(rate(50_000_000, 1_000.0), ASSUMED_BYTES_PER_SECOND);
        assert_eq!(rate(50_000_000, 5_000.0), 10_000_000.0);
    }

    #[test]
    fn a_token_runs_out_when_it_expires_before_the_upload_and_margin() {
        let now = 1_000_000;
        // 1 GB at 10 MB/s: 100 s, plus the margin.
        let needed = needed_until(now, 1_000_000_000, 10e6);
        assert_eq!(needed, now + 100 + MARGIN_SECONDS);
        assert!(runs_out(Some(now + 399), needed));
        assert!(!runs_out(Some(now + 400), needed));
        // An unreadable expiry is treated as running out: asking costs little.
        assert!(runs_out(None, needed));
        // A zero rate is never "enough time".
        assert!(runs_out(Some(now + 86_400), needed_until(now, 1, 0.0)));
    }
}
