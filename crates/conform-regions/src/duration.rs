//! Durations in configuration: `500ms`, `30s`, `2m`, or a number of seconds.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Seconds(f64),
    Text(String),
}

pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let raw = Option::<Raw>::deserialize(d)?;
    raw.map(|r| match r {
        Raw::Seconds(n) if n.is_finite() && n >= 0.0 => Ok(Duration::from_secs_f64(n)),
        Raw::Seconds(n) => Err(serde::de::Error::custom(format!("bad duration {n}"))),
        Raw::Text(t) => parse_duration(&t).ok_or_else(|| {
            serde::de::Error::custom(format!("bad duration '{t}' (use e.g. 500ms, 30s, 2m)"))
        }),
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn units() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("2h"), None);
    }
}
