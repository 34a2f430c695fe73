//! A MeasureReport against its Measure (R4), as the reference validator's
//! MeasureReport check judges it:
//!
//! | rule | what |
//! |---|---|
//! | `measure-report-measure` | a Measure that cannot be resolved (warning: nothing else can be checked), or whose scoring is none of proportion, ratio, continuous-variable and cohort (information: the score cannot be checked) |
//! | `measure-report-group` | groups, their populations and stratifiers matched to the Measure's by code: one without a code, with a code the Measure lacks or another group (population) has, a Measure group (population) the report leaves out; a population of a `subject-list` report whose count is not the number of subjects listed, one of another report type that lists subjects (error) or gives no count (warning) |
//! | `measure-report-score` | a measureScore where the report is `data-collection` or the scoring `cohort`; none where the scoring is proportion, ratio or continuous-variable, or without a value; units on a proportion, or a proportion outside 0..1; no unit on a ratio (warning) |
//!
//! The Measure is a contained one (`#id`) or one the loaded packages,
//! `--ig` files or the run's supporting resources define. Stratifiers are
//! matched by code as groups are (their strata are not judged: the
//! reference does not judge them either).

use crate::context::contained_value;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::terminology::Definitions;
use crate::walk::Walker;
use conform_json::{Document, NodeId};
use serde_json::Value;

/// Subjects a population's `subjectResults` can count directly.
const PERSON_TYPES: &[&str] = &[
    "Patient",
    "Practitioner",
    "Person",
    "PractitionerRole",
    "RelatedPerson",
];

type Found = Vec<(NodeId, String, Severity, &'static str, String)>;

/// What the report matches to the Measure by code.
#[derive(Clone, Copy)]
enum Level {
    Group,
    Population,
    Stratifier,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Group => "group",
            Level::Population => "group population",
            Level::Stratifier => "group stratifier",
        }
    }
}

/// The report being checked: its document, the Measure, what it is.
struct Check<'a, 'd> {
    doc: &'a Document<'d>,
    report: NodeId,
    measure: &'a Value,
    report_type: Option<String>,
    scoring: Option<&'a str>,
    found: Found,
}

impl Walker<'_> {
    pub(crate) fn measure_report(&mut self, node: NodeId) {
        let doc = self.doc;
        let Some(at) = doc.get(node, "measure") else {
            return; // required in R4: the cardinality check reports it
        };
        let Some(canonical) = doc.str(at) else {
            return;
        };
        let contained;
        let measure = match canonical.strip_prefix('#') {
            Some(id) => {
                contained = contained_value(doc, node, id, "Measure");
                contained.as_ref()
            }
            None => self
                .context
                .resource(&canonical)
                .filter(|r| r["resourceType"] == "Measure"),
        };
        let Some(measure) = measure else {
            let message = format!("The Measure '{canonical}' could not be resolved, so no validation can be performed against the Measure");
            self.report(
                Severity::Warning,
                IssueCode::NotFound,
                rules::MEASURE_REPORT_MEASURE,
                at,
                Some("measure"),
                message,
            );
            return;
        };
        let scoring = measure["scoring"]["coding"][0]["code"].as_str();
        let mut check = Check {
            doc,
            report: node,
            measure,
            report_type: doc.get_str(node, "type").map(|t| t.into_owned()),
            scoring,
            found: Vec::new(),
        };
        if !matches!(
            scoring,
            Some("proportion" | "ratio" | "continuous-variable" | "cohort")
        ) {
            check.found.push((at, "measure".into(), Severity::Information, rules::MEASURE_REPORT_MEASURE, "The scoring system in this measure is unknown, so the measureScore values cannot be checked".into()));
        }
        check.groups();
        for (at, path, severity, rule, message) in check.found {
            let path = (!path.is_empty()).then_some(path.as_str());
            self.report(severity, IssueCode::BusinessRule, rule, at, path, message);
        }
    }
}

