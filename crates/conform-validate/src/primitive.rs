//! Lexical checks for FHIR primitive types, hand-written from the regular
//! expressions in the R4 primitive type definitions so the hot path never runs
//! a regex engine. Each check returns `Err(reason)` with a sentence for the
//! finding.

use serde::{Deserialize, Serialize};

/// The primitive types of FHIR R4, each with its own lexical rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Primitive {
    Boolean,
    Integer,
    PositiveInt,
    UnsignedInt,
    Decimal,
    String,
    Markdown,
    Code,
    Id,
    Uri,
    Url,
    Canonical,
    Oid,
    Uuid,
    Base64Binary,
    Instant,
    Date,
    DateTime,
    Time,
    Xhtml,
}

/// The JSON type a primitive's value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    Bool,
    Number,
    String,
}

/// The most a FHIR string may hold (the R4 `string.value` maxLength).
const MAX_STRING_BYTES: usize = 1024 * 1024;

impl Primitive {
    /// Maps a FHIR type code (`dateTime`, `positiveInt`...) to its primitive.
    pub fn from_code(code: &str) -> Option<Primitive> {
        Some(match code {
            "boolean" => Primitive::Boolean,
            "integer" => Primitive::Integer,
            "positiveInt" => Primitive::PositiveInt,
            "unsignedInt" => Primitive::UnsignedInt,
            "decimal" => Primitive::Decimal,
            "string" => Primitive::String,
            "markdown" => Primitive::Markdown,
            "code" => Primitive::Code,
            "id" => Primitive::Id,
            "uri" => Primitive::Uri,
            "url" => Primitive::Url,
            "canonical" => Primitive::Canonical,
            "oid" => Primitive::Oid,
            "uuid" => Primitive::Uuid,
            "base64Binary" => Primitive::Base64Binary,
            "instant" => Primitive::Instant,
            "date" => Primitive::Date,
            "dateTime" => Primitive::DateTime,
            "time" => Primitive::Time,
            "xhtml" => Primitive::Xhtml,
            _ => return None,
        })
    }

    pub fn json_type(self) -> JsonType {
        match self {
            Primitive::Boolean => JsonType::Bool,
            Primitive::Integer
            | Primitive::PositiveInt
            | Primitive::UnsignedInt
            | Primitive::Decimal => JsonType::Number,
            _ => JsonType::String,
        }
    }

    /// Checks the lexical form: for numbers the JSON number text, for the
    /// rest the decoded string.
    pub fn check(self, text: &str) -> Result<(), String> {
        match self {
            Primitive::Boolean => Ok(()),
            Primitive::Integer => int_in(text, i32::MIN as i64, "an integer"),
            Primitive::PositiveInt => int_in(text, 1, "a positive integer (1 or more)"),
            Primitive::UnsignedInt => int_in(text, 0, "an unsigned integer (0 or more)"),
            Primitive::Decimal => Ok(()), // any JSON number is a valid decimal
            Primitive::String | Primitive::Markdown => {
                if text.len() > MAX_STRING_BYTES {
                    Err("is longer than the 1 MB FHIR allows for a string".into())
                } else if text.trim().is_empty() {
                    Err("must contain some non-whitespace content".into())
                } else {
                    Ok(())
                }
            }
            Primitive::Code => check_code(text),
            Primitive::Id => check_id(text),
            Primitive::Uri | Primitive::Url | Primitive::Canonical => check_uri(text),
            Primitive::Oid => check_oid(text),
            Primitive::Uuid => check_uuid(text),
            Primitive::Base64Binary => check_base64(text),
            Primitive::Instant => check_date_time(text, true),
            Primitive::Date => check_date(text).map(|_| ()),
            Primitive::DateTime => check_date_time(text, false),
            Primitive::Time => check_time(text),
            Primitive::Xhtml => check_xhtml(text),
        }
    }
}

fn int_in(text: &str, min: i64, what: &str) -> Result<(), String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "is not {what}: '{text}' has a fraction or exponent"
        ));
    }
    match text.parse::<i64>() {
        Ok(v) if v >= min && v <= i32::MAX as i64 => Ok(()),
        _ => Err(format!(
            "is not {what} in range ({min} to {}): '{text}'",
            i32::MAX
        )),
    }
}

