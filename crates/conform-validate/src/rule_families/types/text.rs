//! Rules on the text of any primitive value: whitespace-only values and
//! strings with surrounding whitespace, control characters, unbalanced
//! Unicode bidirectional controls, whitespace in base64, implausible years,
//! the defining `url` of a canonical resource, and decimals with more
//! digits than implementations commonly hold.

use super::super::Report;
use super::scan;
use crate::finding::{rules, IssueCode, Severity};
use crate::primitive::{base64_has_whitespace, is_absolute_url, is_java_whitespace, Primitive};
use conform_json::NodeId;
use std::sync::OnceLock;

/// A value made only of whitespace: the reference warns and checks nothing
/// more of it (no format check). Returns whether that was the case.
pub(crate) fn whitespace_only(r: &mut impl Report, node: NodeId, path: &str, text: &str) -> bool {
    if text.is_empty() || !text.chars().all(is_java_whitespace) {
        return false;
    }
    let message = format!(
        "The value of {path} is only whitespace ({}): give real content, or omit the value",
        escaped(text)
    );
    warn(r, node, rules::STRING_WHITESPACE, message);
    true
}

/// The text rules of a value that is not only whitespace. `element` is the
/// element's definition path (`CodeSystem.url`); `raw` is the JSON string
/// as written (escapes not decoded), of which `text` is the decoded value.
pub(crate) fn check(
    r: &mut impl Report,
    node: NodeId,
    p: Primitive,
    element: &str,
    text: &str,
    raw: &str,
) {
    control_characters(r, node, element, text, raw);
    bidi(r, node, element, text);
    match p {
        Primitive::String
            if text.starts_with(is_java_whitespace) || text.ends_with(is_java_whitespace) =>
        {
            let message = format!(
                "The value of {element} starts or ends with whitespace ({}): trim it",
                escaped(text)
            );
            warn(r, node, rules::STRING_WHITESPACE, message);
        }
        Primitive::Base64Binary if base64_whitespace(text, raw) => {
            let message = format!("The base64 value of {element} contains whitespace (line breaks or spaces); RFC 4648 encodings should have none, though readers are asked to tolerate it");
            warn(r, node, rules::BASE64_WHITESPACE, message);
        }
        Primitive::Date | Primitive::DateTime | Primitive::Instant => {
            reasonable_year(r, node, element, text)
        }
        Primitive::Uri | Primitive::Url | Primitive::Canonical
            if is_defining_url(element) && !is_absolute_url(text) =>
        {
            let message = format!(
                "{element} is the canonical URL that identifies this resource, so it must be an absolute URL, not '{text}'"
            );
            r.report(
                Severity::Error,
                IssueCode::Invalid,
                rules::CANONICAL_URL,
                node,
                None,
                message,
            );
        }
        _ => {}
    }
}

/// Whether a base64 value holds whitespace ([`base64_has_whitespace`]).
/// JSON has no raw control characters, so a value written without escapes
/// can only hold the ASCII space among the ASCII whitespace.
fn base64_whitespace(text: &str, raw: &str) -> bool {
    if raw.len() == text.len() && !raw.contains('\\') && text.is_ascii() {
        memchr::memchr(b' ', text.as_bytes()).is_some()
    } else {
        base64_has_whitespace(text)
    }
}

/// Whether the JSON string `raw` (as written) decodes to `text` with a
/// character below U+0020 other than tab, line feed and carriage return.
/// JSON has no raw control characters, so only an escape writes one: `\b`,
/// `\f`, or a `\u00XX` below `\u0020` (a surrogate pair decodes above
/// U+FFFF, a lone surrogate to U+FFFD). Every escape is longer than what it
/// writes, so a value as long as its JSON text has none; otherwise the three
/// escapes are searched for (rare, where backslashes are not: narratives
/// escape every quote and line feed).
fn escapes_control(text: &str, raw: &str) -> bool {
    if raw.len() == text.len() {
        return false;
    }
    let bytes = raw.as_bytes();
    if written(bytes, b"\\b").next().is_some() || written(bytes, b"\\f").next().is_some() {
        return true;
    }
    written(bytes, b"\\u").any(|at| {
        raw.get(at + 2..at + 6)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .is_some_and(|c| c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d))
    })
}

