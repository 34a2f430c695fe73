//! Calendar dates for waiver expiry: jiff's civil dates, written and read
//! strictly as `YYYY-MM-DD`, and today's date in UTC.

pub use jiff::civil::Date;

/// A `YYYY-MM-DD` date that exists (`2026-02-29` does not).
pub fn parse(s: &str) -> Option<Date> {
    let s = s.trim();
    let shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    shape.then(|| s.parse().ok()).flatten()
}

/// Today in UTC.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        let a = parse("2026-02-28").unwrap();
        assert!(a < parse("2026-03-01").unwrap());
        assert_eq!(a.to_string(), "2026-02-28");
        assert!(parse("2026-02-29").is_none());
        assert!(parse("2024-02-29").is_some());
        assert!(parse("2026-13-01").is_none());
        assert!(parse("26-1-1").is_none());
        assert!(parse("2026-02-28T10:00").is_none());
    }

    #[test]
    fn today_is_a_real_date() {
        assert!(today() > parse("2026-01-01").unwrap());
    }
}
