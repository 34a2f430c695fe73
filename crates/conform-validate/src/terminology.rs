//! Local value set expansion: turns a ValueSet's `compose` into the set of
//! codes it allows, using only the CodeSystems and ValueSets in the loaded
//! packages. Systems we do not hold (SNOMED CT, LOINC, UCUM, BCP-47...) are
//! recorded as unknown so that codes from them are reported as not checked
//! rather than wrongly rejected.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where to look up ValueSets and CodeSystems by canonical URL.
pub trait Definitions {
    fn resource(&self, canonical: &str) -> Option<&Value>;
}

/// The codes of one system that a value set allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SystemCodes {
    /// Exactly these codes.
    Codes(FxHashSet<String>),
    /// Codes of this system are allowed but we cannot enumerate them offline.
    Unknown,
}

/// A compiled value set: per system, the codes it allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeSet {
    pub url: String,
    pub systems: FxHashMap<String, SystemCodes>,
    /// The value set itself (or something it imports) could not be found or
    /// expanded: no code can be judged against it.
    pub unresolved: Option<String>,
}

/// The answer to "is this code in the value set?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    In,
    NotIn,
    /// We cannot tell offline (the system is not held or not enumerable).
    Unknown,
}

impl CodeSet {
    /// A bare `code` (no system): in if any system of the set has it.
    pub fn contains_code(&self, code: &str) -> Membership {
        if self.unresolved.is_some() {
            return Membership::Unknown;
        }
        let mut unknown = false;
        for codes in self.systems.values() {
            match codes {
                SystemCodes::Codes(c) if c.contains(code) => return Membership::In,
                SystemCodes::Codes(_) => {}
                SystemCodes::Unknown => unknown = true,
            }
        }
        if unknown {
            Membership::Unknown
        } else {
            Membership::NotIn
        }
    }

    /// A coding with its system.
    pub fn contains_coding(&self, system: &str, code: &str) -> Membership {
        if self.unresolved.is_some() {
            return Membership::Unknown;
        }
        match self.systems.get(system) {
            Some(SystemCodes::Codes(c)) if c.contains(code) => Membership::In,
            Some(SystemCodes::Codes(_)) | None => Membership::NotIn,
            Some(SystemCodes::Unknown) => Membership::Unknown,
        }
    }

