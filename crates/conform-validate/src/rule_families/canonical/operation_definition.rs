//! An OperationDefinition (R4 §2.39 "OperationDefinition", and the
//! reference's `OperationDefinitionValidator`): its `inputProfile` and
//! `outputProfile` are profiles on Parameters, and each slice of their
//! `Parameters.parameter` (told apart by a fixed or pattern `name`) must
//! agree with the operation's parameter of that name and use: the same
//! cardinality, the same types, the same target profiles. A `base` chain
//! must not lead back to the operation itself.

use crate::finding::{rules, IssueCode, Severity};
use crate::plan::profile::{NodeIdx, ProfileNode, ProfilePlan, ProfileSet, ProfileType};
use crate::profile::Values;
use crate::rule_families::Report;
use crate::terminology::Definitions;
use crate::walk::Walker;
use conform_json::{Document, NodeId};

const ALLOWED_TYPE: &str =
    "http://hl7.org/fhir/StructureDefinition/operationdefinition-allowed-type";

/// One finding: severity, rule, where below the OperationDefinition, what.
type Found = (Severity, &'static str, Option<String>, String);

/// An operation's parameter, as read from the instance.
struct Param {
    index: usize,
    name: String,
    use_: String,
    min: Option<u64>,
    max: Option<String>,
    /// `type`, or the allowed-type extensions that widen it.
    types: Vec<String>,
    type_code: Option<String>,
    target_profiles: Vec<String>,
}

impl Walker<'_> {
    pub(crate) fn operation_definition(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut found: Vec<Found> = Vec::new();
        if let (Some(url), Some(base)) = (doc.get_str(node, "url"), doc.get_str(node, "base")) {
            found.extend(self.circular_base(&url, &base));
        }
        let params: Vec<Param> = super::items(doc, node, "parameter")
            .enumerate()
            .map(|(index, p)| read_param(doc, p, index))
            .collect();
        for (key, use_) in [("inputProfile", "in"), ("outputProfile", "out")] {
            if let Some(url) = doc.get_str(node, key) {
                found.extend(against_profile(
                    &self.plans.profiles,
                    self.values,
                    &url,
                    key,
                    use_,
                    &params,
                ));
            }
        }
        for (severity, rule, at, message) in found {
            self.report(
                severity,
                IssueCode::BusinessRule,
                rule,
                node,
                at.as_deref(),
                message,
            );
        }
    }

    /// Follows `base` through the loaded OperationDefinitions; reaching the
    /// operation's own url again is an error.
    fn circular_base(&self, url: &str, base: &str) -> Option<Found> {
        let mut next = base.to_string();
        for _ in 0..64 {
            let parent = self
                .context
                .resource(&next)
                .filter(|r| r["resourceType"] == "OperationDefinition")?;
            if parent["url"].as_str() == Some(url) {
                return Some((Severity::Error, rules::OPERATION_DEFINITION_BASE, Some("base".into()),
                    format!("The base chain of this OperationDefinition leads back to itself ({url}, by way of {next})")));
            }
            next = parent["base"].as_str()?.to_string();
        }
        None
    }
}

fn read_param(doc: &Document<'_>, p: NodeId, index: usize) -> Param {
    let text = |k: &str| doc.get_str(p, k).map(|s| s.into_owned());
    let type_code = text("type");
    let extended: Vec<String> = super::items(doc, p, "extension")
        .filter(|e| doc.get_str(*e, "url").as_deref() == Some(ALLOWED_TYPE))
        .filter_map(|e| doc.get_str(e, "valueUri").map(|s| s.into_owned()))
        .collect();
    Param {
        index,
        name: text("name").unwrap_or_default(),
        use_: text("use").unwrap_or_default(),
        min: doc.get(p, "min").and_then(|m| doc.raw(m)?.parse().ok()),
        max: text("max"),
        types: if extended.is_empty() {
            type_code.iter().cloned().collect()
        } else {
            extended
        },
        type_code,
        target_profiles: super::strings(doc, p, "targetProfile"),
    }
}

/// The profile's parameter slices against the operation's parameters of
/// `use_`.
fn against_profile(
    profiles: &ProfileSet,
    values: &Values,
    url: &str,
    key: &str,
    use_: &str,
    params: &[Param],
) -> Vec<Found> {
    let rule = rules::OPERATION_DEFINITION_PROFILE;
    let at = Some(key.to_string());
    let Some(profile) = profiles.get(url) else {
        let why = profiles
            .failed
            .get(url.split('|').next().unwrap_or(url))
            .map(|w| format!(": {w}"))
            .unwrap_or_else(|| " in the loaded packages".into());
        return vec![(
            Severity::Error,
            rule,
            at,
            format!("The '{use_}' profile {url} cannot be used{why}"),
        )];
    };
    if profile.type_name != "Parameters" {
        return vec![(
            Severity::Error,
            rule,
            at,
            format!(
                "The '{use_}' profile {url} is a profile of {}, not of Parameters",
                profile.type_name
            ),
        )];
    }
    let mut found = Vec::new();
    let mut matched = Vec::new();
    let root = profile.node(profile.root);
    let slices = child(profile, root, "parameter")
        .and_then(|p| p.slicing.as_ref())
        .map_or(&[][..], |s| &s.slices[..]);
    for &slice_idx in slices {
        let slice = profile.node(slice_idx);
        let name = child(profile, slice, "name")
            .and_then(|n| n.fixed.or(n.pattern))
            .and_then(|v| values.get(v).as_str());
        let Some(name) = name else {
            found.push((
                Severity::Error,
                rule,
                at.clone(),
                format!(
                    "The '{use_}' profile's parameter slice {} does not fix the parameter's name",
                    slice.id
                ),
            ));
            continue;
        };
        match params.iter().find(|p| p.name == name && p.use_ == use_) {
            None => found.push((Severity::Warning, rule, at.clone(), format!("The '{use_}' profile {url} defines a parameter '{name}' that the operation's parameters do not list"))),
            Some(param) => {
                matched.push(param.index);
                found.extend(compare(profile, slice, param, use_, url));
            }
        }
    }
    for p in params
        .iter()
        .filter(|p| p.use_ == use_ && !matched.contains(&p.index))
    {
        found.push((
            Severity::Warning,
            rule,
            Some(format!("parameter[{}]", p.index)),
            format!(
                "The operation's '{use_}' parameter '{}' is not in its '{use_}' profile {url}",
                p.name
            ),
        ));
    }
    found
}

