//! UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ` strings, which sort in time order.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in UTC.
pub fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    from_unix(secs as i64)
}

pub fn from_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Checks `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`; a bare date becomes the
/// given time of day (`end_of_day`: 23:59:59, else 00:00:00).
pub fn parse(text: &str, end_of_day: bool) -> Result<String, String> {
    let t = text.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let date_ok = t.len() >= 10
        && digits(&t[0..4])
        && &t[4..5] == "-"
        && digits(&t[5..7])
        && &t[7..8] == "-"
        && digits(&t[8..10])
        && (1..=12).contains(&t[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&t[8..10].parse::<u32>().unwrap_or(0));
    if date_ok && t.len() == 10 {
        let time = if end_of_day { "23:59:59" } else { "00:00:00" };
        return Ok(format!("{t}T{time}Z"));
    }
    let time_ok = t.len() == 20
        && &t[10..11] == "T"
        && digits(&t[11..13])
        && &t[13..14] == ":"
        && digits(&t[14..16])
        && &t[16..17] == ":"
        && digits(&t[17..19])
        && &t[19..20] == "Z";
    if date_ok && time_ok {
        Ok(t.to_string())
    } else {
        Err(format!(
            "'{text}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_to_utc() {
        assert_eq!(from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(from_unix(1_795_960_800), "2026-11-29T14:00:00Z");
        assert_eq!(from_unix(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn dates() {
        assert_eq!(parse("2026-11-01", true).unwrap(), "2026-11-01T23:59:59Z");
        assert_eq!(parse("2026-11-01", false).unwrap(), "2026-11-01T00:00:00Z");
        assert_eq!(
            parse("2026-11-01T10:00:00Z", true).unwrap(),
            "2026-11-01T10:00:00Z"
        );
        assert!(parse("1 Nov", true).is_err());
        assert!(parse("2026-13-01", true).is_err());
    }
}