impl<'a> Check<'a, '_> {
    fn group_error(&mut self, at: NodeId, path: String, message: String) {
        self.found.push((
            at,
            path,
            Severity::Error,
            rules::MEASURE_REPORT_GROUP,
            message,
        ));
    }

    /// The report's groups against the Measure's: one each, matched by
    /// code (a single group on each side may go without).
    fn groups(&mut self) {
        let doc = self.doc;
        let measure_groups: Vec<&'a Value> = array(&self.measure["group"]);
        if measure_groups.is_empty() {
            return;
        }
        let groups: Vec<NodeId> = children(doc, self.report, "group");
        if let ([group], [measure_group]) = (groups.as_slice(), measure_groups.as_slice()) {
            let path = "group[0]".to_string();
            if let (Some(code), Some(wanted)) = (doc.get(*group, "code"), measure_group.get("code"))
            {
                let codings = codings(doc, code);
                if !codings.iter().any(|(s, c)| s.is_some() && c.is_some()) {
                    self.group_error(*group, path.clone(), "None of the codes provided are usable for comparison - need both system and code on at least one code".into());
                } else if !matches_code(&codings, wanted) {
                    let message = format!("The code provided ({}) does not match the code specified in the measure report ({})", describe(&codings), describe_value(wanted));
                    self.group_error(*group, path.clone(), message);
                }
            }
            self.group(*group, &path, measure_group);
            return;
        }
        let mut used: Vec<usize> = Vec::new();
        for (i, &group) in groups.iter().enumerate() {
            let path = format!("group[{i}]");
            if let Some(m) =
                self.match_by_code(group, &path, &measure_groups, &mut used, Level::Group)
            {
                self.group(group, &path, measure_groups[m]);
            }
        }
        if self.report_type.as_deref() != Some("data-collection") {
            for (m, g) in measure_groups.iter().enumerate() {
                if !used.contains(&m) {
                    let message = format!(
                        "The MeasureReport does not include a group for the group with code '{}'",
                        describe_value(&g["code"])
                    );
                    self.group_error(self.report, String::new(), message);
                }
            }
        }
    }

    /// The Measure's group (population) a report's one matches by code,
    /// once: none without a code, with a code the Measure lacks, or with
    /// one an earlier group (population) took.
    fn match_by_code(
        &mut self,
        node: NodeId,
        path: &str,
        wanted: &[&'a Value],
        used: &mut Vec<usize>,
        level: Level,
    ) -> Option<usize> {
        let doc = self.doc;
        let what = level.name();
        // (a stratifier's `code` repeats: its first is the one matched, as
        // the reference reads it)
        let code = doc
            .get(node, "code")
            .map(|c| doc.elements(c).first().copied().unwrap_or(c));
        let Some(code) = code else {
            let message = format!(
                "Group should have a code that matches the {what} definition in the measure"
            );
            self.group_error(node, path.to_string(), message);
            return None;
        };
        let codings = codings(doc, code);
        // Stratifiers coded by text alone match by their text (the
        // reference's stratifier look-up; groups and populations need codes).
        let text = doc.get_str(code, "text");
        let by_text = |w: &Value| {
            matches!(level, Level::Stratifier)
                && codings.is_empty()
                && array(&w["code"]["coding"]).is_empty()
                && text.is_some()
                && w["code"]["text"].as_str() == text.as_deref()
        };
        let Some(m) = wanted
            .iter()
            .position(|w| matches_code(&codings, &w["code"]) || by_text(w))
        else {
            let message = match level {
                Level::Group => format!(
                    "The code '{}' for this group has no match in the measure definition",
                    describe(&codings)
                ),
                Level::Population | Level::Stratifier => {
                    format!("The code for this {what} has no match in the measure definition")
                }
            };
            self.group_error(node, path.to_string(), message);
            return None;
        };
        if used.contains(&m) {
            let message = format!("The code for this {what} is duplicated with another group");
            self.group_error(node, path.to_string(), message);
            return None;
        }
        used.push(m);
        Some(m)
    }

    fn group(&mut self, group: NodeId, path: &str, measure_group: &'a Value) {
        self.populations(group, path, measure_group);
        self.stratifiers(group, path, measure_group);
        self.score(group, path);
    }

    /// The group's stratifiers against the Measure group's: each matched
    /// by code once, and none of the Measure's left out.
    fn stratifiers(&mut self, group: NodeId, path: &str, measure_group: &'a Value) {
        let doc = self.doc;
        let wanted: Vec<&'a Value> = array(&measure_group["stratifier"]);
        let mut used: Vec<usize> = Vec::new();
        for (k, stratifier) in children(doc, group, "stratifier").into_iter().enumerate() {
            let path = format!("{path}.stratifier[{k}]");
            self.match_by_code(stratifier, &path, &wanted, &mut used, Level::Stratifier);
        }
        for (m, w) in wanted.iter().enumerate() {
            if !used.contains(&m) {
                let id = w["id"]
                    .as_str()
                    .map_or(String::new(), |id| format!(" (id '{id}')"));
                let message = format!(
                    "The MeasureReport does not include a stratifier for the stratifier with code '{}'{id}",
                    describe_value(&w["code"])
                );
                self.group_error(group, path.to_string(), message);
            }
        }
    }

    fn populations(&mut self, group: NodeId, path: &str, measure_group: &'a Value) {
        let doc = self.doc;
        let wanted: Vec<&'a Value> = array(&measure_group["population"]);
        let mut used: Vec<usize> = Vec::new();
        for (p, population) in children(doc, group, "population").into_iter().enumerate() {
            let path = format!("{path}.population[{p}]");
            if self
                .match_by_code(population, &path, &wanted, &mut used, Level::Population)
                .is_some()
            {
                self.population(population, path);
            }
        }
        for (m, w) in wanted.iter().enumerate() {
            let observation = array(&w["code"]["coding"]).iter().any(|c| {
                c["system"] == "http://terminology.hl7.org/CodeSystem/measure-population"
                    && c["code"] == "measure-observation"
            });
            if !used.contains(&m) && !observation {
                let message = format!("The MeasureReport does not include a population for the population with code '{}'", describe_value(&w["code"]));
                self.group_error(group, path.to_string(), message);
            }
        }
    }

    /// A population's count against its listed subjects.
    fn population(&mut self, population: NodeId, path: String) {
        let doc = self.doc;
        let subjects = children(doc, population, "subjectResults");
        let count = doc.get(population, "count");
        if self.report_type.as_deref() != Some("subject-list") {
            if !subjects.is_empty() {
                self.group_error(
                    population,
                    path.clone(),
                    "Reports where type is not 'subject-list' don't have subjects listed".into(),
                );
            }
            if count.is_none() {
                self.found.push((
                    population,
                    path,
                    Severity::Warning,
                    rules::MEASURE_REPORT_GROUP,
                    "Count should be present for reports where type is not 'subject-list'".into(),
                ));
            }
            return;
        }
        let Some(stated) = count
            .and_then(|c| doc.raw(c))
            .and_then(|c| c.parse::<u64>().ok())
        else {
            return; // no count, or not a number: the walk reports that
        };
        let mut listed = 0u64;
        let mut unknown = Vec::new();
        for reference in subjects {
            match self.subjects_of(reference) {
                Ok(n) => listed += n,
                Err(why) => unknown.push(why),
            }
        }
        if unknown.is_empty() {
            if stated != listed {
                let message =
                    format!("Mismatch between count {stated} and number of subjects {listed}");
                self.group_error(population, path, message);
            }
        } else {
            let message = format!("Unable to check the stated count {stated} because the subject list cannot be fully processed ({})", unknown.join("; "));
            self.found.push((
                population,
                path,
                Severity::Information,
                rules::MEASURE_REPORT_GROUP,
                message,
            ));
        }
    }

    /// How many subjects one `subjectResults` reference stands for: one
    /// person, or a contained List's entries; why not, when it cannot tell.
    fn subjects_of(&self, reference: NodeId) -> Result<u64, String> {
        let doc = self.doc;
        let Some(text) = doc.get_str(reference, "reference") else {
            return Err("Subject reference has no actual reference".into());
        };
        let target = text.strip_prefix('#').and_then(|id| {
            children(doc, self.report, "contained")
                .into_iter()
                .find(|&c| doc.get_str(c, "id").as_deref() == Some(id))
        });
        let (ty, resolved) = match target {
            Some(t) => (
                doc.get_str(t, "resourceType").map(|t| t.into_owned()),
                Some(t),
            ),
            None => match text.split('/').collect::<Vec<_>>().as_slice() {
                [ty, _] => (Some((*ty).to_string()), None),
                _ => {
                    return Err(format!(
                    "Subject reference {text} could not be resolved, and so could not be processed"
                ))
                }
            },
        };
        let ty = ty.unwrap_or_default();
        match (ty.as_str(), resolved) {
            (t, _) if PERSON_TYPES.contains(&t) => Ok(1),
            ("List", Some(list)) => Ok(children(doc, list, "entry").len() as u64),
            (t, Some(_)) => Err(format!("Subject reference {text} resolved to a {t}, which could not be processed")),
            (t, None) => Err(format!("Subject reference {text} could not be resolved, and the apparent type is {t} which could not be processed")),
        }
    }

    /// The group's measureScore against the report type and the scoring.
    fn score(&mut self, group: NodeId, path: &str) {
        let doc = self.doc;
        let score = doc.get(group, "measureScore");
        let score_path = format!("{path}.measureScore");
        let mut flag = |at: NodeId, path: String, severity: Severity, message: String| {
            self.found
                .push((at, path, severity, rules::MEASURE_REPORT_SCORE, message));
        };
        if self.report_type.as_deref() == Some("data-collection") {
            if let Some(s) = score {
                flag(
                    s,
                    score_path,
                    Severity::Error,
                    "No measureScore when the type of the report is 'data-collection'".into(),
                );
            }
            return;
        }
        let scoring = match self.scoring {
            Some("cohort") => {
                if let Some(s) = score {
                    flag(
                        s,
                        score_path,
                        Severity::Error,
                        "No measureScore when the scoring of the message is 'cohort'".into(),
                    );
                }
                return;
            }
            Some(s @ ("proportion" | "ratio" | "continuous-variable")) => s,
            _ => return,
        };
        let Some(score) = score else {
            flag(
                group,
                path.to_string(),
                Severity::Error,
                format!("A measureScore is required when the Measure.scoring={scoring}"),
            );
            return;
        };
        let value = doc.get(score, "value");
        if scoring == "proportion" {
            for unit in ["unit", "system", "code"] {
                if let Some(u) = doc.get(score, unit) {
                    flag(u, format!("{score_path}.{unit}"), Severity::Error, "A measureScore for this Measure Scoring (proportion) should not have units".into());
                }
            }
        }
        let Some(value) = value else {
            flag(
                score,
                score_path,
                Severity::Error,
                format!("A value is required when the Measure.scoring = {scoring}"),
            );
            return;
        };
        match scoring {
            "proportion" => {
                let v = doc.raw(value).and_then(|v| v.parse::<f64>().ok());
                if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                    flag(
                        value,
                        format!("{score_path}.value"),
                        Severity::Error,
                        "The value is invalid - it must be between 0 and 1".into(),
                    );
                }
            }
            "ratio"
                if doc.get(score, "code").is_none() && self.measure.get("extension").is_none() =>
            {
                flag(
                    score,
                    score_path,
                    Severity::Warning,
                    "A unit should be present when the scoring type is ratio".into(),
                );
            }
            _ => {}
        }
    }
}

