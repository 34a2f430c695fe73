//! Patient data out of evidence (docs/patient-data.md). The evidence a
//! probe or a scenario run writes quotes what live endpoints answered:
//! request and response bodies, URLs, curl lines, messages. Those files
//! become CI artefacts that many people can download, so by default every
//! patient's NHS number, other identifiers, names, birth date, address,
//! telecom and narrative is replaced by a pseudonym before a document
//! leaves the run.
//!
//! One mechanism, in two halves:
//!
//! * **learning**: [`PatientData::learn_text`] and [`PatientData::learn_json`]
//!   find the values by FHIR structure (a `Patient`, `RelatedPerson` or
//!   `Person` resource anywhere, Bundles included; any `Identifier` with the
//!   NHS number system; `identifier=…nhs-number|…` in URLs; the same
//!   elements in FHIR XML or a cut body). Endpoints learn from every
//!   request and response they carry; a document learns from the bodies it
//!   holds.
//! * **redacting**: [`PatientData::redact_run`], [`PatientData::redact_probe`]
//!   and [`PatientData::redact_regions`] rewrite a whole document: bodies
//!   structurally (patient elements replaced in place), then every text
//!   field (bodies, URLs, headers, curl lines, captures, messages) with
//!   every value learned anywhere in the run replaced wherever it appears.
//!   A ten-digit number that passes the NHS number check digit is replaced
//!   wherever it stands on its own, learned or not.
//!
//! A pseudonym is the kind and a keyed hash of the value
//! (`nhs-number:3f0c1a9b2e`): the key is random per run and never written,
//! so the same patient reads the same across one report (and all its
//! formats) but nothing can be looked up or compared across runs.

use crate::probe::{ProbeReport, RegionProbe, RegionsReport};
use crate::scenario::{HttpRecord, RunResult};
use crate::Outcome;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The system of the NHS number identifier.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// What a narrative (`text.div`) of a patient resource becomes.
pub const NARRATIVE: &str =
    "<div xmlns=\"http://www.w3.org/1999/xhtml\">[patient narrative removed by conform]</div>";

/// Resources about a patient or a person close to them: their names,
/// identifiers and contact details are learned and replaced everywhere.
const PERSON_TYPES: &[&str] = &["Patient", "RelatedPerson", "Person"];
/// Staff: their details are replaced inside the resource only (their names
/// are often ordinary words, and a clinician's name is not a patient's).
const STAFF_TYPES: &[&str] = &["Practitioner"];

/// Learned values shorter than this are replaced in their own element but
/// not in free text (they would mask ordinary words and numbers).
const MIN_TEXT_LEN: usize = 2;
/// The same, for identifiers other than NHS numbers (`1`, `42`...).
const MIN_IDENTIFIER_LEN: usize = 4;
/// Hex digits of the keyed hash in a pseudonym.
const TOKEN_LEN: usize = 10;

/// The kinds of patient data, each with its own pseudonym prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    NhsNumber,
    Identifier,
    Name,
    BirthDate,
    Address,
    Telecom,
}

impl Kind {
    /// The pseudonym's prefix.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NhsNumber => "nhs-number",
            Kind::Identifier => "identifier",
            Kind::Name => "name",
            Kind::BirthDate => "birth-date",
            Kind::Address => "address",
            Kind::Telecom => "telecom",
        }
    }
}

/// Patient values seen in one run, and the run's pseudonym key. Clones
/// share both; [`PatientData::absorb`] adds another run part's values
/// (each endpoint learns on its own) under this one's key.
#[derive(Clone)]
pub struct PatientData {
    values: Arc<Mutex<BTreeMap<String, Kind>>>,
    key: Arc<[u8; 32]>,
}

/// Neither the values nor the key: only how many values there are.
impl std::fmt::Debug for PatientData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientData")
            .field("values", &self.len())
            .finish_non_exhaustive()
    }
}

impl Default for PatientData {
    fn default() -> Self {
        Self::new()
    }
}

impl PatientData {
    /// No values yet, and a fresh random key (never written anywhere).
    pub fn new() -> PatientData {
        let mut seed = Vec::with_capacity(48);
        seed.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        seed.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        seed.extend_from_slice(&std::process::id().to_le_bytes());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        seed.extend_from_slice(&nanos.to_le_bytes());
        PatientData {
            values: Arc::default(),
            key: Arc::new(*blake3::hash(&seed).as_bytes()),
        }
    }

