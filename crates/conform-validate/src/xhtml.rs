//! Narrative XHTML checks (the R4 invariants `txt-1` and `txt-2`, and what
//! the reference validator checks of `Narrative.div`): well-formed XML, the
//! XHTML namespace on the root `div`, only the basic formatting elements,
//! no scripting, no HTML-only entities, and some content.

/// Elements `txt-1` allows (sorted, for binary search): the basic formatting elements of HTML 4.0
/// chapters 7-11 and 15, plus `a`, images and tables.
const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "area",
    "b",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "map",
    "ol",
    "p",
    "pre",
    "q",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
    "var",
];

const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Where each first letter's names start in [`ALLOWED_ELEMENTS`] (entry
/// `c - b'a'`, and the next entry is where they end), so a lookup compares
/// a tag with the few names sharing its first letter (a binary search over
/// the whole list was 7% of validation time on the R4 examples).
const BY_FIRST_LETTER: [u8; 27] = {
    let mut starts = [0u8; 27];
    let mut letter = 0;
    while letter < 27 {
        let mut i = 0;
        while i < ALLOWED_ELEMENTS.len() && ALLOWED_ELEMENTS[i].as_bytes()[0] < b'a' + letter as u8
        {
            i += 1;
        }
        starts[letter] = i as u8;
        letter += 1;
    }
    starts
};

/// Whether `local` is one of [`ALLOWED_ELEMENTS`].
fn is_allowed_element(local: &str) -> bool {
    let Some(letter) = local.bytes().next().and_then(|c| c.checked_sub(b'a')) else {
        return false;
    };
    if letter >= 26 {
        return false;
    }
    let (from, to) = (
        BY_FIRST_LETTER[letter as usize] as usize,
        BY_FIRST_LETTER[letter as usize + 1] as usize,
    );
    ALLOWED_ELEMENTS[from..to].contains(&local)
}

/// Whether a text run is only whitespace (`str::trim` leaves nothing),
/// answered for ASCII runs (most are indentation) without decoding.
fn is_blank(run: &str) -> bool {
    run.bytes().all(|b| matches!(b, b' ' | b'\t'..=b'\r')) || run.trim().is_empty()
}