/// Where the JSON text `raw` holds the escape `escape` (`\b`...): a
/// backslash begins an escape when an even number of backslashes (escaped
/// backslashes) precede it.
fn written<'r>(raw: &'r [u8], escape: &'static [u8]) -> impl Iterator<Item = usize> + 'r {
    memchr::memmem::find_iter(raw, escape)
        .filter(move |&at| raw[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0)
}

/// Characters below U+0020 other than tab, line feed and carriage return:
/// not representable in FHIR XML and never meaningful.
fn control_characters(r: &mut impl Report, node: NodeId, element: &str, text: &str, raw: &str) {
    if !escapes_control(text, raw) {
        return;
    }
    let mut bad: Vec<u32> = text
        .as_bytes()
        .iter()
        .filter(|&&b| scan::is_control(b))
        .map(|&b| b as u32)
        .collect();
    bad.sort_unstable();
    bad.dedup();
    let list: Vec<String> = bad.iter().map(|c| format!("U+{c:04X}")).collect();
    let message = format!(
        "The value of {element} contains the control character(s) {}, which FHIR XML cannot carry and which have no valid use in content",
        list.join(", ")
    );
    warn(r, node, rules::UNICODE_CONTROL, message);
}

const LRE: char = '\u{202a}';
const RLE: char = '\u{202b}';
const PDF: char = '\u{202c}';
const LRO: char = '\u{202d}';
const RLO: char = '\u{202e}';
const LRI: char = '\u{2066}';
const RLI: char = '\u{2067}';
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';
const LRM: char = '\u{200e}';
const RLM: char = '\u{200f}';
const ALM: char = '\u{061c}';

/// Bidirectional controls must be closed before the paragraph ends (the
/// "Trojan Source" concern, CVE-2021-42574). Tracked as the reference does:
/// overrides and marks are opened, PDF closes the last one if it is an
/// embedding, override or mark, PDI closes back to the last isolate, a line
/// feed resets.
fn bidi(r: &mut impl Report, node: NodeId, element: &str, text: &str) {
    // Every control is outside ASCII (a line feed alone changes nothing),
    // and is encoded with a lead byte of 0xE2 (U+200E to U+2069) or 0xD8
    // (U+061C): a byte scan rules most text out before decoding.
    if text.is_ascii()
        || memchr::memchr2(0xe2, 0xd8, text.as_bytes()).is_none()
        || !text.chars().any(
            |c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | LRM | RLM | ALM),
        )
    {
        return;
    }
    let embedding = |c: char| matches!(c, LRE | RLE | LRO | RLO | LRM | RLM | ALM);
    let mut open: Vec<(char, usize)> = Vec::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            '\n' => open.clear(),
            LRO | RLO | LRI | RLI | FSI | LRM | RLM | ALM => open.push((c, i)),
            PDF if open.last().is_some_and(|(o, _)| embedding(*o)) => {
                open.pop();
            }
            PDI if open.iter().any(|(o, _)| matches!(*o, LRI | RLI | FSI)) => {
                while let Some(&(o, _)) = open.last() {
                    if !(matches!(o, LRI | RLI | FSI) || embedding(o)) {
                        break;
                    }
                    open.pop();
                    if matches!(o, LRI | RLI | FSI) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(&(c, i)) = open.last() {
        let message = format!(
            "The value of {element} has a Unicode bidirectional control (U+{:04X}) at character {i} that is never closed, which can make displayed text differ from the stored text (CVE-2021-42574)",
            c as u32
        );
        warn(r, node, rules::UNICODE_BIDI, message);
    }
}

/// The current year, once a process.
fn this_year() -> i32 {
    static YEAR: OnceLock<i32> = OnceLock::new();
    *YEAR.get_or_init(|| {
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .year()
            .into()
    })
}

/// A year before 1800 or more than 80 years ahead is most likely a typing
/// error.
fn reasonable_year(r: &mut impl Report, node: NodeId, element: &str, text: &str) {
    let Some(year) = text.get(..4).and_then(|y| y.parse::<i32>().ok()) else {
        return;
    };
    if (1800..=this_year() + 80).contains(&year) {
        return;
    }
    let message = format!(
        "The value of {element} ('{text}') has the year {year}, outside the range of plausible years (1800 to 80 years from now): check for a data entry error"
    );
    warn(r, node, rules::DATE_REASONABLE, message);
}

/// `CodeSystem.url` and the like: the element that names a canonical
/// resource (not a reference to one).
fn is_defining_url(element: &str) -> bool {
    element
        .strip_suffix(".url")
        .is_some_and(|ty| crate::rule_families::CANONICAL_RESOURCES.contains(&ty))
}

/// A decimal with more than 18 digits, or an exponent of more than four
/// digits, is beyond what implementations commonly hold exactly. `text` is
/// the JSON number as written.
pub(crate) fn decimal_range(r: &mut impl Report, node: NodeId, element: &str, text: &str) {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let exponent_digits = exponent.bytes().filter(u8::is_ascii_digit).count();
    if digits <= 18 && exponent_digits <= 4 {
        return;
    }
    let message = format!(
        "The value of {element} ('{text}') is outside the range of decimals that implementations commonly support (at most 18 digits and a 4-digit exponent)"
    );
    r.report(
        Severity::Warning,
        IssueCode::Value,
        rules::DECIMAL_RANGE,
        node,
        None,
        message,
    );
}

/// The value with control characters and line breaks escaped, for a
/// message.
fn escaped(text: &str) -> String {
    text.escape_debug().to_string()
}

/// A warning of `rule` at the value itself (what most text rules report).
fn warn(r: &mut impl Report, node: NodeId, rule: &'static str, message: String) {
    r.report(
        Severity::Warning,
        IssueCode::Invalid,
        rule,
        node,
        None,
        message,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escape test on the JSON text agrees with a scan of the decoded
    /// value, and the base64 whitespace shortcut with the full test.
    #[test]
    fn escape_tests_agree_with_the_decoded_value() {
        let strings = [
            r#""plain""#,
            r#""tab\tline\nreturn\r""#,
            r#""bell\u0007""#,
            r#""\b""#,
            r#""\f""#,
            r#""\u001F\u001f""#,
            r#""\u0009\u000A\u000d""#,
            r#""\u0020\u00e9""#,
            r#""\\u0001 is not an escape""#,
            r#""\\\u0001""#,
            r#""\ud83d\ude00 \ud800""#,
            r#""\"quoted\" \/ slash""#,
            r#""QUJD REVG""#,
            r#""QUJD\nREVG""#,
            r#""QUJD\u00a0REVG""#,
            "\"QUJD\u{a0}REVG\"",
        ];
        for json in strings {
            let doc = conform_json::parse(json.as_bytes()).expect(json);
            let (text, raw) = (doc.str(doc.root()).unwrap(), doc.raw(doc.root()).unwrap());
            assert_eq!(
                escapes_control(&text, raw),
                text.bytes().any(scan::is_control),
                "{json}"
            );
            assert_eq!(
                base64_whitespace(&text, raw),
                base64_has_whitespace(&text),
                "{json}"
            );
        }
    }
}
