//! Lexical checks for FHIR primitive types, hand-written from the regular
//! expressions in the R4 primitive type definitions so the hot path never runs
//! a regex engine. Each check returns `Err(reason)` with a sentence for the
//! finding.

use crate::rule_families::types::scan;
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

/// The most a FHIR string may hold (the R4 `string.value` maxLength), in
/// UTF-16 code units as the reference validator counts them.
const MAX_STRING_UNITS: usize = 1024 * 1024;

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
            // A value that is only whitespace is a warning, decided before
            // this check (`rule_families::types`); markdown has no limit.
            Primitive::String => {
                if text.len() > MAX_STRING_UNITS && text.encode_utf16().count() > MAX_STRING_UNITS {
                    Err(
                        "is longer than the 1 MB (1,048,576 characters) FHIR allows for a string"
                            .into(),
                    )
                } else {
                    Ok(())
                }
            }
            Primitive::Markdown => Ok(()),
            Primitive::Code => check_code(text),
            Primitive::Id => check_id(text),
            Primitive::Uri
            | Primitive::Url
            | Primitive::Canonical
            | Primitive::Oid
            | Primitive::Uuid => check_uri(self, text),
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
    // [^\s]+(\s[^\s]+)* as the reference applies it: no leading or trailing
    // whitespace, and inside only single spaces (no tabs or line breaks).
    let mut last_space = true;
    let mut ok = !text.is_empty() && !text.chars().next_back().is_some_and(is_java_whitespace);
    for c in text.chars() {
        if c == ' ' {
            ok &= !last_space;
            last_space = true;
        } else if is_java_whitespace(c) {
            ok = false;
        } else {
            last_space = false;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a valid code: '{text}' has leading, trailing or repeated whitespace, or whitespace other than single spaces"
        ))
    }
}

/// Whitespace as the reference validator counts it (its `Utilities`): ASCII
/// space and tab to carriage return, and the Unicode space separators.
#[inline]
pub(crate) fn is_java_whitespace(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || ('\t'..='\r').contains(&c);
    }
    matches!(
        c,
        ' ' | '\t'..='\r'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
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

/// The URI family (uri, url, canonical, oid, uuid), as the reference
/// validator checks them: no `oid:`/`uuid:` scheme (they are `urn:oid:` and
/// `urn:uuid:`), no spaces, an oid or uuid in its `urn:` form, a canonical
/// absolute or a `#` fragment, and what follows `urn:uuid:` or `urn:oid:`
/// well formed.
fn check_uri(p: Primitive, text: &str) -> Result<(), String> {
    if text.starts_with("oid:") {
        return Err(format!(
            "is not a valid URI: '{text}' starts with 'oid:', which is not a URI scheme (write urn:oid:)"
        ));
    }
    if text.starts_with("uuid:") {
        return Err(format!(
            "is not a valid URI: '{text}' starts with 'uuid:', which is not a URI scheme (write urn:uuid:)"
        ));
    }
    if text.contains(' ')
        || text.starts_with(is_java_whitespace)
        || text.ends_with(is_java_whitespace)
    {
        return Err(format!("is not a valid URI: '{text}' contains whitespace"));
    }
    if p == Primitive::Oid && !text.starts_with("urn:oid:") {
        return Err(format!(
            "is not a valid OID: '{text}' (an oid is written urn:oid:1.2.3...)"
        ));
    }
    if p == Primitive::Uuid && !text.starts_with("urn:uuid:") {
        return Err(format!(
            "is not a valid UUID: '{text}' (a uuid is written urn:uuid: and 36 lower-case hex characters)"
        ));
    }
    if p == Primitive::Canonical && !text.starts_with('#') && !is_absolute_url(text) {
        return Err(format!(
            "is not a valid canonical: '{text}' is neither an absolute URL nor a '#' reference to a contained resource"
        ));
    }
    if let Some(rest) = text.strip_prefix("urn:uuid:") {
        let mut u = rest.split('#').next().unwrap_or(rest);
        if p == Primitive::Canonical {
            if let Some(bar) = u.rfind('|') {
                u = &u[..bar];
            }
        }
        if !is_uuid(u) {
            return Err(format!(
                "is not a valid UUID: '{u}' (expected 36 lower-case hex characters and hyphens, 8-4-4-4-12)"
            ));
        }
    }
    if let Some(rest) = text.strip_prefix("urn:oid:") {
        let mut oid = rest;
        if p == Primitive::Canonical {
            oid = oid.split('|').next().unwrap_or(oid);
        }
        // Roots shorter than four characters are almost never registration
        // namespaces, except under 1.3 (the reference's own heuristic).
        let namespace = oid.rfind('.').is_some_and(|i| i >= 4) || oid.starts_with("1.3");
        if !is_oid(oid) || !namespace {
            return Err(format!(
                "is not a valid OID: '{oid}' (expected arcs of digits such as 2.16.840.1.113883, starting 0, 1 or 2)"
            ));
        }
    }
    Ok(())
}

/// The reference validator's absolute URL: a lower-case scheme of letters,
/// digits, `_`, `[` and `]` (starting with a letter), then something without
/// spaces.
pub(crate) fn is_absolute_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let token = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '[' | ']'));
    (token || matches!(scheme, "http" | "https" | "urn")) && !rest.is_empty() && !rest.contains(' ')
}

