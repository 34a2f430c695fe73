//! UTC timestamps as `YYYY-MM-DDTHH:MM:SSZ` strings, which sort in time
//! order (dates and clocks from jiff).

use jiff::{civil::Date, Timestamp};

const FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Now, in UTC.
pub fn now() -> String {
    Timestamp::now().strftime(FORMAT).to_string()
}

/// Seconds since 1970-01-01T00:00:00Z, as a timestamp string.
pub fn from_unix(secs: i64) -> String {
    Timestamp::from_second(secs)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .strftime(FORMAT)
        .to_string()
}

/// Reads `YYYY-MM-DD` or an RFC 3339 timestamp (`2026-11-01T10:00:00Z`,
/// any offset, turned into UTC); a bare date becomes the given time of day
/// (`end_of_day`: 23:59:59, else 00:00:00).
pub fn parse(text: &str, end_of_day: bool) -> Result<String, String> {
    let t = text.trim();
    let bad = || format!("'{text}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
    if t.len() == 10 {
        let d: Date = t.parse().map_err(|_| bad())?;
        let time = if end_of_day { "23:59:59" } else { "00:00:00" };
        return Ok(format!("{}T{time}Z", d.strftime("%Y-%m-%d")));
    }
    let ts: Timestamp = t.parse().map_err(|_| bad())?;
    Ok(ts.strftime(FORMAT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_to_utc() {
        assert_eq!(from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(from_unix(1_795_960_800), "2026-11-29T14:00:00Z");
        assert_eq!(from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(now().len(), 20);
    }

    #[test]
    fn dates() {
        assert_eq!(parse("2026-11-01", true).unwrap(), "2026-11-01T23:59:59Z");
        assert_eq!(parse("2026-11-01", false).unwrap(), "2026-11-01T00:00:00Z");
        assert_eq!(
            parse("2026-11-01T10:00:00Z", true).unwrap(),
            "2026-11-01T10:00:00Z"
        );
        assert_eq!(
            parse("2026-11-01T10:00:00+01:00", true).unwrap(),
            "2026-11-01T09:00:00Z"
        );
        assert!(parse("1 Nov", true).is_err());
        assert!(parse("2026-13-01", true).is_err());
        assert!(parse("2026-02-30", true).is_err());
    }
}
