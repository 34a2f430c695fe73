//! A Measure's groups and its stratifiers' CQL criteria (R4), as the
//! reference validator's Measure check judges them:
//!
//! | rule | what |
//! |---|---|
//! | `measure-group` | no group; a group without a code beside others, or without populations; a population or stratifier without a code beside others (warnings) |
//! | `measure-criteria` | a stratifier's CQL criteria (`text/cql`, `text/cql.identifier`): no Library the Measure names is loaded; a `Library.expression` whose namespace names none of them, or more than one; an expression without a namespace where there is more than one Library; the chosen Library has no compiled ELM (`application/elm+xml` content), or ELM that does not parse, is not an ELM library, or defines no statement of that name (errors); a criteria language conform cannot evaluate (warning) |
//!
//! The reference checks criteria on stratifiers only (population criteria
//! are left alone), and so does conform. Where the Measure names Libraries
//! but none is loaded (`--ig`, a package, the run's supporting resources),
//! the criteria are reported as not checked (information), as a code of a
//! code system not loaded is; the reference counts them as absent and
//! reports that no CQL Library was found (an error).

use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::terminology::Definitions;
use crate::walk::Walker;
use base64::Engine;
use conform_json::NodeId;
use serde_json::Value;

/// ELM's namespace (the CQL compiler's output).
const ELM_NS: &str = "urn:hl7-org:elm:r1";

impl<'a> Walker<'a> {
    pub(crate) fn measure(&mut self, node: NodeId) {
        let doc = self.doc;
        let context = self.context;
        let named: Vec<String> = doc
            .get(node, "library")
            .map_or(&[][..], |l| doc.elements(l))
            .iter()
            .filter_map(|&l| doc.str(l).map(|c| c.into_owned()))
            .collect();
        let libraries: Vec<&Value> = named
            .iter()
            .filter_map(|canonical| context.resource(canonical))
            .filter(|r| r["resourceType"] == "Library")
            .collect();
        let libraries = Libraries {
            named: &named,
            loaded: libraries,
        };
        let groups = doc.get(node, "group").map_or(&[][..], |g| doc.elements(g));
        if groups.is_empty() {
            self.measure_group_warning(
                node,
                None,
                "A measure should contain at least one group".into(),
            );
            return;
        }
        for (g, &group) in groups.iter().enumerate() {
            let at = format!("group[{g}]");
            if groups.len() > 1 && doc.get(group, "code").is_none() {
                self.measure_group_warning(
                    group,
                    Some(&at),
                    "Groups should have codes when there is more than one group".into(),
                );
            }
            let populations = doc
                .get(group, "population")
                .map_or(&[][..], |p| doc.elements(p));
            if populations.is_empty() {
                self.measure_group_warning(
                    group,
                    Some(&at),
                    "Measure Groups should have at least one population".into(),
                );
            }
            for (p, &population) in populations.iter().enumerate() {
                if populations.len() > 1 && doc.get(population, "code").is_none() {
                    self.measure_group_warning(population, Some(&format!("{at}.population[{p}]")), "A measure group population should have a code when there is more than one population".into());
                }
            }
            let stratifiers = doc
                .get(group, "stratifier")
                .map_or(&[][..], |s| doc.elements(s));
            for (s, &stratifier) in stratifiers.iter().enumerate() {
                let at = format!("{at}.stratifier[{s}]");
                if stratifiers.len() > 1 && doc.get(stratifier, "code").is_none() {
                    self.measure_group_warning(stratifier, Some(&at), "A measure group stratifier should have a code when there is more than one stratifier".into());
                }
                if let Some(criteria) = doc.get(stratifier, "criteria") {
                    self.criteria(criteria, &format!("{at}.criteria"), &libraries);
                }
            }
        }
    }

    fn measure_group_warning(&mut self, node: NodeId, at: Option<&str>, message: String) {
        self.report(
            Severity::Warning,
            IssueCode::Required,
            rules::MEASURE_GROUP,
            node,
            at,
            message,
        );
    }