fn array(v: &Value) -> Vec<&Value> {
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// The values of `key`: an array's items, or the one value of a single
/// element (`subjectResults` is one Reference in R4).
fn children(doc: &Document<'_>, node: NodeId, key: &str) -> Vec<NodeId> {
    match doc.get(node, key) {
        Some(v) if doc.kind(v) == conform_json::Kind::Array => doc.elements(v).to_vec(),
        Some(v) => vec![v],
        None => Vec::new(),
    }
}

/// The (system, code) pairs of a CodeableConcept in the report.
fn codings(doc: &Document<'_>, concept: NodeId) -> Vec<(Option<String>, Option<String>)> {
    children(doc, concept, "coding")
        .into_iter()
        .map(|c| {
            (
                doc.get_str(c, "system").map(|s| s.into_owned()),
                doc.get_str(c, "code").map(|s| s.into_owned()),
            )
        })
        .collect()
}

/// Whether the report's codings share a system and code with the
/// Measure's CodeableConcept.
fn matches_code(codings: &[(Option<String>, Option<String>)], wanted: &Value) -> bool {
    array(&wanted["coding"]).iter().any(|w| {
        codings.iter().any(|(s, c)| {
            s.as_deref() == w["system"].as_str() && c.as_deref() == w["code"].as_str()
        })
    })
}

fn describe(codings: &[(Option<String>, Option<String>)]) -> String {
    let each: Vec<String> = codings
        .iter()
        .map(|(s, c)| {
            format!(
                "{}#{}",
                s.as_deref().unwrap_or(""),
                c.as_deref().unwrap_or("")
            )
        })
        .collect();
    each.join(", ")
}

fn describe_value(concept: &Value) -> String {
    let each: Vec<String> = array(&concept["coding"])
        .iter()
        .map(|c| {
            format!(
                "{}#{}",
                c["system"].as_str().unwrap_or(""),
                c["code"].as_str().unwrap_or("")
            )
        })
        .collect();
    match (each.is_empty(), concept["text"].as_str()) {
        (true, Some(text)) => text.to_string(),
        _ => each.join(", "),
    }
}