fn check_code(text: &str) -> Result<(), String> {
    // [^\s]+(\s[^\s]+)* : no leading, trailing or doubled whitespace.
    let bad = text.is_empty()
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
        || text
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace());
    if bad {
        Err(format!(
            "is not a valid code: '{text}' has leading, trailing or repeated whitespace"
        ))
    } else {
        Ok(())
    }
}

fn check_id(text: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a valid id: '{text}' (1-64 characters of A-Z, a-z, 0-9, '-' and '.')"
        ))
    }
}

fn check_uri(text: &str) -> Result<(), String> {
    if text.is_empty() {
        Err("must not be empty".into())
    } else if text.bytes().any(|b| b.is_ascii_whitespace()) {
        Err(format!("is not a valid URI: '{text}' contains whitespace"))
    } else if text.starts_with("urn:uuid:") {
        check_uuid(text)
    } else if text.starts_with("urn:oid:") {
        check_oid(text)
    } else {
        Ok(())
    }
}

fn check_oid(text: &str) -> Result<(), String> {
    let ok = text.strip_prefix("urn:oid:").is_some_and(|rest| {
        let mut parts = rest.split('.');
        let first_ok = matches!(parts.next(), Some("0" | "1" | "2"));
        let mut n = 0;
        let rest_ok = parts.all(|p| {
            n += 1;
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        });
        first_ok && rest_ok && n >= 1
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a valid OID: '{text}' (expected urn:oid:1.2.3...)"
        ))
    }
}

fn check_uuid(text: &str) -> Result<(), String> {
    let ok = text.strip_prefix("urn:uuid:").is_some_and(|u| {
        u.len() == 36
            && u.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            })
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a valid UUID: '{text}' (expected urn:uuid: and 36 lower-case hex characters)"
        ))
    }
}

/// Byte classes for base64: attachments can be megabytes, so the check is
/// one table lookup a byte.
const B64_INVALID: u8 = 0;
const B64_CHAR: u8 = 1;
const B64_SPACE: u8 = 2;
const B64_PAD: u8 = 3;
static B64: [u8; 256] = {
    let mut t = [B64_INVALID; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            B64_CHAR
        } else if b == b' ' || b == b'\t' || b == b'\r' || b == b'\n' {
            B64_SPACE
        } else if b == b'=' {
            B64_PAD
        } else {
            B64_INVALID
        };
        i += 1;
    }
    t
};

fn check_base64(text: &str) -> Result<(), String> {
    let mut n = 0usize;
    let mut padding = 0usize;
    for &b in text.as_bytes() {
        match B64[b as usize] {
            B64_CHAR if padding == 0 => n += 1,
            B64_SPACE => {}
            B64_PAD => {
                padding += 1;
                n += 1;
            }
            _ => {
                return Err(
                    "is not valid base64: contains a character outside A-Z, a-z, 0-9, +, / and ="
                        .into(),
                )
            }
        }
    }
    if !n.is_multiple_of(4) || padding > 2 {
        return Err("is not valid base64: its length is not a multiple of 4".into());
    }
    Ok(())
}

fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let d = b.get(at..at + 2)?;
    d.iter()
        .all(u8::is_ascii_digit)
        .then(|| (d[0] - b'0') as u32 * 10 + (d[1] - b'0') as u32)
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` at the start; returns its length.
fn date_prefix(b: &[u8]) -> Option<usize> {
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year: u32 = std::str::from_utf8(&b[..4]).ok()?.parse().ok()?;
    if b.len() == 4 || b[4] != b'-' {
        return Some(4);
    }
    let month = two_digits(b, 5).filter(|m| (1..=12).contains(m))?;
    if b.len() == 7 || b[7] != b'-' {
        return Some(7);
    }
    let day = two_digits(b, 8)?;
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day).then_some(10)
}

fn check_date(text: &str) -> Result<usize, String> {
    match date_prefix(text.as_bytes()) {
        Some(n) if n == text.len() => Ok(n),
        _ => Err(format!(
            "is not a valid date: '{text}' (expected YYYY, YYYY-MM or YYYY-MM-DD)"
        )),
    }
}

/// `hh:mm:ss` with optional fraction; returns the length consumed.
fn time_prefix(b: &[u8]) -> Option<usize> {
    let h = two_digits(b, 0)?;
    let m = two_digits(b, 3)?;
    let s = two_digits(b, 6)?;
    if b[2] != b':' || b[5] != b':' || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut n = 8;
    if b.get(8) == Some(&b'.') {
        n = 9;
        while b.get(n).is_some_and(u8::is_ascii_digit) {
            n += 1;
        }
        if n == 9 {
            return None;
        }
    }
    Some(n)
}

fn check_time(text: &str) -> Result<(), String> {
    match time_prefix(text.as_bytes()) {
        Some(n) if n == text.len() => Ok(()),
        _ => Err(format!("is not a valid time: '{text}' (expected hh:mm:ss)")),
    }
}

fn check_date_time(text: &str, instant: bool) -> Result<(), String> {
    let b = text.as_bytes();
    let fail = || {
        Err(if instant {
            format!("is not a valid instant: '{text}' (expected YYYY-MM-DDThh:mm:ss[.fff] with a time zone)")
        } else {
            format!("is not a valid dateTime: '{text}' (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time zone)")
        })
    };
    let Some(d) = date_prefix(b) else {
        return fail();
    };
    if d == b.len() && !instant {
        return Ok(());
    }
    if d != 10 || b.get(10) != Some(&b'T') {
        return fail();
    }
    let Some(t) = time_prefix(&b[11..]) else {
        return fail();
    };
    let zone = &b[11 + t..];
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && (zone[0] == b'+' || zone[0] == b'-')
            && zone[3] == b':'
            && two_digits(zone, 1).is_some_and(|h| h <= 14)
            && two_digits(zone, 4).is_some_and(|m| m <= 59));
    if zone_ok {
        Ok(())
    } else {
        fail()
    }
}

fn check_xhtml(text: &str) -> Result<(), String> {
    crate::xhtml::check(text).map_err(|why| format!("is not valid narrative: {why}"))
}

#[cfg(test)]
mod tests {
    use super::Primitive::*;

    #[test]
    fn accepts_valid_forms() {
        for (p, t) in [
            (Integer, "-12"),
            (PositiveInt, "1"),
            (UnsignedInt, "0"),
            (Date, "2024"),
            (Date, "2024-02"),
            (Date, "2024-02-29"),
            (DateTime, "2015-02-07T13:28:17.239+02:00"),
            (DateTime, "2015-02-07T13:28:17Z"),
            (Instant, "2015-02-07T13:28:17.239Z"),
            (Time, "13:28:17"),
            (Id, "a-b.C1"),
            (Oid, "urn:oid:1.2.840.10008"),
            (Uuid, "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"),
            (Base64Binary, "aGVsbG8="),
            (Code, "a b"),
            (Uri, "http://x/y"),
            (Xhtml, "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"),
        ] {
            assert_eq!(p.check(t), Ok(()), "{p:?} {t}");
        }
    }

    #[test]
    fn rejects_invalid_forms() {
        for (p, t) in [
            (Integer, "1.0"),
            (Integer, "3000000000"),
            (PositiveInt, "0"),
            (UnsignedInt, "-1"),
            (Date, "2023-02-29"),
            (Date, "2024-13"),
            (Date, "24-01-01"),
            (DateTime, "2015-02-07T13:28:17"),
            (DateTime, "2015-02-07T13:28"),
            (Instant, "2015-02-07"),
            (Time, "25:00:00"),
            (Id, "has space"),
            (Id, &"x".repeat(65)),
            (Oid, "1.2.3"),
            (Uuid, "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"),
            (Base64Binary, "abc"),
            (Code, " a"),
            (Code, "a  b"),
            (String, "   "),
            (Uri, "a b"),
            (Uri, "urn:uuid:not-a-uuid"),
            (Uri, "urn:oid:1..2"),
            (Xhtml, "plain text"),
        ] {
            assert!(p.check(t).is_err(), "{p:?} {t:?} should fail");
        }
    }
}