    /// A stratifier's criteria (an Expression) against the Libraries.
    fn criteria(&mut self, criteria: NodeId, at: &str, libraries: &Libraries<'_, '_>) {
        let doc = self.doc;
        let Some(language) = doc.get_str(criteria, "language") else {
            return; // required: the cardinality check reports it
        };
        if !matches!(language.as_ref(), "text/cql" | "text/cql.identifier") {
            let message = format!(
                "The expression language {language} is not supported, so can't be validated"
            );
            self.criteria_finding(criteria, at, Severity::Warning, message);
            return;
        }
        let expression = doc
            .get_str(criteria, "expression")
            .map(|e| e.into_owned())
            .unwrap_or_default();
        if libraries.named.is_empty() {
            let message = "No CQL Libraries found on this Measure: CQL criteria need the Library that defines them".to_string();
            self.criteria_finding(criteria, at, Severity::Error, message);
            return;
        }
        // Named but not held: the criteria cannot be judged here, as a code
        // of a code system not loaded cannot.
        if libraries.loaded.is_empty() {
            let message = format!(
                "The CQL criteria were not checked: the Libraries the Measure names ({}) are not loaded (load them with --ig)",
                libraries.named.join(", ")
            );
            self.criteria_finding(criteria, at, Severity::Information, message);
            return;
        }
        let libraries = &libraries.loaded[..];
        let (library, name) = match expression.split_once('.') {
            Some((namespace, name)) => {
                let named: Vec<&&Value> = libraries
                    .iter()
                    .filter(|l| l["name"].as_str() == Some(namespace))
                    .collect();
                match named[..] {
                    [one] => (*one, name),
                    [] => {
                        let message =
                            format!("No matching Library found for the namespace {namespace}");
                        self.criteria_finding(criteria, at, Severity::Error, message);
                        return;
                    }
                    _ => {
                        let message = format!(
                            "Multiple matching libraries found for the namespace {namespace}"
                        );
                        self.criteria_finding(criteria, at, Severity::Error, message);
                        return;
                    }
                }
            }
            None => match libraries {
                [one] => (*one, expression.as_str()),
                _ => {
                    let message = "If the CQL expression does not include a namespace, there can only be one Library for the measure".to_string();
                    self.criteria_finding(criteria, at, Severity::Error, message);
                    return;
                }
            },
        };
        let url = library["url"].as_str().unwrap_or("(no url)");
        let problem = match compiled_elm(library) {
            None => Some(format!(
                "Error in {url}: No compiled version of CQL found (application/elm+xml content)"
            )),
            Some(Err(why)) => Some(format!("Error in {url}: '{why}'")),
            Some(Ok(elm)) => elm_problem(&elm, name).map(|p| match p {
                ElmProblem::Unreadable(why) => format!("Error in {url}: '{why}'"),
                ElmProblem::NotElm => {
                    format!("Error in {url}: Compiled version of CQL is not valid")
                }
                ElmProblem::NoStatement => {
                    format!("The function {name} does not exist in the library {url}")
                }
            }),
        };
        if let Some(message) = problem {
            self.criteria_finding(criteria, at, Severity::Error, message);
        }
    }

    fn criteria_finding(&mut self, node: NodeId, at: &str, severity: Severity, message: String) {
        self.report(
            severity,
            IssueCode::Invalid,
            rules::MEASURE_CRITERIA,
            node,
            Some(at),
            message,
        );
    }
}

/// The Libraries a Measure names (`Measure.library`), and those of them
/// the loaded definitions hold.
struct Libraries<'n, 'v> {
    named: &'n [String],
    loaded: Vec<&'v Value>,
}

/// The Library's compiled ELM XML (its `application/elm+xml` content),
/// decoded: `None` when it has none, `Err` when that content is not
/// base64 of UTF-8 text.
fn compiled_elm(library: &Value) -> Option<Result<String, String>> {
    let data = library["content"]
        .as_array()?
        .iter()
        .find(|c| c["contentType"] == "application/elm+xml")?["data"]
        .as_str()?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|e| format!("its ELM is not base64: {e}"))
            .and_then(|b| String::from_utf8(b).map_err(|_| "its ELM is not UTF-8".to_string())),
    )
}

enum ElmProblem {
    /// Not well-formed XML.
    Unreadable(String),
    /// XML whose root is not ELM's `library`.
    NotElm,
    /// No `statements/def` of the name.
    NoStatement,
}

/// What is wrong with `elm` for a criteria naming statement `name`.
fn elm_problem(elm: &str, name: &str) -> Option<ElmProblem> {
    let doc = match roxmltree::Document::parse(elm) {
        Ok(doc) => doc,
        Err(e) => return Some(ElmProblem::Unreadable(e.to_string())),
    };
    let root = doc.root_element();
    if root.tag_name().name() != "library" || root.tag_name().namespace() != Some(ELM_NS) {
        return Some(ElmProblem::NotElm);
    }
    let defined = root
        .children()
        .filter(|n| n.has_tag_name((ELM_NS, "statements")))
        .flat_map(|s| s.children())
        .filter(|n| n.has_tag_name((ELM_NS, "def")))
        .any(|d| d.attribute("name") == Some(name));
    (!defined).then_some(ElmProblem::NoStatement)
}
