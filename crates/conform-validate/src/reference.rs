//! The one parser of FHIR literal references (`Reference.reference`, and
//! the same shapes in HTTP `Location` headers): what a reference text says,
//! read once, so the walk, the profile checker, the Questionnaire checks,
//! `resolve()` and the endpoint commands agree on it.
//!
//! The forms (FHIR R4 §2.3.0.2, "Literal references"):
//!
//! | text | [`Reference`] |
//! |---|---|
//! | `Patient/123`, `Patient/123/_history/2` | [`Reference::Relative`] |
//! | `https://server/fhir/Patient/123[/_history/2]` | [`Reference::Absolute`] with a [`ResourceRef`] |
//! | `https://cdn.example.org/scan.pdf` | [`Reference::Absolute`] without one |
//! | `Patient?identifier=x` | [`Reference::Conditional`] |
//! | `#p1`, `#` (the container) | [`Reference::Contained`] |
//! | `urn:uuid:…`, `urn:oid:…` | [`Reference::Urn`] |
//!
//! Parsing is syntax only: a type segment must look like a type name
//! (`Patient`, not `patient`), but whether it names a resource type of the
//! loaded packages is the caller's question, because only the caller holds
//! the definitions. Absolute URLs are parsed with the `url` crate.

use std::borrow::Cow;
use std::fmt;
use url::Url;

/// A literal reference, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    /// `#id`: a resource contained in the referring one; an empty id (`#`)
    /// is the containing resource itself.
    Contained(&'a str),
    /// `urn:uuid:…` or `urn:oid:…` (the whole text): names a resource in
    /// the same Bundle by its `fullUrl`; it says nothing of the type.
    Urn(&'a str),
    /// `Type/id` or `Type/id/_history/version`, relative to the server's
    /// base.
    Relative(ResourceRef<'a>),
    /// An absolute URL; `resource` when its path ends with
    /// `Type/id[/_history/version]` (a RESTful FHIR base before it).
    Absolute {
        url: Url,
        resource: Option<ResourceRef<'static>>,
    },
    /// `Type?search`: a conditional reference (in transactions).
    Conditional {
        resource_type: &'a str,
        query: &'a str,
    },
}

/// The type, id and version a reference names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef<'a> {
    pub resource_type: Cow<'a, str>,
    pub id: Cow<'a, str>,
    /// The version of `/_history/version`.
    pub version: Option<Cow<'a, str>>,
}

/// Why a text is not a literal reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceError {
    /// Not one of the forms at all.
    Shape,
    /// The type segment of a relative or conditional reference is not a
    /// type name.
    NotAType(String),
    /// A conditional reference (`Type?search`) whose part before `?` is
    /// not a type name.
    ConditionalType(String),
    /// The query of a conditional reference is not `name=value` pairs
    /// joined by `&`.
    InvalidQuery(String),
    /// The id segment is not a FHIR id (`[A-Za-z0-9\-\.]{1,64}`).
    InvalidId(String),
    /// Looks absolute (`scheme://`) but is not a URL.
    InvalidUrl(String),
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::Shape => f.write_str(
                "expected Type/id, Type/id/_history/version, an absolute URL, urn:uuid:, urn:oid: or #id",
            ),
            ReferenceError::NotAType(t) => write!(f, "'{t}' is not a FHIR resource type"),
            ReferenceError::ConditionalType(t) => write!(
                f,
                "a conditional reference must start with a resource type, and '{t}' is not one"
            ),
            ReferenceError::InvalidId(id) => write!(f, "'{id}' is not a valid resource id"),
            ReferenceError::InvalidQuery(q) => write!(
                f,
                "the search '{q}' of a conditional reference must be name=value pairs joined by '&'"
            ),
            ReferenceError::InvalidUrl(why) => write!(f, "it is not a valid URL ({why})"),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Whether `query` is a search (FHIR R4 §3.1.1, "Search"): one or more
/// `name=value` pairs joined by `&`, each name a parameter name (a letter
/// or `_`, then letters, digits, `_`, `.`, `:` or `-`: chains and
/// modifiers), each value, decoded, without `=` or `&` of its own.
pub fn is_search_query(query: &str) -> bool {
    !query.is_empty()
        && query.split('&').all(|pair| {
            let Some((name, value)) = pair.split_once('=') else {
                return false;
            };
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
                && !percent_decoded(value).contains(['=', '&'])
        })
}

/// `%XX` escapes and `+` decoded (what a query value stands for).
fn percent_decoded(value: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a literal reference.
pub fn parse(text: &str) -> Result<Reference<'_>, ReferenceError> {
    if let Some(id) = text.strip_prefix('#') {
        return Ok(Reference::Contained(id));
    }
    if text.starts_with("urn:uuid:") || text.starts_with("urn:oid:") {
        return Ok(Reference::Urn(text));
    }
    if let Some(scheme_end) = text.find("://") {
        // a scheme is letters, digits, `+`, `-`, `.`: anything else before
        // `://` (`Patient?x=http://…`) is not an absolute URL
        if is_scheme(&text[..scheme_end]) {
            return absolute(text);
        }
    }
    if let Some((resource_type, query)) = text.split_once('?') {
        if !is_type_name(resource_type) {
            return Err(ReferenceError::ConditionalType(resource_type.to_string()));
        }
        if !is_search_query(query) {
            return Err(ReferenceError::InvalidQuery(query.to_string()));
        }
        return Ok(Reference::Conditional {
            resource_type,
            query,
        });
    }
    let mut segs = text.split('/');
    let (Some(ty), Some(id)) = (segs.next(), segs.next()) else {
        return Err(ReferenceError::Shape);
    };
    let version = match (segs.next(), segs.next(), segs.next()) {
        (None, ..) => None,
        (Some("_history"), Some(v), None) if !v.is_empty() => Some(v),
        _ => return Err(ReferenceError::Shape),
    };
    if !is_type_name(ty) {
        return Err(ReferenceError::NotAType(ty.to_string()));
    }
    if !is_id(id) {
        return Err(ReferenceError::InvalidId(id.to_string()));
    }
    Ok(Reference::Relative(ResourceRef {
        resource_type: Cow::Borrowed(ty),
        id: Cow::Borrowed(id),
        version: version.map(Cow::Borrowed),
    }))
}

fn absolute(text: &str) -> Result<Reference<'static>, ReferenceError> {
    let url = Url::parse(text).map_err(|e| ReferenceError::InvalidUrl(e.to_string()))?;
    let segs: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let tail: &[&str] = match segs.as_slice() {
        [.., ty, id, "_history", v] => &[ty, id, v],
        [.., ty, id] => &[ty, id],
        _ => &[],
    };
    let resource = match *tail {
        [ty, id, ..] if is_type_name(ty) && is_id(id) => Some(ResourceRef {
            resource_type: Cow::Owned(ty.to_string()),
            id: Cow::Owned(id.to_string()),
            version: tail.get(2).map(|v| Cow::Owned(v.to_string())),
        }),
        _ => None,
    };
    Ok(Reference::Absolute { url, resource })
}