fn is_uuid(u: &str) -> bool {
    u.len() == 36
        && u.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// `0`, `1` or `2`, then at least one more arc, each `0` or digits without
/// a leading zero.
fn is_oid(oid: &str) -> bool {
    let mut parts = oid.split('.');
    let first_ok = matches!(parts.next(), Some("0" | "1" | "2"));
    let mut n = 0;
    let rest_ok = parts.all(|p| {
        n += 1;
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    });
    first_ok && rest_ok && n >= 1
}

/// base64Binary as the reference validator judges it: whitespace is skipped
/// (it is a warning, [`base64_has_whitespace`]), letters, digits, `+`, `/`
/// and `=` are counted, and the count must be a multiple of 4. Other
/// characters are not counted; decoding (for an Attachment's size and hash)
/// is stricter.
fn check_base64(text: &str) -> Result<(), String> {
    let n = if text.is_ascii() {
        scan::count_bytes(text.as_bytes(), scan::is_base64_char)
    } else {
        text.chars()
            .filter(|c| !is_java_whitespace(*c))
            .filter(|c| c.is_alphanumeric() || matches!(c, '+' | '/' | '='))
            .count()
    };
    if n.is_multiple_of(4) {
        Ok(())
    } else {
        Err(format!(
            "is not valid base64: it has {n} base64 characters, which is not a multiple of 4"
        ))
    }
}

/// Whether a base64 value holds whitespace (RFC 4648 allows none).
pub(crate) fn base64_has_whitespace(text: &str) -> bool {
    if text.is_ascii() {
        scan::any_byte(text.as_bytes(), scan::is_ascii_java_whitespace)
    } else {
        text.chars().any(is_java_whitespace)
    }
}

fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let d = b.get(at..at + 2)?;
    d.iter()
        .all(u8::is_ascii_digit)
        .then(|| (d[0] - b'0') as u32 * 10 + (d[1] - b'0') as u32)
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` at the start; returns its length.
/// Year 0000 is only allowed in an instant (as in the reference's patterns).
fn date_prefix(b: &[u8], zero_year: bool) -> Option<usize> {
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year: u32 = std::str::from_utf8(&b[..4]).ok()?.parse().ok()?;
    if year == 0 && !zero_year {
        return None;
    }
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
    match date_prefix(text.as_bytes(), false) {
        Some(n) if n == text.len() => Ok(n),
        _ => Err(format!(
            "is not a valid date: '{text}' (expected YYYY, YYYY-MM or YYYY-MM-DD)"
        )),
    }
}

/// `hh:mm:ss` with optional fraction (not allowed in a `time`: the
/// reference's pattern for it has none); returns the length consumed.
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
        Some(8) if text.len() == 8 => Ok(()),
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
    let Some(d) = date_prefix(b, instant) else {
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
    if zone.is_empty() && !instant {
        return Err(format!(
            "is not a valid dateTime: '{text}' gives a time, so it must also give a time zone (Z or +hh:mm)"
        ));
    }
    // Z, or an offset from -13:59 to +13:59, or exactly 14:00.
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && (zone[0] == b'+' || zone[0] == b'-')
            && zone[3] == b':'
            && match (two_digits(zone, 1), two_digits(zone, 4)) {
                (Some(h), Some(m)) => (h <= 13 && m <= 59) || (h == 14 && m == 0),
                _ => false,
            });
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
            (DateTime, "2015-02-07T13:28:17+14:00"),
            (Canonical, "http://x/y|1.0"),
            (Canonical, "#contained"),
            (Oid, "urn:oid:1.3.6"),
            (Uri, "urn:uuid:c757873d-ec9a-4326-a141-556f43239520#frag"),
            (Code, "a b c"),
            (Base64Binary, "aGVs bG8="),
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
            (Base64Binary, "aGVsbG8"),
            (DateTime, "0000-01-01"),
            (DateTime, "2015-02-07T13:28:17+14:30"),
            (Time, "13:28:17.5"),
            (Code, "a\tb"),
            (Uri, "oid:1.2.3"),
            (Uri, "uuid:c757873d-ec9a-4326-a141-556f43239520"),
            (Uri, "urn:oid:1.2.3"),
            (Canonical, "StructureDefinition/x"),
            (Oid, "1.2.3.4.5"),
            (Code, " a"),
            (Code, "a  b"),
            (Uri, "a b"),
            (Uri, "urn:uuid:not-a-uuid"),
            (Uri, "urn:oid:1..2"),
            (Xhtml, "plain text"),
        ] {
            assert!(p.check(t).is_err(), "{p:?} {t:?} should fail");
        }
    }
}
