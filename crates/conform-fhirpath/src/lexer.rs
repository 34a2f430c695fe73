//! Tokeniser: turns expression text into tokens with byte positions, so parse
//! errors can point at the offending character.

use crate::error::ParseError;

/// One token kind. Literal text is kept raw; the parser interprets it.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A plain or backquoted identifier (backquotes removed, escapes decoded).
    Ident(String, bool),
    /// A string literal, escapes decoded.
    Str(String),
    /// A number literal's text (integer or decimal).
    Number(String),
    /// A long number literal (`10L`), text without the suffix.
    Long(String),
    /// `@...` date/time literal text without the `@`.
    DateTime(String),
    /// `%name`, `%\`name\``, or `%'name'`.
    Env(String),
    /// `$this`, `$index`, `$total`.
    Special(String),
    /// Punctuation or operator symbol.
    Sym(&'static str),
    Eof,
}

/// A token and where it starts.
#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const SYMS: [&str; 22] = [
    "<=", ">=", "!=", "!~", "(", ")", "[", "]", "{", "}", ".", ",", "+", "-", "*", "/", "&", "|",
    "=", "~", "<", ">",
];

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if src[i..].starts_with("/*") {
            match src[i + 2..].find("*/") {
                Some(e) => i += e + 4,
                None => return Err(ParseError::new(i, "unterminated comment")),
            }
            continue;
        }
        let start = i;
        let tok = if c == b'\'' {
            let (s, n) = quoted(src, i, b'\'')?;
            i = n;
            Tok::Str(s)
        } else if c == b'`' {
            let (s, n) = quoted(src, i, b'`')?;
            i = n;
            Tok::Ident(s, true)
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                j += 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let text = src[i..j].to_string();
            if j < b.len() && b[j] == b'L' {
                i = j + 1;
                Tok::Long(text)
            } else {
                i = j;
                Tok::Number(text)
            }
        } else if c == b'@' {
            let mut j = i + 1;
            // a '.' belongs to the literal only as a fraction of seconds, so
            // `@2015.is(Date)` still invokes a function
            while j < b.len()
                && (b[j].is_ascii_alphanumeric()
                    || b"-:+".contains(&b[j])
                    || (b[j] == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit)))
            {
                j += 1;
            }
            let text = src[i + 1..j].to_string();
            i = j;
            Tok::DateTime(text)
        } else if c == b'%' {
            i += 1;
            if i < b.len() && (b[i] == b'`' || b[i] == b'\'') {
                let (s, n) = quoted(src, i, b[i])?;
                i = n;
                Tok::Env(s)
            } else {
                let j = ident_end(b, i);
                if j == i {
                    return Err(ParseError::new(start, "expected a name after '%'"));
                }
                let s = src[i..j].to_string();
                i = j;
                Tok::Env(s)
            }
        } else if c == b'$' {
            let j = ident_end(b, i + 1);
            let s = src[i + 1..j].to_string();
            i = j;
            Tok::Special(s)
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let j = ident_end(b, i);
            let s = src[i..j].to_string();
            i = j;
            Tok::Ident(s, false)
        } else if let Some(s) = SYMS.iter().find(|s| src[i..].starts_with(**s)) {
            i += s.len();
            Tok::Sym(s)
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(ParseError::new(i, format!("unexpected character '{ch}'")));
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
    });
    Ok(out)
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// Reads a quoted string or identifier starting at the quote; returns the
/// decoded text and the index after the closing quote.
fn quoted(src: &str, start: usize, q: u8) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut it = src[start + 1..].char_indices();
    while let Some((k, ch)) = it.next() {
        if ch as u32 == q as u32 {
            return Ok((out, start + 1 + k + 1));
        }
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some((_, e)) = it.next() else { break };
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            '\\' | '/' | '\'' | '"' | '`' => out.push(e),
            'u' => {
                let hex: String = it.by_ref().take(4).map(|(_, c)| c).collect();
                let cp = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| ParseError::new(start, "invalid \\u escape"))?;
                out.push(cp);
            }
            _ => return Err(ParseError::new(start, format!("invalid escape '\\{e}'"))),
        }
    }
    Err(ParseError::new(start, "unterminated string"))
}

/// The parts of FHIRPath text between `separator`s outside parentheses,
/// brackets and quoted strings or identifiers: the branches of a union
/// (`|`), the steps of a path (`.`, where `extension('http://a.b')` is
/// one step). Text is split, not parsed: a part need not be valid.
pub fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '`' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, c) if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod split_tests {
    use super::split_top_level;

    #[test]
    fn splits_only_outside_brackets_and_quotes() {
        assert_eq!(
            split_top_level("extension('http://a.b').value[x].code", '.'),
            ["extension('http://a.b')", "value[x]", "code"]
        );
        assert_eq!(
            split_top_level("a | b.where(c | d) | 'e|f'", '|'),
            ["a ", " b.where(c | d) ", " 'e|f'"]
        );
    }
}