    /// The one system of the set whose codes cannot be enumerated here,
    /// when there is exactly one (where a bare code must come from, if it
    /// is in the set at all).
    pub fn only_unknown_system(&self) -> Option<&str> {
        let mut unknown = self
            .systems
            .iter()
            .filter(|(_, c)| matches!(c, SystemCodes::Unknown))
            .map(|(s, _)| s.as_str());
        match (unknown.next(), unknown.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// Whether the set allows any code of this system at all.
    pub fn has_system(&self, system: &str) -> bool {
        self.systems.contains_key(system)
    }
}

/// The codes a CodeSystem lists, for judging the codes of Codings that
/// name it (R4 CodeSystem.content: `complete` lists every code; a
/// `fragment` some of them; `example` and `not-present` too few to judge
/// by, and a supplement's are another system's).
///
/// Kept sorted in one text with their ends, found by binary search: read
/// from the plan cache on the first Coding that names the system, a set
/// of strings cost a string and a hash a code (2 M instructions for
/// DICOM's 4,000 codes, more than the 703 R4 examples' Codings cost).
#[derive(Debug, Serialize, Deserialize)]
pub struct ListedCodes {
    pub version: Option<String>,
    /// `content` is `fragment`: a code not listed may still exist.
    pub fragment: bool,
    /// `caseSensitive` is not stated true: codes differing only in case
    /// are the same code (kept lower-cased).
    case_insensitive: bool,
    /// The codes, sorted, one after another.
    text: String,
    /// Where each code in `text` ends.
    ends: Vec<u32>,
    /// Each code's displays (its concept's `display`, then its
    /// designations' values), one after another, for judging a Coding's
    /// display without reading the CodeSystem again.
    display_text: String,
    /// Where each display in `display_text` ends.
    display_ends: Vec<u32>,
    /// The `i`th code's displays are those from `first_display[i]` to
    /// `first_display[i + 1]` (one more entry than there are codes).
    first_display: Vec<u32>,
}

impl ListedCodes {
    /// Whether `version` (a Coding's or an include's) names another version
    /// than the one held, whose codes then say nothing of it (no version on
    /// either side is taken to mean the held one).
    pub fn other_version(&self, version: Option<&str>) -> bool {
        version.is_some() && self.version.is_some() && version != self.version.as_deref()
    }

    pub fn of(cs: &Value) -> Option<ListedCodes> {
        let listed = cs["resourceType"] == "CodeSystem"
            && !crate::plan::ContextResource::is_supplement(cs)
            && matches!(cs["content"].as_str(), Some("complete" | "fragment"));
        if !listed {
            return None;
        }
        let case_insensitive = cs["caseSensitive"] != true;
        fn gather<'v>(concepts: &'v Value, lower: bool, codes: &mut Vec<(String, &'v Value)>) {
            for c in concepts.as_array().into_iter().flatten() {
                if let Some(code) = c["code"].as_str() {
                    let code = if lower {
                        code.to_lowercase()
                    } else {
                        code.to_string()
                    };
                    codes.push((code, c));
                }
                gather(&c["concept"], lower, codes);
            }
        }
        let mut codes = Vec::new();
        gather(&cs["concept"], case_insensitive, &mut codes);
        // stable: a code listed twice keeps its first concept's displays
        codes.sort_by(|a, b| a.0.cmp(&b.0));
        codes.dedup_by(|b, a| a.0 == b.0);
        let mut text = String::new();
        let mut ends = Vec::with_capacity(codes.len());
        let mut display_text = String::new();
        let mut display_ends = Vec::new();
        let mut first_display = Vec::with_capacity(codes.len() + 1);
        for (code, concept) in &codes {
            text.push_str(code);
            ends.push(u32::try_from(text.len()).ok()?);
            first_display.push(u32::try_from(display_ends.len()).ok()?);
            let designations = concept["designation"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["value"].as_str());
            for display in concept["display"].as_str().into_iter().chain(designations) {
                display_text.push_str(display);
                display_ends.push(u32::try_from(display_text.len()).ok()?);
            }
        }
        first_display.push(u32::try_from(display_ends.len()).ok()?);
        Some(ListedCodes {
            version: cs["version"].as_str().map(str::to_string),
            fragment: cs["content"] == "fragment",
            case_insensitive,
            text,
            ends,
            display_text,
            display_ends,
            first_display,
        })
    }

    /// The displays the system gives `code` (its concept's display, then
    /// its designations' values, in any language): none for a code it
    /// does not list or that has none.
    pub fn displays(&self, code: &str) -> impl Iterator<Item = &str> {
        self.position(code)
            .into_iter()
            .flat_map(|i| self.displays_at(i))
    }

    /// The displays of the code at `i` (a [`ListedCodes::position`]).
    pub fn displays_at(&self, i: usize) -> impl Iterator<Item = &str> {
        let range = self
            .first_display
            .get(i)
            .zip(self.first_display.get(i + 1))
            .map_or(0..0, |(&from, &to)| from..to);
        range.map(move |d| {
            let d = d as usize;
            let start = if d == 0 {
                0
            } else {
                self.display_ends[d - 1] as usize
            };
            self.display_ends
                .get(d)
                .and_then(|&end| self.display_text.get(start..end as usize))
                .unwrap_or_default()
        })
    }

    /// The `i`th code (empty for ends that do not fit the text, which
    /// only a damaged plan cache could hold).
    fn code(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text
            .get(start..self.ends[i] as usize)
            .unwrap_or_default()
    }

    /// Whether `code` does not exist in the system: content that lists
    /// every code (not a fragment) does not list it.
    pub fn lacks(&self, code: &str) -> bool {
        !self.fragment && !self.contains(code)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.position(code).is_some()
    }

    /// Where `code` is among the sorted codes: the index its displays are
    /// read at.
    pub fn position(&self, code: &str) -> Option<usize> {
        let lowered;
        let code = if self.case_insensitive && code.chars().any(char::is_uppercase) {
            lowered = code.to_lowercase();
            lowered.as_str()
        } else {
            code
        };
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.code(mid).cmp(code) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

#[cfg(test)]
mod listed_codes_tests {
    use super::ListedCodes;
    use serde_json::json;

    #[test]
    fn every_listed_code_is_found_at_any_depth_and_no_other() {
        let cs = json!({"resourceType": "CodeSystem", "content": "complete", "caseSensitive": true,
            "concept": [{"code": "b", "concept": [{"code": "a1"}, {"code": "Z"}]}, {"code": "c"}, {"code": "a"}]});
        let codes = ListedCodes::of(&cs).unwrap();
        for code in ["a", "a1", "b", "c", "Z"] {
            assert!(codes.contains(code), "{code}");
        }
        for code in ["", "z", "a2", "d", "bb", "0"] {
            assert!(!codes.contains(code), "{code}");
        }
        // unless stated case sensitive, case does not tell codes apart
        let mut cs = cs;
        cs["caseSensitive"] = json!(false);
        let codes = ListedCodes::of(&cs).unwrap();
        assert!(codes.contains("z") && codes.contains("A1"));
        // each code's displays, its concept's then its designations'
        let displayed = json!({"resourceType": "CodeSystem", "content": "complete",
            "concept": [{"code": "b", "display": "Bee", "designation": [{"value": "Abeja"}],
                "concept": [{"code": "a", "display": "Ay"}]}, {"code": "c"}]});
        let codes = ListedCodes::of(&displayed).unwrap();
        assert_eq!(codes.displays("b").collect::<Vec<_>>(), ["Bee", "Abeja"]);
        assert_eq!(codes.displays("A").collect::<Vec<_>>(), ["Ay"]);
        assert_eq!(codes.displays("c").count(), 0);
        assert_eq!(codes.displays("d").count(), 0);
        // what lists no codes to judge by
        for content in ["example", "not-present", "supplement"] {
            cs["content"] = json!(content);
            assert!(ListedCodes::of(&cs).is_none(), "{content}");
        }
    }
}

/// How many value sets this process has expanded ([`expand`]): a run whose
/// plans come from the cache should expand none it could foresee (the
/// bindings' and those invariants name).
pub fn value_sets_expanded() -> usize {
    EXPANDED.load(std::sync::atomic::Ordering::Relaxed)
}

static EXPANDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Expands the value set at `url` (a canonical, optionally `|version`).
pub fn expand(defs: &dyn Definitions, url: &str) -> CodeSet {
    EXPANDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut seen = Vec::new();
    match expand_inner(defs, url, &mut seen) {
        Ok(systems) => CodeSet {
            url: url.to_string(),
            systems,
            unresolved: None,
        },
        Err(why) => CodeSet {
            url: url.to_string(),
            systems: FxHashMap::default(),
            unresolved: Some(why),
        },
    }
}

type Systems = FxHashMap<String, SystemCodes>;

fn lookup<'d>(defs: &'d dyn Definitions, url: &str) -> Option<&'d Value> {
    defs.resource(url)
        .or_else(|| url.split_once('|').and_then(|(u, _)| defs.resource(u)))
}

fn expand_inner(
    defs: &dyn Definitions,
    url: &str,
    seen: &mut Vec<String>,
) -> Result<Systems, String> {
    if seen.iter().any(|s| s == url) || seen.len() > 16 {
        return Err(format!("value set {url} imports itself"));
    }
    let vs = lookup(defs, url)
        .ok_or_else(|| format!("value set {url} is not in the loaded packages"))?;
    seen.push(url.to_string());
    let result = if let Some(compose) = vs.get("compose") {
        expand_compose(defs, compose, seen)
    } else if let Some(contains) = vs.pointer("/expansion/contains") {
        let mut out = Systems::default();
        add_contains(contains, &mut out);
        Ok(out)
    } else {
        Err(format!("value set {url} has neither compose nor expansion"))
    };
    seen.pop();
    result
}

fn add_contains(contains: &Value, out: &mut Systems) {
    for c in contains.as_array().into_iter().flatten() {
        if let (Some(s), Some(code)) = (c["system"].as_str(), c["code"].as_str()) {
            insert(out, s, code);
        }
        if let Some(nested) = c.get("contains") {
            add_contains(nested, out);
        }
    }
}

fn insert(out: &mut Systems, system: &str, code: &str) {
    match out
        .entry(system.to_string())
        .or_insert_with(|| SystemCodes::Codes(FxHashSet::default()))
    {
        SystemCodes::Codes(c) => {
            c.insert(code.to_string());
        }
        SystemCodes::Unknown => {}
    }
}

fn expand_compose(
    defs: &dyn Definitions,
    compose: &Value,
    seen: &mut Vec<String>,
) -> Result<Systems, String> {
    let mut out = Systems::default();
    for inc in compose["include"].as_array().into_iter().flatten() {
        let part = expand_include(defs, inc, seen)?;
        union(&mut out, part);
    }
    for exc in compose["exclude"].as_array().into_iter().flatten() {
        // An exclude we cannot expand would make every code doubtful; the
        // R4 core sets only exclude explicit concept lists.
        if let Ok(part) = expand_include(defs, exc, seen) {
            subtract(&mut out, &part);
        }
    }
    Ok(out)
}

fn union(out: &mut Systems, part: Systems) {
    for (system, codes) in part {
        match (out.get_mut(&system), codes) {
            (None, codes) => {
                out.insert(system, codes);
            }
            (Some(SystemCodes::Unknown), _) => {}
            (Some(slot), SystemCodes::Unknown) => *slot = SystemCodes::Unknown,
            (Some(SystemCodes::Codes(a)), SystemCodes::Codes(b)) => a.extend(b),
        }
    }
}

fn subtract(out: &mut Systems, part: &Systems) {
    for (system, codes) in part {
        if let (Some(SystemCodes::Codes(a)), SystemCodes::Codes(b)) = (out.get_mut(system), codes) {
            a.retain(|c| !b.contains(c));
        }
    }
}

fn intersect(a: Systems, b: &Systems) -> Systems {
    a.into_iter()
        .filter_map(|(system, codes)| {
            let other = b.get(&system)?;
            Some(match (codes, other) {
                (SystemCodes::Codes(x), SystemCodes::Codes(y)) => (
                    system,
                    SystemCodes::Codes(x.into_iter().filter(|c| y.contains(c)).collect()),
                ),
                (SystemCodes::Codes(x), SystemCodes::Unknown) => (system, SystemCodes::Codes(x)),
                (SystemCodes::Unknown, other) => (system, other.clone()),
            })
        })
        .collect()
}

/// One `include` (or `exclude`): a system part, intersected with every
/// imported value set, as R4 defines.
fn expand_include(
    defs: &dyn Definitions,
    inc: &Value,
    seen: &mut Vec<String>,
) -> Result<Systems, String> {
    let mut result: Option<Systems> = None;
    if let Some(system) = inc["system"].as_str() {
        let codes = system_codes(defs, system, inc);
        let mut s = Systems::default();
        s.insert(system.to_string(), codes);
        result = Some(s);
    }
    for vs in inc["valueSet"].as_array().into_iter().flatten() {
        let url = vs.as_str().unwrap_or_default();
        let imported = expand_inner(defs, url, seen)?;
        result = Some(match result {
            None => imported,
            Some(r) => intersect(r, &imported),
        });
    }
    Ok(result.unwrap_or_default())
}

fn system_codes(defs: &dyn Definitions, system: &str, inc: &Value) -> SystemCodes {
    if let Some(concepts) = inc["concept"].as_array() {
        // An explicit list is exact even when we do not hold the system.
        return SystemCodes::Codes(
            concepts
                .iter()
                .filter_map(|c| c["code"].as_str().map(str::to_string))
                .collect(),
        );
    }
    let Some(cs) = lookup(defs, system).filter(|cs| cs["resourceType"] == "CodeSystem") else {
        return SystemCodes::Unknown;
    };
    if cs["content"].as_str() != Some("complete") {
        return SystemCodes::Unknown;
    }
    let tree = ConceptTree::new(cs);
    let mut codes: Option<FxHashSet<String>> = None;
    for f in inc["filter"].as_array().into_iter().flatten() {
        let matched = match (
            f["property"].as_str(),
            f["op"].as_str(),
            f["value"].as_str(),
        ) {
            (Some("concept"), Some("is-a"), Some(v)) => tree.descendants(v, true),
            (Some("concept"), Some("descendent-of"), Some(v)) => tree.descendants(v, false),
            (Some("concept"), Some("is-not-a"), Some(v)) => {
                let sub = tree.descendants(v, true);
                tree.all()
                    .into_iter()
                    .filter(|c| !sub.contains(c))
                    .collect()
            }
            (Some("concept"), Some("in"), Some(v)) => {
                v.split(',').map(|s| s.trim().to_string()).collect()
            }
            _ => return SystemCodes::Unknown,
        };
        codes = Some(match codes {
            None => matched,
            Some(c) => c.into_iter().filter(|x| matched.contains(x)).collect(),
        });
    }
    SystemCodes::Codes(codes.unwrap_or_else(|| tree.all()))
}

/// A CodeSystem's concepts with their parent/child links (from nesting and
/// from `parent`/`subsumedBy` properties).
struct ConceptTree {
    children: FxHashMap<String, Vec<String>>,
    codes: Vec<String>,
}

impl ConceptTree {
    fn new(cs: &Value) -> Self {
        let mut t = ConceptTree {
            children: FxHashMap::default(),
            codes: Vec::new(),
        };
        t.add(&cs["concept"], None);
        t
    }

    fn add(&mut self, concepts: &Value, parent: Option<&str>) {
        for c in concepts.as_array().into_iter().flatten() {
            let Some(code) = c["code"].as_str() else {
                continue;
            };
            self.codes.push(code.to_string());
            if let Some(p) = parent {
                self.children
                    .entry(p.to_string())
                    .or_default()
                    .push(code.to_string());
            }
            for prop in c["property"].as_array().into_iter().flatten() {
                if matches!(prop["code"].as_str(), Some("parent" | "subsumedBy")) {
                    if let Some(p) = prop["valueCode"].as_str() {
                        self.children
                            .entry(p.to_string())
                            .or_default()
                            .push(code.to_string());
                    }
                }
            }
            self.add(&c["concept"], Some(code));
        }
    }

    fn all(&self) -> FxHashSet<String> {
        self.codes.iter().cloned().collect()
    }

    fn descendants(&self, root: &str, include_self: bool) -> FxHashSet<String> {
        let mut out = FxHashSet::default();
        let mut stack = vec![root.to_string()];
        while let Some(c) = stack.pop() {
            if let Some(kids) = self.children.get(&c) {
                for k in kids {
                    if out.insert(k.clone()) {
                        stack.push(k.clone());
                    }
                }
            }
        }
        if include_self {
            out.insert(root.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Map(Vec<Value>);
    impl Definitions for Map {
        fn resource(&self, url: &str) -> Option<&Value> {
            self.0.iter().find(|r| r["url"] == url)
        }
    }

    fn defs() -> Map {
        Map(vec![
            json!({"resourceType": "CodeSystem", "url": "http://cs", "content": "complete",
                   "concept": [{"code": "a", "concept": [{"code": "a1"}, {"code": "a2"}]}, {"code": "b"}]}),
            json!({"resourceType": "ValueSet", "url": "http://vs-all", "compose": {"include": [{"system": "http://cs"}]}}),
            json!({"resourceType": "ValueSet", "url": "http://vs-isa", "compose": {"include": [{"system": "http://cs",
                   "filter": [{"property": "concept", "op": "is-a", "value": "a"}]}],
                   "exclude": [{"system": "http://cs", "concept": [{"code": "a2"}]}]}}),
            json!({"resourceType": "ValueSet", "url": "http://vs-ext", "compose": {"include": [{"system": "http://snomed.info/sct"},
                   {"valueSet": ["http://vs-isa"]}]}}),
        ])
    }

    #[test]
    fn expands_whole_systems_filters_and_excludes() {
        let d = defs();
        let all = expand(&d, "http://vs-all");
        assert_eq!(all.contains_code("a2"), Membership::In);
        assert_eq!(all.contains_coding("http://cs", "zz"), Membership::NotIn);
        let isa = expand(&d, "http://vs-isa");
        assert_eq!(isa.contains_code("a1"), Membership::In);
        assert_eq!(isa.contains_code("a2"), Membership::NotIn);
        assert_eq!(isa.contains_code("b"), Membership::NotIn);
    }

    #[test]
    fn systems_not_held_are_unknown_not_wrong() {
        let d = defs();
        let ext = expand(&d, "http://vs-ext");
        assert_eq!(
            ext.contains_coding("http://snomed.info/sct", "123"),
            Membership::Unknown
        );
        assert_eq!(ext.contains_coding("http://cs", "a1"), Membership::In);
        assert_eq!(ext.contains_coding("http://other", "x"), Membership::NotIn);
        assert_eq!(ext.contains_code("nope"), Membership::Unknown);
        let missing = expand(&d, "http://nowhere");
        assert_eq!(missing.contains_code("x"), Membership::Unknown);
        assert!(missing
            .unresolved
            .unwrap()
            .contains("not in the loaded packages"));
    }
}
