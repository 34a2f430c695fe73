//! A SearchParameter (R4 §3.1.1.4 "Defining search parameters", and the
//! reference's `SearchParameterValidator`): a parameter derived from
//! another may narrow its bases but not add to them, must keep its type,
//! and should keep its expression; its expression must navigate the types
//! it searches; a composite has components to combine.

use super::paths;
use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::terminology::Definitions;
use crate::walk::Walker;
use conform_json::NodeId;
use serde_json::Value;

impl Walker<'_> {
    pub(crate) fn search_parameter(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut found: Vec<(Severity, &'static str, Option<&str>, String)> = Vec::new();
        if let Some(code) = doc.get_str(node, "code") {
            // The reference warns about each of these characters, which
            // have their own meaning in search URLs.
            for c in ['.', '$', '|'] {
                if code.contains(c) {
                    found.push((Severity::Warning, rules::SEARCH_PARAMETER_CODE, Some("code"),
                        format!("The search parameter code '{code}' contains '{c}', which has its own meaning in a search URL")));
                }
            }
        }
        let bases = super::strings(doc, node, "base");
        let expression = doc.get_str(node, "expression");
        if let (Some(expression), false) = (&expression, bases.is_empty()) {
            if let Err(why) = paths::check(
                self.inv.model() as &dyn conform_fhirpath::Model,
                expression,
                &bases,
            ) {
                found.push((Severity::Error, rules::SEARCH_PARAMETER_EXPRESSION, Some("expression"),
                    format!("The search expression '{expression}' does not fit the parameter's base ({}): {why}", bases.join(", "))));
            }
        }
        if let Some(parent_url) = doc.get_str(node, "derivedFrom") {
            match self
                .context
                .resource(&parent_url)
                .filter(|p| p["resourceType"] == "SearchParameter")
            {
                None => found.push((Severity::Warning, rules::SEARCH_PARAMETER_DERIVATION, Some("derivedFrom"),
                    format!("The SearchParameter '{parent_url}' this one is derived from is not in the loaded packages, so the derivation cannot be checked"))),
                Some(parent) => found.extend(
                    derivation(parent, &parent_url, &bases, doc.get_str(node, "type").as_deref(), expression.as_deref())
                        .into_iter()
                        .map(|(severity, message)| (severity, rules::SEARCH_PARAMETER_DERIVATION, None, message)),
                ),
            }
        }
        if doc.get_str(node, "type").as_deref() == Some("composite")
            && super::items(doc, node, "component").count() < 2
        {
            found.push((
                Severity::Error,
                rules::SEARCH_PARAMETER_COMPONENTS,
                None,
                "A composite search parameter needs at least two components to combine".into(),
            ));
        }
        for (severity, rule, at, message) in found {
            self.report(severity, IssueCode::BusinessRule, rule, node, at, message);
        }
    }
}

/// What a derived parameter changes that it may not: a base its parent
/// does not search (unless the parent searches every Resource), another
/// type, and (a warning) another expression once both are reduced to the
/// paths on the derived parameter's bases.
fn derivation(
    parent: &Value,
    parent_url: &str,
    bases: &[String],
    ty: Option<&str>,
    expression: Option<&str>,
) -> Vec<(Severity, String)> {
    let mut found = Vec::new();
    let parent_bases: Vec<&str> = parent["base"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for base in bases {
        if !parent_bases.contains(&base.as_str()) && !parent_bases.contains(&"Resource") {
            found.push((Severity::Error, format!("The base {base} is not among the bases ({}) of the SearchParameter this one is derived from ({parent_url})", parent_bases.join(", "))));
        }
    }
    let parent_type = parent["type"].as_str().unwrap_or_default();
    if let Some(ty) = ty.filter(|t| *t != parent_type) {
        found.push((Severity::Error, format!("The type {ty} differs from the type {parent_type} of the SearchParameter this one is derived from ({parent_url})")));
    }
    if let (Some(mine), Some(theirs)) = (expression, parent["expression"].as_str()) {
        if mine != theirs && paths::canonical(mine, bases) != paths::canonical(theirs, bases) {
            found.push((Severity::Warning, format!("The expression '{mine}' differs from '{theirs}' of the SearchParameter this one is derived from ({parent_url})")));
        }
    }
    found
}
