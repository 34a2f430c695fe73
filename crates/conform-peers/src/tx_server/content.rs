//! What the terminology test server knows: CodeSystems and ValueSets read
//! from FHIR packages (npm `.tgz`, `package/*.json`) and loose JSON files,
//! indexed by canonical URL and version, and R4 value set expansion over
//! them (compose include/exclude, concept lists, filters, imports, a
//! ValueSet's own expansion), with a small SNOMED CT ECL subset.

use crate::PeerResult;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) const SNOMED: &str = "http://snomed.info/sct";

#[derive(Clone, Debug)]
pub(crate) struct Designation {
    pub language: Option<String>,
    pub use_: Option<Value>,
    pub value: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Concept {
    pub code: String,
    pub display: Option<String>,
    pub designations: Vec<Designation>,
    /// Codes of the concepts this one is-a (nesting, `parent`, `subsumedBy`).
    pub parents: Vec<String>,
    pub inactive: bool,
    /// Every property as (code, value as text), for `=` filters.
    pub properties: Vec<(String, String)>,
}

#[derive(Debug)]
pub(crate) struct CodeSystem {
    pub url: String,
    pub version: Option<String>,
    pub name: Option<String>,
    /// `complete`, `fragment`, `example`, `not-present`.
    pub content: String,
    pub case_sensitive: bool,
    pub concepts: Vec<Concept>,
    /// Declared property codes.
    pub declared: Vec<String>,
    index: HashMap<String, usize>,
    children: HashMap<String, Vec<String>>,
}

impl CodeSystem {
    pub fn from_json(cs: &Value) -> Option<CodeSystem> {
        let url = cs["url"].as_str()?.to_string();
        let mut concepts = Vec::new();
        flatten(&cs["concept"], None, &mut concepts);
        let declared = cs["property"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["code"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let case_sensitive = cs["caseSensitive"].as_bool().unwrap_or(true);
        let mut out = CodeSystem {
            url,
            version: cs["version"].as_str().map(str::to_string),
            name: cs["name"]
                .as_str()
                .or(cs["title"].as_str())
                .map(str::to_string),
            content: cs["content"].as_str().unwrap_or("complete").to_string(),
            case_sensitive,
            concepts,
            declared,
            index: HashMap::new(),
            children: HashMap::new(),
        };
        for (i, c) in out.concepts.iter().enumerate() {
            out.index.entry(out.key(&c.code)).or_insert(i);
            for p in &c.parents {
                out.children
                    .entry(out.key(p))
                    .or_default()
                    .push(c.code.clone());
            }
        }
        Some(out)
    }

    fn key(&self, code: &str) -> String {
        if self.case_sensitive {
            code.to_string()
        } else {
            code.to_lowercase()
        }
    }

    pub fn complete(&self) -> bool {
        self.content == "complete"
    }

    pub fn find(&self, code: &str) -> Option<&Concept> {
        self.index.get(&self.key(code)).map(|&i| &self.concepts[i])
    }

    pub fn children(&self, code: &str) -> &[String] {
        self.children
            .get(&self.key(code))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The concept's descendants (transitively), optionally with itself;
    /// empty when the code is unknown.
    pub fn descendants(&self, code: &str, with_self: bool) -> HashSet<String> {
        let mut out = HashSet::new();
        let Some(root) = self.find(code) else {
            return out;
        };
        if with_self {
            out.insert(root.code.clone());
        }
        let mut queue: VecDeque<String> = self.children(&root.code).iter().cloned().collect();
        while let Some(c) = queue.pop_front() {
            if out.insert(c.clone()) {
                queue.extend(self.children(&c).iter().cloned());
            }
        }
        out
    }

    /// `system` or `system|version`, as it names this code system.
    pub fn canonical(&self) -> String {
        match &self.version {
            Some(v) => format!("{}|{v}", self.url),
            None => self.url.clone(),
        }
    }
}

fn flatten(list: &Value, parent: Option<&str>, out: &mut Vec<Concept>) {
    for c in list.as_array().into_iter().flatten() {
        let Some(code) = c["code"].as_str() else {
            continue;
        };
        let mut parents: Vec<String> = parent.into_iter().map(str::to_string).collect();
        let mut inactive = false;
        let mut properties = Vec::new();
        for p in c["property"].as_array().into_iter().flatten() {
            let pcode = p["code"].as_str().unwrap_or("");
            let value = p
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.starts_with("value")))
                .map(|(_, v)| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            match (pcode, value.as_str()) {
                ("parent" | "subsumedBy", v) if !parents.iter().any(|p| p == v) => {
                    parents.push(v.to_string())
                }
                ("inactive", "true") => inactive = true,
                ("status", "retired" | "inactive") => inactive = true,
                _ => {}
            }
            properties.push((pcode.to_string(), value));
        }
        let designations = c["designation"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                Some(Designation {
                    language: d["language"].as_str().map(str::to_string),
                    use_: d.get("use").cloned(),
                    value: d["value"].as_str()?.to_string(),
                })
            })
            .collect();
        out.push(Concept {
            code: code.to_string(),
            display: c["display"].as_str().map(str::to_string),
            designations,
            parents,
            inactive,
            properties,
        });
        flatten(&c["concept"], Some(code), out);
    }
}

/// Every CodeSystem and ValueSet held, by canonical URL; the last one
/// loaded for a URL is its default version.
#[derive(Default)]
pub(crate) struct Library {
    code_systems: HashMap<String, Vec<Arc<CodeSystem>>>,
    value_sets: HashMap<String, Vec<Arc<Value>>>,
}

impl Library {
    pub fn load(packages: &[PathBuf], files: &[PathBuf]) -> PeerResult<Library> {
        // Packages are read in parallel (inflating and parsing dominate).
        let read: Vec<PeerResult<Vec<Value>>> = std::thread::scope(|s| {
            let handles: Vec<_> = packages
                .iter()
                .map(|p| s.spawn(move || read_package(p)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("package reader panicked".into()))
                })
                .collect()
        });
        let mut lib = Library::default();
        for resources in read {
            for r in resources? {
                lib.add(r);
            }
        }
        for f in files {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            let v: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            if v["resourceType"] == "Bundle" {
                for e in v["entry"].as_array().into_iter().flatten() {
                    lib.add(e["resource"].clone());
                }
            } else {
                lib.add(v);
            }
        }
        Ok(lib)
    }