    /// The pseudonym of a value of a kind: the same for the same value in
    /// this run (names and NHS numbers compared as they are meant: case
    /// and spacing aside).
    pub fn pseudonym(&self, kind: Kind, value: &str) -> String {
        let normal = normalise(kind, value);
        let hash = blake3::keyed_hash(&self.key, normal.as_bytes());
        format!("{}:{}", kind.label(), &hash.to_hex()[..TOKEN_LEN])
    }

    /// How many values have been learned.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds every value `other` learned (its key is not used).
    pub fn absorb(&self, other: &PatientData) {
        if Arc::ptr_eq(&self.values, &other.values) {
            return;
        }
        let theirs = other.lock().clone();
        let mut mine = self.lock();
        for (v, k) in theirs {
            remember(&mut mine, v, k);
        }
    }

    /// Learns from a body, URL or any text: FHIR JSON by structure, and in
    /// other text (FHIR XML, a body cut short, a URL) NHS numbers after
    /// the NHS number system and the values of patient elements.
    pub fn learn_text(&self, text: &str) {
        if !mentions_patient_data(text) {
            return;
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                self.learn_json(&v);
                return;
            }
        }
        let mut found = Vec::new();
        scan_text(text, &mut found);
        self.add(found);
    }

    /// [`PatientData::learn_text`] for bytes (a body as received).
    pub fn learn_bytes(&self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.learn_text(&String::from_utf8_lossy(bytes));
        }
    }

    /// Learns from FHIR JSON.
    pub fn learn_json(&self, v: &Value) {
        let mut found = Vec::new();
        learn_value(v, &mut found);
        self.add(found);
    }

    fn add(&self, found: Vec<(String, Kind)>) {
        if found.is_empty() {
            return;
        }
        let mut set = self.lock();
        for (v, k) in found {
            remember(&mut set, v, k);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Kind>> {
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every learned value in `text` replaced by its pseudonym, and every
    /// stand-alone valid NHS number too.
    pub fn redact_text(&self, text: &str) -> String {
        self.replacer().apply(text)
    }

    /// A body: FHIR JSON rewritten structurally (kept pretty when it was),
    /// then as text.
    pub fn redact_body(&self, body: &str) -> String {
        self.replacer().body(body)
    }

    /// Rewrites a FHIR JSON value in place: patient elements replaced by
    /// pseudonyms (only those; the text of other elements is left to
    /// [`PatientData::redact_text`]).
    pub fn redact_json(&self, v: &mut Value) {
        scrub_value(self, v);
    }

    /// A scenario run's document: learns from every body and URL it holds,
    /// then rewrites every body and text field.
    pub fn redact_run(&self, run: &mut RunResult) {
        for step in run.scenarios.iter().flat_map(|s| &s.steps) {
            let Some(ex) = &step.exchange else { continue };
            for r in std::iter::once(&ex.request).chain(&ex.response) {
                self.learn_text(r.url.as_deref().unwrap_or(""));
                self.learn_text(r.body.as_deref().unwrap_or(""));
            }
        }
        let r = self.replacer();
        for s in &mut run.scenarios {
            // A matrix value can be a patient's (S9 runs once per home
            // region and its patient); the scenario's id is left as it is.
            for v in s.identity.matrix.values_mut() {
                r.json_text(v);
            }
            r.option(&mut s.reason);
            for step in &mut s.steps {
                r.option(&mut step.reason);
                for v in step.captures.values_mut() {
                    *v = r.apply(v);
                }
                for a in &mut step.assertions {
                    r.outcome(a);
                }
                if let Some(ex) = &mut step.exchange {
                    r.record(&mut ex.request);
                    if let Some(resp) = &mut ex.response {
                        r.record(resp);
                    }
                    ex.curl = r.apply(&ex.curl);
                }
            }
        }
    }

    /// One endpoint's probe report (its bodies are not kept: what the
    /// endpoint learned is what is replaced).
    pub fn redact_probe(&self, report: &mut ProbeReport) {
        let r = self.replacer();
        for c in &mut report.checks {
            r.outcome(&mut c.outcome);
        }
    }

    /// A probe of many regions: each region's problem and report.
    pub fn redact_regions(&self, report: &mut RegionsReport) {
        for region in &mut report.regions {
            self.redact_region(region);
        }
    }

    /// One region of a probe: its problem and its report.
    pub fn redact_region(&self, region: &mut RegionProbe) {
        let r = self.replacer();
        if let Some(p) = &mut region.problem {
            r.outcome(p);
        }
        for c in region.report.iter_mut().flat_map(|rep| &mut rep.checks) {
            r.outcome(&mut c.outcome);
        }
    }

    /// One outcome's message, why, fix and URL.
    pub fn redact_outcome(&self, o: &mut Outcome) {
        self.replacer().outcome(o);
    }

    fn replacer(&self) -> Replacer<'_> {
        let set = self.lock().clone();
        let mut needles = Vec::new();
        for (value, kind) in set {
            let p = self.pseudonym(kind, &value);
            for variant in variants(kind, &value) {
                needles.push(Needle {
                    text: variant,
                    kind,
                    pseudonym: p.clone(),
                });
            }
        }
        // Longest first, so a value containing another is replaced whole.
        needles.sort_by(|a, b| b.text.len().cmp(&a.text.len()).then(a.text.cmp(&b.text)));
        needles.dedup_by(|a, b| a.text == b.text);
        Replacer {
            data: self,
            needles,
        }
    }
}

fn remember(set: &mut BTreeMap<String, Kind>, value: String, kind: Kind) {
    let value = value.trim().to_string();
    if value.is_empty() {
        return;
    }
    // An NHS number is the stronger reading of a value seen as both.
    let e = set.entry(value).or_insert(kind);
    if kind == Kind::NhsNumber {
        *e = kind;
    }
}

fn normalise(kind: Kind, value: &str) -> String {
    match kind {
        Kind::NhsNumber => value.chars().filter(char::is_ascii_digit).collect(),
        Kind::Name => value.trim().to_lowercase(),
        _ => value.trim().to_string(),
    }
}

/// Cheap test before parsing a body: could it hold patient data at all?
fn mentions_patient_data(text: &str) -> bool {
    text.contains("nhs-number")
        || PERSON_TYPES.iter().any(|t| text.contains(t))
        || text.contains("birthDate")
}

// ---- learning ---------------------------------------------------------

fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.map(items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

fn is_nhs_identifier(o: &Map<String, Value>) -> bool {
    o.get("system").and_then(Value::as_str) == Some(NHS_NUMBER_SYSTEM)
}

fn resource_type(o: &Map<String, Value>) -> Option<&str> {
    o.get("resourceType").and_then(Value::as_str)
}

fn learn_value(v: &Value, found: &mut Vec<(String, Kind)>) {
    match v {
        Value::Object(o) => {
            if resource_type(o).is_some_and(|t| PERSON_TYPES.contains(&t)) {
                learn_person(o, found);
            }
            if is_nhs_identifier(o) {
                if let Some(n) = o.get("value").and_then(Value::as_str) {
                    found.push((n.to_string(), Kind::NhsNumber));
                }
            }
            for x in o.values() {
                learn_value(x, found);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| learn_value(x, found)),
        _ => {}
    }
}

/// The parts of a person's elements that identify them: learned for free
/// text and replaced in place.
const PERSON_PARTS: &[(&str, &[&str], Kind)] = &[
    ("name", &["family", "given", "text"], Kind::Name),
    ("address", &["line", "text", "postalCode"], Kind::Address),
    ("telecom", &["value"], Kind::Telecom),
];
/// Parts of an address replaced in place but not learned: a town's name
/// is no one's in particular, and would mask every other mention of it.
const ADDRESS_PLACES: &[&str] = &["city", "district", "state"];

fn identifier_kind(id: &Map<String, Value>) -> Kind {
    if is_nhs_identifier(id) {
        Kind::NhsNumber
    } else {
        Kind::Identifier
    }
}

/// The identifying elements of a person (a Patient, or one of its
/// `contact`s).
fn learn_person(o: &Map<String, Value>, found: &mut Vec<(String, Kind)>) {
    let objects = |element: &str| {
        o.get(element)
            .map(items)
            .unwrap_or_default()
            .into_iter()
            .filter_map(Value::as_object)
    };
    for id in objects("identifier") {
        for s in strings(id.get("value")) {
            found.push((s.to_string(), identifier_kind(id)));
        }
    }
    for (element, parts, kind) in PERSON_PARTS {
        for e in objects(element) {
            for s in parts.iter().flat_map(|part| strings(e.get(*part))) {
                found.push((s.to_string(), *kind));
            }
        }
    }
    for s in strings(o.get("birthDate")) {
        found.push((s.to_string(), Kind::BirthDate));
    }
    for c in objects("contact") {
        learn_person(c, found);
    }
}

/// Patient elements in text that is not JSON (FHIR XML, a body cut at the
/// recorded size, a URL): `<family value="…"/>`, `"family": "…"`, and a
/// ten-digit number shortly after the NHS number system.
fn scan_text(text: &str, found: &mut Vec<(String, Kind)>) {
    let mut from = 0;
    while let Some(i) = text[from..].find("nhs-number") {
        let start = from + i + "nhs-number".len();
        let window: String = text[start..].chars().take(120).collect();
        if let Some(n) = first_ten_digits(&window) {
            found.push((n, Kind::NhsNumber));
        }
        from = start;
    }
    if !PERSON_TYPES.iter().any(|t| text.contains(t)) {
        return;
    }
    search_values(text, found);
    for (element, kind) in [
        ("family", Kind::Name),
        ("given", Kind::Name),
        ("birthDate", Kind::BirthDate),
        ("postalCode", Kind::Address),
        ("line", Kind::Address),
    ] {
        for v in xml_values(text, element)
            .into_iter()
            .chain(json_values(text, element))
        {
            found.push((v, kind));
        }
    }
}

/// The demographic parameters of a search for a person
/// (`Patient?family=Shaw&birthdate=eq1968-04-12`): a trace by name and
/// birth date puts them in the URL even when nothing is found.
fn search_values(text: &str, found: &mut Vec<(String, Kind)>) {
    for t in PERSON_TYPES {
        for (i, _) in text.match_indices(&format!("{t}?")) {
            let query = &text[i + t.len() + 1..];
            let query = query
                .split(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == '#')
                .next()
                .unwrap_or("");
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                let kind = match name.split(':').next().unwrap_or("") {
                    "family" | "given" | "name" => Kind::Name,
                    "birthdate" => Kind::BirthDate,
                    "phone" | "email" | "telecom" => Kind::Telecom,
                    "address" | "address-postalcode" => Kind::Address,
                    "identifier" => Kind::Identifier,
                    _ => continue,
                };
                for v in value.split(',') {
                    // `eq1968-04-12`; `system|value`.
                    let v = match kind {
                        Kind::BirthDate => v.trim_start_matches(char::is_alphabetic),
                        Kind::Identifier => v.rsplit('|').next().unwrap_or(v),
                        _ => v,
                    };
                    let kind = if kind == Kind::Identifier && v.len() == 10 && is_nhs_number(v) {
                        Kind::NhsNumber
                    } else {
                        kind
                    };
                    found.push((v.to_string(), kind));
                }
            }
        }
    }
}

/// The first run of exactly ten digits (spaces allowed as `3 3 4`).
fn first_ten_digits(window: &str) -> Option<String> {
    let b = window.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let run: String = window[i..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ' ')
                .collect();
            let digits: String = run.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 10 {
                return (digits.len() == 10).then_some(digits);
            }
        }
        i += 1;
    }
    None
}

