//! JUnit XML: one testsuite per scenario, one testcase per step; a failed
//! step is a `<failure>` listing its failed assertions, a skipped one a
//! `<skipped>` with the reason.

use crate::result::{RunResult, Status};
use conform_report::xml::escape;
use std::fmt::Write;

pub fn render_junit(run: &RunResult) -> String {
    let s = &run.summary;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"conform scenario run\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">",
        s.steps,
        run.scenarios
            .iter()
            .flat_map(|x| &x.steps)
            .filter(|x| x.status == Status::Fail)
            .count(),
        run.duration_ms as f64 / 1000.0
    );
    for sc in &run.scenarios {
        let failures = sc.steps.iter().filter(|x| x.status == Status::Fail).count();
        let skipped = sc.steps.iter().filter(|x| x.status == Status::Skip).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            escape(&sc.id),
            sc.steps.len(),
            sc.duration_ms as f64 / 1000.0
        );
        for st in &sc.steps {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&sc.id),
                escape(&format!("{}/{}", st.phase.as_str(), st.id)),
                st.duration_ms as f64 / 1000.0
            );
            match st.status {
                Status::Fail => {
                    let lines: Vec<String> = st
                        .assertions
                        .iter()
                        .filter(|a| a.status == Status::Fail)
                        .map(|a| format!("{} {}: {}", a.severity, a.id, a.message))
                        .collect();
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        escape(st.reason.as_deref().unwrap_or("failed")),
                        escape(&lines.join("\n"))
                    );
                }
                Status::Skip => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(st.reason.as_deref().unwrap_or("skipped"))
                    );
                }
                _ => out.push_str("/>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