    pub fn add(&mut self, r: Value) {
        let Some(url) = r["url"].as_str().map(str::to_string) else {
            return;
        };
        match r["resourceType"].as_str() {
            // A supplement is not the code system it supplements.
            Some("CodeSystem") if r["content"] != "supplement" => {
                if let Some(cs) = CodeSystem::from_json(&r) {
                    self.code_systems.entry(url).or_default().push(Arc::new(cs));
                }
            }
            Some("ValueSet") => self.value_sets.entry(url).or_default().push(Arc::new(r)),
            _ => {}
        }
    }

    /// The code system for `url` (which may carry `|version`) and version:
    /// an exact version, or for SNOMED CT an edition URI naming the
    /// version's module; without a version the default one.
    pub fn code_system(&self, url: &str, version: Option<&str>) -> Option<Arc<CodeSystem>> {
        let (url, version) = split_canonical(url, version);
        let all = self.code_systems.get(url)?;
        match version {
            None => all.last().cloned(),
            Some(v) => all
                .iter()
                .rev()
                .find(|cs| {
                    cs.version.as_deref() == Some(v)
                        || (url == SNOMED
                            && cs
                                .version
                                .as_deref()
                                .is_some_and(|cv| cv.starts_with(&format!("{v}/version/"))))
                })
                .cloned(),
        }
    }

    pub fn code_system_versions(&self, url: &str) -> Vec<String> {
        self.code_systems
            .get(url)
            .into_iter()
            .flatten()
            .filter_map(|cs| cs.version.clone())
            .collect()
    }

