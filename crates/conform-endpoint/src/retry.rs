//! When to try again: 429 and 503 (honouring `Retry-After`, in seconds or as
//! an HTTP date) and failed connections, with exponential back-off.

use std::time::{Duration, SystemTime};

pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 429 || status == 503
}

/// The wait a `Retry-After` value asks for, if it can be read.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// 200 ms, 400 ms, 800 ms ... capped at 5 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ms = 200u64.saturating_mul(1u64 << attempt.min(10));
    Duration::from_millis(ms.min(5_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(backoff(0), Duration::from_millis(200));
        assert_eq!(backoff(30), Duration::from_secs(5));
    }
}