/// A parameter against its slice: cardinality, types and target profiles.
fn compare(
    profile: &ProfilePlan,
    slice: &ProfileNode,
    param: &Param,
    use_: &str,
    url: &str,
) -> Vec<Found> {
    let rule = rules::OPERATION_DEFINITION_PROFILE;
    let at = Some(format!("parameter[{}]", param.index));
    let name = &param.name;
    let mut found = Vec::new();
    let mut mismatch = |what: &str, ours: String, theirs: String| {
        found.push((Severity::Error, rule, at.clone(), format!(
            "The parameter '{name}' has {what} {ours} here but {theirs} in the '{use_}' profile {url}")));
    };
    if let Some(min) = param.min.filter(|m| *m != u64::from(slice.min)) {
        mismatch("min", min.to_string(), slice.min.to_string());
    }
    if let Some(max) = param.max.as_deref().and_then(parse_max) {
        if max != slice.max {
            mismatch("max", show_max(max), show_max(slice.max));
        }
    }
    // Which of value[x], resource and part carries the parameter: one that
    // may occur while neither other one is required.
    let parts: Vec<Option<&ProfileNode>> = ["value", "resource", "part"]
        .iter()
        .map(|n| child(profile, slice, n))
        .collect();
    let used = |i: usize| {
        parts[i].is_some_and(|n| n.max > 0)
            && (0..3)
                .filter(|&j| j != i)
                .all(|j| parts[j].is_none_or(|n| n.min == 0))
    };
    let mut profile_types: Vec<&ProfileType> = Vec::new();
    for i in [0, 1] {
        if used(i) {
            profile_types.extend(&parts[i].expect("used").types);
        }
    }
    let codes: Vec<&str> = profile_types.iter().map(|t| t.code.as_str()).collect();
    let targets: Vec<&str> = profile_types
        .iter()
        .flat_map(|t| t.target_profiles.iter().map(String::as_str))
        .collect();
    for t in &codes {
        if !param.types.iter().any(|p| p == t) {
            found.push((Severity::Error, rule, at.clone(), format!(
                "The '{use_}' profile {url} allows the type {t} for the parameter '{name}', which the parameter's types ({}) do not", list(&param.types))));
        }
    }
    for t in &param.types {
        if !codes.contains(&t.as_str()) {
            found.push((Severity::Error, rule, at.clone(), format!(
                "The parameter '{name}' allows the type {t}, which the '{use_}' profile {url} does not (it allows {})", list(&codes))));
        }
    }
    for t in &param.target_profiles {
        if !targets.contains(&t.as_str()) {
            found.push((Severity::Error, rule, at.clone(), format!(
                "The parameter '{name}' allows the target profile {t}, which the '{use_}' profile {url} does not (it allows {})", list(&targets))));
        }
    }
    // A parameter of type Element may be a Reference or a canonical, and
    // cannot list target profiles itself (opd-3), so its profile's cannot
    // be compared.
    if param.type_code.as_deref() != Some("Element") {
        for t in &targets {
            if !param.target_profiles.iter().any(|p| p == t) {
                found.push((Severity::Error, rule, at.clone(), format!(
                    "The '{use_}' profile {url} allows the target profile {t} for the parameter '{name}', which the parameter does not (it allows {})", list(&param.target_profiles))));
            }
        }
    }
    found
}

/// The child element `name` of a profile node.
fn child<'p>(profile: &'p ProfilePlan, node: &ProfileNode, name: &str) -> Option<&'p ProfileNode> {
    node.children
        .iter()
        .map(|&i: &NodeIdx| profile.node(i))
        .find(|c| c.name == name)
}

fn parse_max(max: &str) -> Option<u32> {
    if max == "*" {
        Some(crate::plan::UNBOUNDED)
    } else {
        max.parse().ok()
    }
}

fn show_max(max: u32) -> String {
    if max == crate::plan::UNBOUNDED {
        "*".into()
    } else {
        max.to_string()
    }
}

/// A sorted list for messages, or `(none)`.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let mut v: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    v.sort_unstable();
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}
