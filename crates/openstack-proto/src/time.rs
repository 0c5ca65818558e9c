//! Reading the timestamps OpenStack returns, without a clock: the caller brings "now".

/// Seconds since the Unix epoch for an RFC 3339 / ISO 8601 timestamp as Keystone and Barbican
/// write them: `2026-11-23T12:41:57.000000Z`, `2026-11-23T12:41:57+01:00`, or with no offset
/// (`2026-11-23T12:41:57`, read as UTC, as Barbican means it). A space may stand for the `T`.
/// Fractions of a second are dropped. `None` when the text is not such a timestamp.
pub fn unix_seconds(timestamp: &str) -> Option<i64> {
    let timestamp = timestamp.trim();
    let (date, time) = timestamp.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year = number(date_parts.next()?, 4)?;
    let month = number(date_parts.next()?, 2)?;
    let day = number(date_parts.next()?, 2)?;

    // Split the offset off the time of day.
    let (clock, offset_seconds) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(pos) = time.rfind(['+', '-']) {
        let (clock, offset) = time.split_at(pos);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = offset[1..].split_once(':').unwrap_or((&offset[1..], "00"));
        let hours = number(hours, 2)?;
        let minutes = number(minutes, 2)?;
        if hours > 23 || minutes > 59 {
            return None;
        }
        (clock, sign * (hours * 3600 + minutes * 60))
    } else {
        (time, 0)
    };
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if fraction.bytes().all(|b| b.is_ascii_digit()) {
            whole
        } else {
            // Keep the garbage so the parse below fails.
            clock
        }
    });
    let mut clock_parts = clock.splitn(3, ':');
    let hour = number(clock_parts.next()?, 2)?;
    let minute = number(clock_parts.next()?, 2)?;
    let second = clock_parts.next().map_or(Some(0), |s| number(s, 2))?;

    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds)
}

fn number(text: &str, digits: usize) -> Option<i64> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_and_barbican_forms() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2015-11-09T01:42:57.527363Z"),
            Some(1_447_033_377)
        );
        assert_eq!(
            unix_seconds("2015-11-09T01:42:57.000000Z"),
            Some(1_447_033_377)
        );
        assert_eq!(
            unix_seconds("2015-11-09T02:42:57+01:00"),
            Some(1_447_033_377)
        );
        assert_eq!(
            unix_seconds("2015-11-08T20:42:57-05:00"),
            Some(1_447_033_377)
        );
        assert_eq!(unix_seconds("2015-11-09T01:42:57"), Some(1_447_033_377));
        assert_eq!(unix_seconds("2015-11-09 01:42:57"), Some(1_447_033_377));
        assert_eq!(unix_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(unix_seconds("1969-12-31T23:59:59Z"), Some(-1));
    }

    #[test]
    fn garbage_is_none() {
        for text in [
            "",
            "now",
            "2015-11-09",
            "2015-13-09T01:42:57Z",
            "2015-02-29T01:42:57Z",
            "2015-11-09T24:00:00Z",
            "2015-11-09T01:42:57.abcZ",
            "2015-11-09T01:42:57+25:00",
            "15-11-09T01:42:57Z",
            "2015-11-09T1:42:57Z",
        ] {
            assert_eq!(unix_seconds(text), None, "{text}");
        }
    }
}
