//! JUnit XML for CI: a suite per region, a case per criterion (Red is a
//! failure, not assessed is skipped) plus the region's gate.

use super::score;
use crate::model::Rag;
use crate::report::Report;
use conform_report::xml::escape;
use std::fmt::Write;

pub fn render_junit(report: &Report) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for card in &report.regions {
        let mut cases = String::new();
        let (mut t, mut f, mut s) = (0, 0, 0);
        for c in card.criteria() {
            t += 1;
            let name = format!("{} {} [{}]", c.id, c.title, score(c.score));
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape(&card.region),
                escape(&name)
            );
            match c.rag {
                Rag::Red => {
                    f += 1;
                    let _ = write!(
                        cases,
                        "<failure type=\"{}\" message=\"{}\">{}</failure>",
                        if c.gating { "gating" } else { "red" },
                        escape(&format!("{} Red", c.id)),
                        escape(&c.findings.join("\n"))
                    );
                }
                Rag::NotAssessed => {
                    s += 1;
                    let _ = write!(
                        cases,
                        "<skipped message=\"{}\"/>",
                        escape(&format!("not assessed: {}", c.findings.join("; ")))
                    );
                }
                Rag::Amber => {
                    let _ = write!(
                        cases,
                        "<system-out>{}</system-out>",
                        escape(&format!("Amber\n{}", c.findings.join("\n")))
                    );
                }
                Rag::Green => {}
            }
            cases.push_str("</testcase>\n");
        }
        t += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"gate ({} {}, overall {} {})\">",
            escape(&card.region),
            escape(&card.level.id),
            escape(&card.level.label),
            score(card.overall.score),
            card.overall.rag.label()
        );
        if card.gate.failed {
            f += 1;
            let _ = write!(
                cases,
                "<failure type=\"gate\" message=\"{}\"/>",
                escape(&card.gate.reasons.join("; "))
            );
        }
        cases.push_str("</testcase>\n");
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" skipped=\"{s}\">\n{cases}  </testsuite>\n",
            escape(&card.region)
        );
        tests += t;
        failures += f;
        skipped += s;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conform scorecard\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}