impl Reference<'_> {
    /// The type, id and version named, for relative references and
    /// absolute ones on a FHIR base.
    pub fn resource(&self) -> Option<&ResourceRef<'_>> {
        match self {
            Reference::Relative(r) => Some(r),
            Reference::Absolute { resource, .. } => resource.as_ref(),
            _ => None,
        }
    }

    /// The resource type the reference names, when it names one (a
    /// conditional reference names its type; `#` and `urn:` ones do not).
    pub fn resource_type(&self) -> Option<&str> {
        match self {
            Reference::Conditional { resource_type, .. } => Some(resource_type),
            other => other.resource().map(|r| r.resource_type.as_ref()),
        }
    }

    /// For an absolute reference on a FHIR base, the base: the URL up to
    /// (without) the type segment, with no trailing slash.
    pub fn base(&self) -> Option<String> {
        let Reference::Absolute {
            url,
            resource: Some(r),
        } = self
        else {
            return None;
        };
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let tail = if r.version.is_some() { 4 } else { 2 };
        let keep: Vec<String> = base
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let keep = &keep[..keep.len().saturating_sub(tail)];
        base.set_path(&keep.join("/"));
        Some(base.as_str().trim_end_matches('/').to_string())
    }
}

/// A FHIR type name as it appears in a reference: an upper-case ASCII
/// letter, then letters and digits.
fn is_type_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `[A-Za-z0-9\-\.]{1,64}` (the R4 `id` type).
fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr<'a>(t: &'a str, id: &'a str, v: Option<&'a str>) -> ResourceRef<'a> {
        ResourceRef {
            resource_type: t.into(),
            id: id.into(),
            version: v.map(Into::into),
        }
    }

    #[test]
    fn conditional_references_carry_a_search() {
        assert!(is_search_query(
            "identifier=https://fhir.nhs.uk/Id/nhs-number|9990010005"
        ));
        assert!(is_search_query("subject:Patient.name=Smith&_count=1"));
        assert!(is_search_query("name="));
        assert!(!is_search_query(""));
        assert!(!is_search_query("identifier"));
        assert!(!is_search_query("1bad=x"));
        assert!(!is_search_query("name=a%3Db"));
        assert!(is_search_query("name=£%")); // no = or & once decoded, and no panic
        assert_eq!(
            parse("Patient?identifier"),
            Err(ReferenceError::InvalidQuery("identifier".into()))
        );
        assert!(matches!(
            parse("Patient?identifier=x|1"),
            Ok(Reference::Conditional { .. })
        ));
    }

    #[test]
    fn relative_references_with_and_without_history() {
        assert_eq!(
            parse("Patient/123"),
            Ok(Reference::Relative(rr("Patient", "123", None)))
        );
        assert_eq!(
            parse("Observation/a.b-1/_history/7"),
            Ok(Reference::Relative(rr("Observation", "a.b-1", Some("7"))))
        );
    }

    #[test]
    fn absolute_references_on_a_fhir_base_name_type_id_and_version() {
        let r = parse("https://example.org/fhir/r4/Patient/123/_history/2?x=1#f").unwrap();
        assert_eq!(r.resource(), Some(&rr("Patient", "123", Some("2"))));
        assert_eq!(r.base().as_deref(), Some("https://example.org/fhir/r4"));
        let r = parse("http://localhost:8080/Patient/9/").unwrap();
        assert_eq!(r.resource_type(), Some("Patient"));
        assert_eq!(r.base().as_deref(), Some("http://localhost:8080"));
    }

    #[test]
    fn absolute_urls_that_name_no_resource() {
        for text in ["https://cdn.example.org/scan.pdf", "http://example.org/"] {
            let r = parse(text).unwrap();
            assert!(
                matches!(r, Reference::Absolute { resource: None, .. }),
                "{text}"
            );
            assert_eq!(r.resource_type(), None);
        }
        assert!(matches!(
            parse("http://exa mple.org/Patient/1"),
            Err(ReferenceError::InvalidUrl(_))
        ));
    }

    #[test]
    fn contained_urn_and_conditional_references() {
        assert_eq!(parse("#p1"), Ok(Reference::Contained("p1")));
        assert_eq!(parse("#"), Ok(Reference::Contained("")));
        let uuid = "urn:uuid:c757873d-ec9a-4326-a141-556f43239520";
        assert_eq!(parse(uuid), Ok(Reference::Urn(uuid)));
        assert_eq!(parse("urn:oid:1.2.3"), Ok(Reference::Urn("urn:oid:1.2.3")));
        let r = parse("Patient?identifier=http://x|1").unwrap();
        assert_eq!(
            r,
            Reference::Conditional {
                resource_type: "Patient",
                query: "identifier=http://x|1"
            }
        );
        assert_eq!(r.resource_type(), Some("Patient"));
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        assert_eq!(parse("Patient"), Err(ReferenceError::Shape));
        assert_eq!(parse("Patient/1/2"), Err(ReferenceError::Shape));
        assert_eq!(parse("Patient/1/_history/"), Err(ReferenceError::Shape));
        assert_eq!(parse("urn:ietf:x"), Err(ReferenceError::Shape));
        assert_eq!(
            parse("patient/1"),
            Err(ReferenceError::NotAType("patient".into()))
        );
        assert_eq!(
            parse("Patient/a b"),
            Err(ReferenceError::InvalidId("a b".into()))
        );
        assert_eq!(
            parse("Patient/1?name=x"),
            Err(ReferenceError::ConditionalType("Patient/1".into()))
        );
        assert_eq!(
            ReferenceError::Shape.to_string(),
            "expected Type/id, Type/id/_history/version, an absolute URL, urn:uuid:, urn:oid: or #id"
        );
    }
}
