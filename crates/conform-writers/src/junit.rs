//! `--format junit`: one test suite per file, one test case per resource,
//! failing when the resource has errors, so CI systems show each resource.

use crate::junit_xml::{Case, Junit, Outcome, Suite};
use conform_outcome::validate::ValidationReport;

pub fn render_junit(report: &ValidationReport) -> String {
    let suites = report
        .files
        .iter()
        .map(|f| {
            let mut cases = Vec::new();
            if let Some(failure) = &f.failure {
                cases.push(Case {
                    classname: f.path.clone(),
                    name: f.path.clone(),
                    time_secs: None,
                    outcome: Outcome::Error {
                        message: failure.message.clone(),
                    },
                });
            }
            for r in &f.resources {
                let name = match (&r.resource_type, &r.id) {
                    (Some(t), Some(id)) => format!("{t}/{id} (line {})", r.line),
                    (Some(t), None) => format!("{t} (line {})", r.line),
                    _ => format!("line {}", r.line),
                };
                let errors: Vec<_> = r
                    .findings
                    .iter()
                    .filter(|x| x.severity.is_error())
                    .collect();
                let outcome = if errors.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Failure {
                        message: format!("{} error(s)", errors.len()),
                        kind: "validation".into(),
                        body: errors
                            .iter()
                            .map(|x| {
                                format!(
                                    "{}:{} {} {} [{}]\n",
                                    x.line(),
                                    x.column(),
                                    x.expression(),
                                    x.message,
                                    x.rule
                                )
                            })
                            .collect(),
                    }
                };
                cases.push(Case {
                    classname: f.path.clone(),
                    name,
                    time_secs: None,
                    outcome,
                });
            }
            Suite {
                name: f.path.clone(),
                cases,
                ..Default::default()
            }
        })
        .collect();
    Junit {
        name: "conform validate".into(),
        suites,
    }
    .render()
}
