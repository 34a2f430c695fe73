//! A CapabilityStatement's `rest.resource.searchParam`: a parameter that
//! names its definition must have that SearchParameter's type (the
//! reference's `CapabalityStatement_CS_SP_WrongType`).

use crate::finding::{rules, IssueCode, Severity};
use crate::rule_families::Report;
use crate::terminology::Definitions;
use crate::walk::Walker;
use conform_json::NodeId;

impl Walker<'_> {
    pub(crate) fn capability_statement(&mut self, node: NodeId) {
        let doc = self.doc;
        let mut found = Vec::new();
        for (r, rest) in super::items(doc, node, "rest").enumerate() {
            for (t, resource) in super::items(doc, rest, "resource").enumerate() {
                for (p, param) in super::items(doc, resource, "searchParam").enumerate() {
                    let (Some(definition), Some(ty)) =
                        (doc.get_str(param, "definition"), doc.get_str(param, "type"))
                    else {
                        continue;
                    };
                    let Some(defined) = self
                        .context
                        .resource(&definition)
                        .filter(|d| d["resourceType"] == "SearchParameter")
                        .and_then(|d| d["type"].as_str())
                    else {
                        continue;
                    };
                    if defined != ty {
                        found.push((
                            param,
                            format!("rest[{r}].resource[{t}].searchParam[{p}]"),
                            format!("The search parameter '{definition}' is of type {defined}, but this CapabilityStatement gives its type as {ty}"),
                        ));
                    }
                }
            }
        }
        for (param, at, message) in found {
            self.report(
                Severity::Error,
                IssueCode::BusinessRule,
                rules::CAPABILITY_SEARCH_PARAM,
                param,
                Some(&at),
                message,
            );
        }
    }
}