/// The first problem found, as a sentence, or `Ok`.
pub fn check(text: &str) -> Result<(), String> {
    let mut p = Scanner {
        s: text.as_bytes(),
        i: 0,
        text,
    };
    p.skip_ws();
    let mut stack: Vec<&str> = Vec::new();
    let mut content = false;
    let mut root_seen = false;
    while p.i < p.s.len() {
        if p.s[p.i] == b'<' {
            if p.starts_with("<!--") {
                p.skip_past("-->")
                    .ok_or("unterminated comment in the XHTML")?;
                continue;
            }
            if p.starts_with("</") {
                p.i += 2;
                let name = p.name();
                p.skip_ws();
                if p.next() != Some(b'>') {
                    return Err(format!("malformed closing tag </{name}> in the XHTML"));
                }
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => {
                        return Err(format!("the XHTML closes </{name}> where <{open}> is open"))
                    }
                    None => {
                        return Err(format!("the XHTML closes </{name}> that was never opened"))
                    }
                }
                continue;
            }
            if p.starts_with("<!") || p.starts_with("<?") {
                return Err(
                    "the XHTML must not contain declarations or processing instructions".into(),
                );
            }
            if root_seen && stack.is_empty() {
                return Err("the narrative must be a single <div> element".into());
            }
            p.i += 1;
            let name = p.name();
            if name.is_empty() {
                return Err("malformed tag in the XHTML".into());
            }
            let local = match name.bytes().rposition(|c| c == b':') {
                Some(colon) => &name[colon + 1..],
                None => name,
            };
            if !is_allowed_element(local) {
                return Err(format!(
                    "the element <{name}> is not allowed in narrative XHTML (txt-1)"
                ));
            }
            if stack.is_empty() && local != "div" {
                return Err(format!(
                    "the narrative's root element must be <div>, not <{name}>"
                ));
            }
            let mut has_ns = false;
            loop {
                p.skip_ws();
                match p.peek() {
                    Some(b'/') => {
                        p.i += 1;
                        if p.next() != Some(b'>') {
                            return Err(format!("malformed tag <{name}> in the XHTML"));
                        }
                        if local == "img" {
                            content = true;
                        }
                        break;
                    }
                    Some(b'>') => {
                        p.i += 1;
                        stack.push(name);
                        break;
                    }
                    Some(_) => {
                        let attr = p.name();
                        if attr.is_empty() {
                            return Err(format!("malformed attribute in <{name}>"));
                        }
                        p.skip_ws();
                        if p.next() != Some(b'=') {
                            return Err(format!("attribute {attr} in <{name}> has no value"));
                        }
                        p.skip_ws();
                        let value = p
                            .quoted()
                            .ok_or_else(|| format!("attribute {attr} in <{name}> is not quoted"))?;
                        check_entities(value)?;
                        if attr.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("on")) {
                            return Err(format!("the event attribute {attr} is not allowed in narrative XHTML (scripting)"));
                        }
                        if value
                            .trim_start()
                            .get(..11)
                            .is_some_and(|p| p.eq_ignore_ascii_case("javascript:"))
                        {
                            return Err(format!(
                                "a javascript: URL in {attr} is not allowed in narrative XHTML"
                            ));
                        }
                        if attr == "xmlns" {
                            if value != XHTML_NS {
                                return Err(format!("wrong namespace on the XHTML ('{value}', should be '{XHTML_NS}')"));
                            }
                            has_ns = true;
                        }
                        if local == "img" && attr == "src" {
                            content = true;
                        }
                    }
                    None => return Err(format!("unterminated tag <{name}> in the XHTML")),
                }
            }
            if !root_seen {
                root_seen = true;
                if !has_ns {
                    return Err(format!(
                        "wrong namespace on the XHTML (none, should be '{XHTML_NS}')"
                    ));
                }
            }
        } else {
            // a run of text, up to the next tag, its entities checked on
            // the way: one pass (`&`, `;` and `<` are ASCII, so each stop
            // is on a character boundary)
            let start = p.i;
            let mut i = start;
            loop {
                match memchr::memchr2(b'<', b'&', &p.s[i..]) {
                    Some(at) if p.s[i + at] == b'&' => {
                        let amp = i + at;
                        let semi = match memchr::memchr2(b';', b'<', &p.s[amp + 1..]) {
                            Some(k) if p.s[amp + 1 + k] == b';' => amp + 1 + k,
                            _ => return Err(BARE_AMPERSAND.into()),
                        };
                        check_entity(&p.text[amp + 1..semi])?;
                        i = semi + 1;
                    }
                    Some(at) => {
                        i += at;
                        break;
                    }
                    None => {
                        i = p.s.len();
                        break;
                    }
                }
            }
            p.i = i;
            let run = &p.text[start..p.i];
            if stack.is_empty() {
                if !is_blank(run) {
                    return Err("text outside the narrative's <div>".into());
                }
            } else if !content && !is_blank(run) {
                content = true;
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("the XHTML ends with <{open}> still open"));
    }
    if !root_seen {
        return Err("the narrative must be a <div> element".into());
    }
    if !content {
        return Err("the narrative SHALL have some non-whitespace content (txt-2)".into());
    }
    Ok(())
}

/// Only XML's own entities and character references: HTML names such as
/// `&nbsp;` are not defined in XHTML without a DTD.
fn check_entities(s: &str) -> Result<(), String> {
    // `&` and `;` are ASCII, so byte searches (vectorised) land on
    // character boundaries; most values have no `&` at all
    let mut rest = s;
    while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
        rest = &rest[i + 1..];
        let end = memchr::memchr(b';', rest.as_bytes()).ok_or(BARE_AMPERSAND)?;
        check_entity(&rest[..end])?;
        rest = &rest[end + 1..];
    }
    Ok(())
}

const BARE_AMPERSAND: &str = "a bare '&' in the XHTML (write &amp;)";