/// `<element value="X"` in FHIR XML.
fn xml_values(text: &str, element: &str) -> Vec<String> {
    let open = format!("<{element} value=\"");
    text.match_indices(open.as_str())
        .filter_map(|(i, _)| {
            let rest = &text[i + open.len()..];
            rest.find('"').map(|end| unescape_xml(&rest[..end]))
        })
        .collect()
}

fn unescape_xml(s: &str) -> String {
    s.replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `"element": "X"` or `"element": ["X", "Y"]` in JSON text that does not
/// parse (cut short).
fn json_values(text: &str, element: &str) -> Vec<String> {
    let key = format!("\"{element}\"");
    let mut out = Vec::new();
    for (i, _) in text.match_indices(key.as_str()) {
        let rest = text[i + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let (list, rest) = match rest.strip_prefix('[') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let mut rest = rest;
        loop {
            rest = rest.trim_start();
            let Some(r) = rest.strip_prefix('"') else {
                break;
            };
            let Some(end) = json_string_end(r) else {
                break;
            };
            if let Ok(s) = serde_json::from_str::<String>(&format!("\"{}\"", &r[..end])) {
                out.push(s);
            }
            rest = r[end + 1..].trim_start();
            match rest.strip_prefix(',') {
                Some(r) if list => rest = r,
                _ => break,
            }
        }
    }
    out
}

/// Where a JSON string's closing quote is (after its opening one).
fn json_string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

// ---- structural redaction ---------------------------------------------

fn scrub_value(data: &PatientData, v: &mut Value) {
    match v {
        Value::Object(o) => {
            let rt = resource_type(o).map(str::to_string);
            match rt.as_deref() {
                Some(t) if PERSON_TYPES.contains(&t) || STAFF_TYPES.contains(&t) => {
                    scrub_person(data, o)
                }
                _ => {}
            }
            if is_nhs_identifier(o) {
                replace_string(data, o.get_mut("value"), Kind::NhsNumber);
            }
            // A reference to a patient names them in its display.
            let to_person = o
                .get("reference")
                .and_then(Value::as_str)
                .is_some_and(|r| PERSON_TYPES.iter().any(|t| r.contains(&format!("{t}/"))));
            if to_person {
                replace_string(data, o.get_mut("display"), Kind::Name);
            }
            for x in o.values_mut() {
                scrub_value(data, x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scrub_value(data, x)),
        _ => {}
    }
}

fn replace_string(data: &PatientData, v: Option<&mut Value>, kind: Kind) {
    match v {
        Some(Value::String(s)) if !is_pseudonym(s) => *s = data.pseudonym(kind, s),
        Some(Value::Array(a)) => a
            .iter_mut()
            .for_each(|x| replace_string(data, Some(x), kind)),
        _ => {}
    }
}

fn each_object(v: Option<&mut Value>) -> Vec<&mut Map<String, Value>> {
    match v {
        Some(Value::Array(a)) => a.iter_mut().filter_map(Value::as_object_mut).collect(),
        Some(Value::Object(o)) => vec![o],
        _ => Vec::new(),
    }
}

fn scrub_person(data: &PatientData, o: &mut Map<String, Value>) {
    for id in each_object(o.get_mut("identifier")) {
        let kind = identifier_kind(id);
        replace_string(data, id.get_mut("value"), kind);
    }
    for (element, parts, kind) in PERSON_PARTS {
        for e in each_object(o.get_mut(*element)) {
            for part in *parts {
                replace_string(data, e.get_mut(*part), *kind);
            }
            if *element == "address" {
                for part in ADDRESS_PLACES {
                    replace_string(data, e.get_mut(*part), Kind::Address);
                }
            }
        }
    }
    replace_string(data, o.get_mut("birthDate"), Kind::BirthDate);
    if let Some(Value::Object(text)) = o.get_mut("text") {
        if text.contains_key("div") {
            text.insert("div".into(), Value::String(NARRATIVE.into()));
        }
    }
    // A photograph identifies as well as a name does.
    o.remove("photo");
    for c in each_object(o.get_mut("contact")) {
        scrub_person(data, c);
    }
}

// ---- text redaction ---------------------------------------------------

/// One text form of a learned value, and what replaces it.
struct Needle {
    text: String,
    kind: Kind,
    pseudonym: String,
}

/// The forms a value takes in text: as is, in a URL query (`+` or `%20`
/// for spaces, `%7C` and the like), inside a shell-quoted curl argument,
/// and an NHS number spaced `3 3 4`.
fn variants(kind: Kind, value: &str) -> Vec<String> {
    let min = match kind {
        Kind::Identifier => MIN_IDENTIFIER_LEN,
        _ => MIN_TEXT_LEN,
    };
    if value.chars().count() < min {
        return Vec::new();
    }
    let mut out = vec![value.to_string()];
    // A family name is often written in capitals (`SHAW, Amelia`).
    if kind == Kind::Name {
        out.push(value.to_uppercase());
    }
    if kind == Kind::NhsNumber {
        let d: String = value.chars().filter(char::is_ascii_digit).collect();
        if d.len() == 10 {
            out.push(format!("{} {} {}", &d[..3], &d[3..6], &d[6..]));
            out.push(d);
        }
    }
    if value.contains('\'') {
        out.push(value.replace('\'', r"'\''"));
    }
    if let Ok(json) = serde_json::to_string(value) {
        out.push(json[1..json.len() - 1].to_string());
    }
    // As a query value is written (`+` for a space), and with `%20`.
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    if encoded != value {
        out.push(encoded.replace('+', "%20"));
        out.push(encoded);
    }
    out.sort();
    out.dedup();
    out
}

struct Replacer<'a> {
    data: &'a PatientData,
    needles: Vec<Needle>,
}

impl Replacer<'_> {
    fn apply(&self, text: &str) -> String {
        let mut out = std::borrow::Cow::Borrowed(text);
        for n in &self.needles {
            if let Some(replaced) = replace_bounded(&out, n) {
                out = std::borrow::Cow::Owned(replaced);
            }
        }
        mask_nhs_numbers(self.data, &out)
    }

    fn option(&self, s: &mut Option<String>) {
        if let Some(t) = s {
            *t = self.apply(t);
        }
    }

    fn body(&self, body: &str) -> String {
        let trimmed = body.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(mut v) = serde_json::from_str::<Value>(body) {
                scrub_value(self.data, &mut v);
                let text = if body.contains('\n') {
                    serde_json::to_string_pretty(&v)
                } else {
                    serde_json::to_string(&v)
                };
                if let Ok(text) = text {
                    return self.apply(&text);
                }
            }
        }
        self.apply(body)
    }

    /// Every string of a JSON value, as text.
    fn json_text(&self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.apply(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.json_text(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.json_text(x)),
            _ => {}
        }
    }

    fn record(&self, r: &mut HttpRecord) {
        self.option(&mut r.url);
        for (_, v) in &mut r.headers {
            *v = self.apply(v);
        }
        if let Some(b) = &mut r.body {
            *b = self.body(b);
        }
    }

    fn outcome(&self, o: &mut Outcome) {
        o.message = self.apply(&o.message);
        self.option(&mut o.why);
        self.option(&mut o.fix);
        self.option(&mut o.location.url);
    }
}

/// `text` with every occurrence of the needle that stands on its own
/// (not inside a longer word, or a longer number) replaced; `None` when
/// there is none. Names match as written or in capitals, not in lower
/// case: a name that is also a word (`Restricted`, `Hope`) leaves the
/// tool's own sentences alone.
fn replace_bounded(text: &str, n: &Needle) -> Option<String> {
    if n.text.is_empty() || !text.contains(n.text.as_str()) {
        return None;
    }
    // A number or a date stands on its own next to anything but a digit
    // (`eq1968-04-12` in a search).
    let digits_only = matches!(n.kind, Kind::NhsNumber | Kind::BirthDate);
    let joins = |c: Option<char>| match c {
        None => false,
        Some(c) if digits_only => c.is_ascii_digit(),
        Some(c) => c.is_alphanumeric(),
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, m) in text.match_indices(n.text.as_str()) {
        let end = i + m.len();
        if !joins(text[..i].chars().next_back()) && !joins(text[end..].chars().next()) {
            out.push_str(&text[last..i]);
            out.push_str(&n.pseudonym);
            last = end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

const KINDS: [Kind; 6] = [
    Kind::NhsNumber,
    Kind::Identifier,
    Kind::Name,
    Kind::BirthDate,
    Kind::Address,
    Kind::Telecom,
];

/// Whether a value is already a pseudonym (`name:0a1b2c3d4e`).
fn is_pseudonym(s: &str) -> bool {
    s.split_once(':').is_some_and(|(label, token)| {
        KINDS.iter().any(|k| k.label() == label)
            && token.len() == TOKEN_LEN
            && token.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Whether ten digits are a valid NHS number (Modulus 11).
pub fn is_nhs_number(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 || digits.len() != 10 {
        return false;
    }
    let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(x, w)| x * w).sum();
    match 11 - sum % 11 {
        11 => d[9] == 0,
        10 => false,
        c => d[9] == c,
    }
}

/// Every run of exactly ten digits standing on its own (or after a
/// percent-encoded separator such as `%7C`) that passes the NHS number
/// check, replaced by its pseudonym.
fn mask_nhs_numbers(data: &PatientData, text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric() || (i >= 3 && b[i - 3] == b'%');
        let after_ok = end == b.len() || !b[end].is_ascii_alphanumeric();
        // A pseudonym's token can be ten decimal digits too.
        let token = text[..i]
            .strip_suffix(':')
            .is_some_and(|before| KINDS.iter().any(|k| before.ends_with(k.label())));
        if end - i == 10 && before_ok && after_ok && !token && is_nhs_number(&text[i..end]) {
            out.push_str(&text[last..i]);
            out.push_str(&data.pseudonym(Kind::NhsNumber, &text[i..end]));
            last = end;
        }
        i = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests;