    pub fn value_set(&self, url: &str, version: Option<&str>) -> Option<Arc<Value>> {
        let (url, version) = split_canonical(url, version);
        let all = self.value_sets.get(url)?;
        match version {
            None => all.last().cloned(),
            Some(v) => all.iter().rev().find(|vs| vs["version"] == v).cloned(),
        }
    }

    /// (url, versions) of every code system, sorted by URL.
    pub fn code_system_list(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<_> = self
            .code_systems
            .iter()
            .map(|(u, all)| {
                let mut vs: Vec<String> = all.iter().filter_map(|c| c.version.clone()).collect();
                vs.dedup();
                (u.clone(), vs)
            })
            .collect();
        out.sort();
        out
    }
}

/// Splits `url|version`; an explicit version wins over the embedded one.
pub(crate) fn split_canonical<'a>(
    url: &'a str,
    version: Option<&'a str>,
) -> (&'a str, Option<&'a str>) {
    let (u, embedded) = match url.split_once('|') {
        Some((u, v)) => (u, Some(v)),
        None => (url, None),
    };
    (u, version.filter(|v| !v.is_empty()).or(embedded))
}

fn read_package(path: &Path) -> PeerResult<Vec<Value>> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(file) = name.strip_prefix("package/") else {
            continue;
        };
        // Only top-level CodeSystem/ValueSet files (not examples, not others).
        if file.contains('/')
            || !(file.starts_with("CodeSystem-") || file.starts_with("ValueSet-"))
            || !file.ends_with(".json")
        {
            continue;
        }
        let mut text = Vec::new();
        entry
            .read_to_end(&mut text)
            .map_err(|e| format!("{}: {name}: {e}", path.display()))?;
        if let Ok(v) = serde_json::from_slice::<Value>(&text) {
            out.push(v);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Expansion

#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub system: String,
    pub version: Option<String>,
    pub code: String,
    pub display: Option<String>,
    pub inactive: bool,
}

/// A value set's members, in order, without duplicates.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expansion {
    pub members: Vec<Member>,
    keys: HashSet<(String, String)>,
    /// Systems included wholly or by filter whose CodeSystem is not
    /// `complete`: a code not found in them may still be a member.
    pub open_systems: HashSet<String>,
}