/// The name between `&` and `;`: one of XML's own entities or a character
/// reference.
fn check_entity(name: &str) -> Result<(), String> {
    let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
        || name
            .strip_prefix("#x")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
        || name
            .strip_prefix('#')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid entity in the XHTML ('&{name};')"))
    }
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }
    fn starts_with(&self, p: &str) -> bool {
        self.s[self.i..].starts_with(p.as_bytes())
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn skip_past(&mut self, end: &str) -> Option<()> {
        let at = self.text[self.i..].find(end)?;
        self.i += at + end.len();
        Some(())
    }
    fn name(&mut self) -> &'a str {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_' | b'.'))
        {
            self.i += 1;
        }
        &self.text[start..self.i]
    }
    fn quoted(&mut self) -> Option<&'a str> {
        let q = self.next().filter(|&c| c == b'"' || c == b'\'')?;
        let start = self.i;
        while self.peek()? != q {
            self.i += 1;
        }
        let v = &self.text[start..self.i];
        self.i += 1;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::{check, check_entities, is_allowed_element, is_blank, ALLOWED_ELEMENTS};

    #[test]
    fn allowed_elements_are_sorted_for_binary_search() {
        assert!(ALLOWED_ELEMENTS.windows(2).all(|w| w[0] < w[1]));
        // The lookup by first letter answers as a search of the whole list,
        // for every name and names one edit away from one.
        for name in ALLOWED_ELEMENTS {
            let mut near = vec![name.to_string(), format!("{name}x"), format!("x{name}")];
            near.push(name[1..].to_string());
            near.push(name[..name.len() - 1].to_string());
            near.push(name.to_ascii_uppercase());
            for n in near {
                assert_eq!(
                    is_allowed_element(&n),
                    ALLOWED_ELEMENTS.binary_search(&n.as_str()).is_ok(),
                    "{n}"
                );
            }
        }
        for n in ["", "z", "{", "`", "div2", "é"] {
            assert_eq!(
                is_allowed_element(n),
                ALLOWED_ELEMENTS.binary_search(&n).is_ok(),
                "{n}"
            );
        }
    }

    #[test]
    fn blank_runs_are_what_trim_empties() {
        for run in [
            "",
            " ",
            "\n\t  ",
            "\u{b}\u{c}",
            "\u{a0}",
            " \u{2003}x",
            "x",
            " \r\n y",
        ] {
            assert_eq!(is_blank(run), run.trim().is_empty(), "{run:?}");
        }
    }

    const NS: &str = "xmlns=\"http://www.w3.org/1999/xhtml\"";

    #[test]
    fn accepts_ordinary_narrative() {
        for div in [
            format!("<div {NS}><p>Jane <b>Smith</b> &amp; co &#169;</p><br/><table><tr><td>x</td></tr></table></div>"),
            format!("<div {NS}><img src=\"x.png\"/></div>"),
            format!("<div {NS}><!-- note --><a href=\"#x\">y</a></div>"),
        ] {
            assert_eq!(check(&div), Ok(()), "{div}");
        }
    }

    /// A run of text is checked for entities as it is scanned; the answer
    /// must be the one the value checker gives the same text, and a `;`
    /// after the next tag does not end an entity.
    #[test]
    fn entities_in_text_are_judged_as_in_attribute_values() {
        for run in [
            "a &amp; b",
            "&#x41;&#65;&lt;&gt;&quot;&apos;",
            "a & b",
            "&nbsp;",
            "tail &amp",
            "&#x;",
            "&#12a;",
            "plain text, no entity",
            "&amp;&bogus;&amp;",
        ] {
            let div = format!("<div {NS}>x{run}</div>");
            let attr = format!("<div {NS}><p title=\"{run}\">x</p></div>");
            assert_eq!(check(&div).is_ok(), check_entities(run).is_ok(), "{run}");
            assert_eq!(check(&div), check(&attr), "{run}");
        }
        let e = check(&format!("<div {NS}>a &amp<b>;</b></div>")).unwrap_err();
        assert!(e.contains("bare"), "{e}");
    }

    #[test]
    fn rejects_unsafe_or_malformed_narrative() {
        for (div, why) in [
            (format!("<div {NS}><script>x</script></div>"), "<script>"),
            (
                format!("<div {NS}><p onclick=\"x()\">a</p></div>"),
                "onclick",
            ),
            (format!("<div {NS}>&reg;</div>"), "&reg;"),
            ("<div>text</div>".to_string(), "namespace"),
            (format!("<div {NS}><p>a</div>"), "closes"),
            (format!("<div {NS}>  </div>"), "txt-2"),
            (format!("<p {NS}>a</p>"), "root"),
        ] {
            let e = check(&div).unwrap_err();
            assert!(e.contains(why), "{div}: {e}");
        }
    }
}
