//! `encode`/`decode` (base64, urlbase64, hex) and `escape`/`unescape`
//! (html, json) for strings.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Applies the named function with `format` to `s`; `None` when the format
/// is unknown or the input does not decode.
pub(crate) fn apply(func: &str, format: &str, s: &str) -> Option<String> {
    match (func, format) {
        ("encode", "base64") => Some(b64_encode(s.as_bytes(), false)),
        ("encode", "urlbase64") => Some(b64_encode(s.as_bytes(), true)),
        ("encode", "hex") => Some(s.bytes().map(|b| format!("{b:02x}")).collect()),
        ("decode", "base64" | "urlbase64") => String::from_utf8(b64_decode(s)?).ok(),
        ("decode", "hex") => {
            if !s.len().is_multiple_of(2) || !s.is_ascii() {
                return None;
            }
            let bytes: Option<Vec<u8>> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
                .collect();
            String::from_utf8(bytes?).ok()
        }
        ("escape", "html") => Some(
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;"),
        ),
        ("unescape", "html") => Some(
            s.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        ),
        ("escape", "json") => Some(s.replace('\\', "\\\\").replace('"', "\\\"")),
        ("unescape", "json") => Some(s.replace("\\\"", "\"").replace("\\\\", "\\")),
        _ => None,
    }
}

fn b64_encode(b: &[u8], url: bool) -> String {
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, x)| acc | (*x as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                let c = B64[(n >> (18 - 6 * i) & 63) as usize] as char;
                out.push(match (url, c) {
                    (true, '+') => '-',
                    (true, '/') => '_',
                    (_, c) => c,
                });
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'-' => 62,
            b'_' => 63,
            c => B64.iter().position(|x| *x == c)? as u32,
        };
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}