impl Expansion {
    fn push(&mut self, m: Member) {
        if self.keys.insert((m.system.clone(), m.code.to_lowercase())) {
            self.members.push(m);
        }
    }
    pub fn contains(&self, system: &str, code: &str) -> bool {
        self.keys
            .contains(&(system.to_string(), code.to_lowercase()))
    }
    fn retain(&mut self, keep: impl Fn(&Member) -> bool) {
        self.members.retain(|m| keep(m));
        self.keys = self
            .members
            .iter()
            .map(|m| (m.system.clone(), m.code.to_lowercase()))
            .collect();
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExpandError {
    /// `system` or `system|version`.
    UnknownSystem(String),
    UnknownValueSet(String),
    NotSupported(String),
    Invalid(String),
}

impl ExpandError {
    pub fn message(&self) -> String {
        match self {
            ExpandError::UnknownSystem(s) => format!(
                "A definition for CodeSystem '{s}' could not be found, so the value set cannot be expanded"
            ),
            ExpandError::UnknownValueSet(s) => {
                format!("A definition for the value set '{s}' could not be found")
            }
            ExpandError::NotSupported(s) | ExpandError::Invalid(s) => s.clone(),
        }
    }
}

pub(crate) fn expand(lib: &Library, vs: &Value) -> Result<Expansion, ExpandError> {
    expand_depth(lib, vs, 0)
}

fn expand_depth(lib: &Library, vs: &Value, depth: usize) -> Result<Expansion, ExpandError> {
    if depth > 20 {
        return Err(ExpandError::Invalid(
            "Value set imports are nested too deeply (a cycle?)".into(),
        ));
    }
    let mut out = Expansion::default();
    if let Some(compose) = vs.get("compose") {
        for inc in compose["include"].as_array().into_iter().flatten() {
            let (part, open) = include(lib, inc, depth)?;
            out.open_systems.extend(open);
            for m in part.members {
                out.push(m);
            }
        }
        for exc in compose["exclude"].as_array().into_iter().flatten() {
            let (part, _) = include(lib, exc, depth)?;
            out.retain(|m| !part.contains(&m.system, &m.code));
        }
        if compose
            .get("inactive")
            .and_then(Value::as_bool)
            .is_some_and(|b| !b)
        {
            out.retain(|m| !m.inactive);
        }
        return Ok(out);
    }
    if let Some(exp) = vs.get("expansion") {
        add_contains(&exp["contains"], &mut out);
        return Ok(out);
    }
    Err(ExpandError::Invalid(format!(
        "The value set '{}' has neither a compose nor an expansion",
        vs["url"].as_str().unwrap_or("?")
    )))
}

fn add_contains(contains: &Value, out: &mut Expansion) {
    for c in contains.as_array().into_iter().flatten() {
        if let (Some(system), Some(code)) = (c["system"].as_str(), c["code"].as_str()) {
            out.push(Member {
                system: system.into(),
                version: c["version"].as_str().map(str::to_string),
                code: code.into(),
                display: c["display"].as_str().map(str::to_string),
                inactive: c["inactive"].as_bool().unwrap_or(false),
            });
        }
        add_contains(&c["contains"], out);
    }
}

/// One include (or exclude): its members and the open systems it adds.
fn include(
    lib: &Library,
    inc: &Value,
    depth: usize,
) -> Result<(Expansion, Vec<String>), ExpandError> {
    let mut out = Expansion::default();
    let mut open = Vec::new();
    let system = inc["system"].as_str();
    if let Some(system) = system {
        let version = inc["version"].as_str();
        let cs = lib.code_system(system, version).ok_or_else(|| {
            ExpandError::UnknownSystem(match version {
                Some(v) => format!("{system}|{v}"),
                None => system.to_string(),
            })
        })?;
        let member = |c: &Concept| Member {
            system: cs.url.clone(),
            version: cs.version.clone(),
            code: c.code.clone(),
            display: c.display.clone(),
            inactive: c.inactive,
        };
        if let Some(list) = inc["concept"].as_array() {
            for c in list {
                let Some(code) = c["code"].as_str() else {
                    continue;
                };
                let listed = c["display"].as_str().map(str::to_string);
                match cs.find(code) {
                    Some(found) => out.push(Member {
                        display: listed.or(found.display.clone()),
                        ..member(found)
                    }),
                    // A code listed from an incomplete system is taken on trust.
                    None if !cs.complete() => out.push(Member {
                        system: cs.url.clone(),
                        version: cs.version.clone(),
                        code: code.into(),
                        display: listed,
                        inactive: false,
                    }),
                    None => {}
                }
            }
        } else {
            let mut selected: Option<HashSet<String>> = None;
            for f in inc["filter"].as_array().into_iter().flatten() {
                let codes = filter(&cs, f)?;
                selected = Some(match selected {
                    None => codes,
                    Some(s) => s.intersection(&codes).cloned().collect(),
                });
            }
            for c in &cs.concepts {
                if selected.as_ref().is_none_or(|s| s.contains(&c.code)) {
                    out.push(member(c));
                }
            }
            if !cs.complete() {
                open.push(cs.url.clone());
            }
        }
    }
    for import in inc["valueSet"].as_array().into_iter().flatten() {
        let url = import.as_str().unwrap_or("");
        let vs = lib
            .value_set(url, None)
            .ok_or_else(|| ExpandError::UnknownValueSet(url.to_string()))?;
        let imported = expand_depth(lib, &vs, depth + 1)?;
        if system.is_some() || !out.members.is_empty() {
            out.retain(|m| imported.contains(&m.system, &m.code));
        } else {
            out = imported;
            open.extend(out.open_systems.iter().cloned());
        }
    }
    Ok((out, open))
}

fn not_supported(cs: &CodeSystem, f: &Value) -> ExpandError {
    ExpandError::NotSupported(format!(
        "The filter '{} {} {}' on the code system '{}' is not supported by this test server",
        f["property"].as_str().unwrap_or("?"),
        f["op"].as_str().unwrap_or("?"),
        f["value"].as_str().unwrap_or("?"),
        cs.url
    ))
}

/// The codes a filter selects.
fn filter(cs: &CodeSystem, f: &Value) -> Result<HashSet<String>, ExpandError> {
    let prop = f["property"].as_str().unwrap_or("");
    let op = f["op"].as_str().unwrap_or("");
    let value = f["value"].as_str().unwrap_or("");
    let all = || cs.concepts.iter().map(|c| c.code.clone());
    Ok(match (prop, op) {
        ("concept" | "code", "is-a") => cs.descendants(value, true),
        ("concept" | "code", "descendent-of") => cs.descendants(value, false),
        ("concept" | "code", "is-not-a") => {
            let not = cs.descendants(value, true);
            all().filter(|c| !not.contains(c)).collect()
        }
        ("concept" | "code", "in") => value
            .split(',')
            .filter_map(|c| cs.find(c.trim()).map(|c| c.code.clone()))
            .collect(),
        ("concept" | "code", "=") => cs.find(value).map(|c| c.code.clone()).into_iter().collect(),
        ("inactive", "=") => {
            let want = match value {
                "true" => true,
                "false" => false,
                _ => return Err(not_supported(cs, f)),
            };
            cs.concepts
                .iter()
                .filter(|c| c.inactive == want)
                .map(|c| c.code.clone())
                .collect()
        }
        ("constraint" | "expression" | "expressions", "=") if cs.url == SNOMED => Ecl::parse(value)
            .map_err(|why| {
                ExpandError::NotSupported(format!(
                    "The ECL expression '{value}' is not supported by this test server: {why}"
                ))
            })?
            .eval(cs),
        (p, "=") if cs.url != SNOMED && cs.declared.iter().any(|d| d == p) => cs
            .concepts
            .iter()
            .filter(|c| c.properties.iter().any(|(k, v)| k == p && v == value))
            .map(|c| c.code.clone())
            .collect(),
        _ => return Err(not_supported(cs, f)),
    })
}

// ---------------------------------------------------------------------------
// A small ECL subset: `<< X`, `< X`, `<! X`, `X`, `*`, `A OR B`, `A AND B`,
// `A MINUS B`, parentheses, `|term|`s, and the UK Core spellings
// `descendantOf X`, `descendantOrSelfOf X`, `childOf X`.

#[derive(Debug)]
enum Ecl {
    Any,
    SelfOf(String),
    Descendants(String, bool),
    Children(String),
    Or(Box<Ecl>, Box<Ecl>),
    And(Box<Ecl>, Box<Ecl>),
    Minus(Box<Ecl>, Box<Ecl>),
}

impl Ecl {
    fn parse(text: &str) -> Result<Ecl, String> {
        let tokens = tokenize(text)?;
        let mut pos = 0;
        let e = parse_expr(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(format!("unexpected '{}'", tokens[pos]));
        }
        Ok(e)
    }

    fn eval(&self, cs: &CodeSystem) -> HashSet<String> {
        match self {
            Ecl::Any => cs.concepts.iter().map(|c| c.code.clone()).collect(),
            Ecl::SelfOf(c) => cs.find(c).map(|c| c.code.clone()).into_iter().collect(),
            Ecl::Descendants(c, with_self) => cs.descendants(c, *with_self),
            Ecl::Children(c) => cs.children(c).iter().cloned().collect(),
            Ecl::Or(a, b) => a.eval(cs).union(&b.eval(cs)).cloned().collect(),
            Ecl::And(a, b) => a.eval(cs).intersection(&b.eval(cs)).cloned().collect(),
            Ecl::Minus(a, b) => a.eval(cs).difference(&b.eval(cs)).cloned().collect(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '|' {
            // A term: skipped.
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '|')
                .ok_or("unterminated |term|")?;
            i += end + 2;
        } else if c == '<' {
            let op = match chars.get(i + 1) {
                Some('<') => "<<",
                Some('!') => "<!",
                _ => "<",
            };
            out.push(op.to_string());
            i += op.len();
        } else if "()*".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            return Err(format!("unexpected character '{c}'"));
        }
    }
    Ok(out)
}

fn parse_expr(t: &[String], pos: &mut usize) -> Result<Ecl, String> {
    let mut left = parse_term(t, pos)?;
    while let Some(op) = t.get(*pos) {
        let op = op.to_ascii_uppercase();
        if !matches!(op.as_str(), "OR" | "AND" | "MINUS") {
            break;
        }
        *pos += 1;
        let right = Box::new(parse_term(t, pos)?);
        let l = Box::new(left);
        left = match op.as_str() {
            "OR" => Ecl::Or(l, right),
            "AND" => Ecl::And(l, right),
            _ => Ecl::Minus(l, right),
        };
    }
    Ok(left)
}

fn parse_term(t: &[String], pos: &mut usize) -> Result<Ecl, String> {
    let tok = t.get(*pos).ok_or("expression ends too early")?.clone();
    *pos += 1;
    let focus = |pos: &mut usize| -> Result<String, String> {
        let f = t.get(*pos).ok_or("a concept id is missing")?;
        *pos += 1;
        if f.chars().all(|c| c.is_ascii_digit()) {
            Ok(f.clone())
        } else {
            Err(format!("'{f}' is not a concept id"))
        }
    };
    match tok.as_str() {
        "(" => {
            let e = parse_expr(t, pos)?;
            if t.get(*pos).map(String::as_str) != Some(")") {
                return Err("missing ')'".into());
            }
            *pos += 1;
            Ok(e)
        }
        "*" => Ok(Ecl::Any),
        "<<" | "descendantOrSelfOf" => Ok(Ecl::Descendants(focus(pos)?, true)),
        "<" | "descendantOf" => Ok(Ecl::Descendants(focus(pos)?, false)),
        "<!" | "childOf" => Ok(Ecl::Children(focus(pos)?)),
        id if id.chars().all(|c| c.is_ascii_digit()) => Ok(Ecl::SelfOf(id.to_string())),
        other => Err(format!("'{other}' is not understood")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snomed() -> CodeSystem {
        CodeSystem::from_json(&json!({"url": SNOMED, "content": "complete", "concept": [
            {"code": "1", "display": "root"},
            {"code": "2", "property": [{"code": "parent", "valueCode": "1"}]},
            {"code": "3", "property": [{"code": "parent", "valueCode": "2"}]},
            {"code": "4", "property": [{"code": "parent", "valueCode": "1"}]}
        ]}))
        .unwrap()
    }

    fn ecl(text: &str) -> Vec<String> {
        let mut v: Vec<String> = Ecl::parse(text)
            .unwrap()
            .eval(&snomed())
            .into_iter()
            .collect();
        v.sort();
        v
    }

    #[test]
    fn ecl_subset() {
        assert_eq!(ecl("<< 2"), ["2", "3"]);
        assert_eq!(ecl("< 1 |root| MINUS << 2"), ["4"]);
        assert_eq!(ecl("(3 OR 4)"), ["3", "4"]);
        assert_eq!(ecl("descendantOf 1 AND descendantOrSelfOf 2"), ["2", "3"]);
        assert_eq!(ecl("<! 1"), ["2", "4"]);
        assert!(Ecl::parse("^ 123").is_err());
        assert!(Ecl::parse("memberOf 123").is_err());
    }
}
