//! Resource-wide rules: a resource's security labels are a set (R4 §2.3.0.1
//! "Security Labels": a label is a system and code), so one given twice is
//! an error; and a resource that states its `language` should say it in
//! its narrative too, with both `lang` and `xml:lang` on the `div` (R4
//! §2.4.0.3, W3C's language declarations), warnings as in the reference.

use crate::finding::{rules, IssueCode};
use crate::walk::{Seg, Walker};
use conform_json::NodeId;

impl Walker<'_> {
    /// With `no-experimental-content`, a resource marked experimental (a
    /// conformance resource: `experimental` is theirs) is an error, as the
    /// reference's `-no-experimental-content` makes it.
    pub(crate) fn experimental_content(&mut self, resource: NodeId) {
        if !self.options.no_experimental_content {
            return;
        }
        let doc = self.doc;
        let Some(flag) = doc.get(resource, "experimental") else {
            return;
        };
        if doc.bool(flag) == Some(true) {
            self.path.push(Seg::Name("experimental"));
            let message = "The resource is marked experimental, and experimental content is not allowed here (no-experimental-content)".to_string();
            self.error(
                IssueCode::BusinessRule,
                rules::EXPERIMENTAL_CONTENT,
                flag,
                message,
            );
            self.path.pop();
        }
    }

    /// The narrative's language against the resource's `language`.
    pub(crate) fn narrative_language(&mut self, resource: NodeId) {
        let doc = self.doc;
        let Some(language) = doc.get_str(resource, "language") else {
            return;
        };
        let Some(div_node) = doc.get(resource, "text").and_then(|t| doc.get(t, "div")) else {
            return;
        };
        let Some(div) = doc.str(div_node) else { return };
        let (lang, xml_lang) = declared_languages(&div);
        let problem = match (&lang, &xml_lang) {
            (None, None) => Some(format!("The resource's language is '{language}', but its narrative declares none: give the div both lang and xml:lang")),
            (None, Some(_)) => Some("The narrative's div has xml:lang but no lang: give both".to_string()),
            (Some(_), None) => Some("The narrative's div has lang but no xml:lang: give both".to_string()),
            (Some(l), _) if *l != *language => Some(format!("The resource's language is '{language}', but its narrative's lang is '{l}'")),
            (Some(l), Some(x)) if *x != *language && x != l => Some(format!("The resource's language is '{language}', but its narrative's xml:lang is '{x}'")),
            _ => None,
        };
        if let Some(message) = problem {
            self.path.extend([Seg::Name("text"), Seg::Name("div")]);
            crate::rule_families::Report::report(
                self,
                crate::finding::Severity::Warning,
                IssueCode::BusinessRule,
                rules::NARRATIVE_LANGUAGE,
                div_node,
                None,
                message,
            );
            self.path.truncate(self.path.len() - 2);
        }
    }

    pub(crate) fn security_labels(&mut self, resource: NodeId) {
        let doc = self.doc;
        let Some(labels) = doc
            .get(resource, "meta")
            .and_then(|m| doc.get(m, "security"))
            .map(|s| doc.elements(s))
            .filter(|l| l.len() > 1)
        else {
            return;
        };
        let mut seen: Vec<(Option<String>, Option<String>)> = Vec::with_capacity(labels.len());
        for (i, &label) in labels.iter().enumerate() {
            let key = (
                doc.get_str(label, "system").map(|s| s.into_owned()),
                doc.get_str(label, "code").map(|s| s.into_owned()),
            );
            if key.1.is_some() && seen.contains(&key) {
                let message = format!(
                    "The security label {}#{} is given twice: a resource's labels are a set",
                    key.0.as_deref().unwrap_or_default(),
                    key.1.as_deref().unwrap_or_default()
                );
                self.path.extend([
                    Seg::Name("meta"),
                    Seg::Name("security"),
                    Seg::Index(i as u32),
                ]);
                self.error(
                    IssueCode::BusinessRule,
                    rules::SECURITY_LABEL_DUPLICATE,
                    label,
                    message,
                );
                self.path.truncate(self.path.len() - 3);
            }
            seen.push(key);
        }
    }
}

/// The `lang` and `xml:lang` of a narrative: the div's own, or, when it has
/// neither and opens with a `div` that has one, that inner div's (a
/// narrative given in several languages, one div each).
fn declared_languages(div: &str) -> (Option<String>, Option<String>) {
    let Some((root, rest)) = opening_tag(div) else {
        return (None, None);
    };
    let own = (attribute(root, "lang"), attribute(root, "xml:lang"));
    if own.0.is_some() || own.1.is_some() {
        return own;
    }
    match opening_tag(rest.trim_start()) {
        Some((inner, _)) if inner.starts_with("<div") => {
            (attribute(inner, "lang"), attribute(inner, "xml:lang"))
        }
        _ => own,
    }
}

/// The first tag of `text` (from `<` to `>`), and what follows it.
fn opening_tag(text: &str) -> Option<(&str, &str)> {
    let start = text.find('<')?;
    let end = start + text[start..].find('>')?;
    Some((&text[start..=end], &text[end + 1..]))
}

/// An attribute's value in a tag (`name="v"` or `name='v'`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = rest[i + name.len()..].trim_start();
        rest = &rest[i + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &value[1..];
        return value.find(quote).map(|end| value[..end].to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_read_from_the_div_or_its_first_inner_div() {
        let both =
            r#"<div xmlns="http://www.w3.org/1999/xhtml" lang="en-GB" xml:lang="en-GB">x</div>"#;
        assert_eq!(
            declared_languages(both),
            (Some("en-GB".into()), Some("en-GB".into()))
        );
        let inner = r#"<div xmlns="http://www.w3.org/1999/xhtml"> <div lang='cy' xml:lang='cy'>x</div></div>"#;
        assert_eq!(
            declared_languages(inner),
            (Some("cy".into()), Some("cy".into()))
        );
        assert_eq!(
            declared_languages("<div xmlns=\"x\">plain</div>"),
            (None, None)
        );
        // `xml:lang` is not `lang`
        assert_eq!(attribute(r#"<div xml:lang="fr">"#, "lang"), None);
    }
}
