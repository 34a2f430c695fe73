//! The `conform.doctor` document: the set-up checks of one `conform doctor`
//! (docs/doctor-json.md). Each check is an [`Outcome`]: its rule names the
//! area (`doctor.packages`, `doctor.region`), its location the subject (and
//! the region), its status what was found — `fail` for a set-up problem the
//! user fixes, `error` for infrastructure that did not answer.

use crate::{Location, Outcome, Severity, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The format's name and version. `/2`: checks became outcomes (`rule`,
/// `subject`, `region`, `message`, status `pass|fail|error|skip`).
pub const SCHEMA: &str = "conform.doctor/2";

/// The prefix of every doctor rule.
const RULE_PREFIX: &str = "doctor.";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DoctorReport {
    /// [`SCHEMA`].
    pub schema: String,
    /// In the order checked, area by area.
    pub checks: Vec<Outcome>,
}

impl DoctorReport {
    pub fn new(checks: Vec<Outcome>) -> DoctorReport {
        DoctorReport {
            schema: SCHEMA.into(),
            checks,
        }
    }
}

/// What part of the set-up a check belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area<'a> {
    /// The FHIR packages the configuration loads.
    Packages,
    /// The compiled-plan cache folder.
    Cache,
    /// The regions file itself.
    Regions,
    /// One region of the regions file.
    Region(&'a str),
    /// The terminology server and its cache.
    Terminology,
}

impl Area<'_> {
    /// The rule id of the area's checks.
    pub fn rule(self) -> String {
        let kind = match self {
            Area::Packages => "packages",
            Area::Cache => "cache",
            Area::Regions => "regions",
            Area::Region(_) => "region",
            Area::Terminology => "terminology",
        };
        format!("{RULE_PREFIX}{kind}")
    }

    /// A check of `subject` in this area.
    pub fn check(
        self,
        subject: impl Into<String>,
        status: Status,
        message: impl Into<String>,
    ) -> Outcome {
        let severity = match status {
            Status::Fail | Status::Error => Severity::Error,
            Status::Warn => Severity::Warning,
            Status::Pass | Status::Skip => Severity::Information,
        };
        Outcome {
            rule: self.rule(),
            severity,
            requirement: None,
            status,
            code: None,
            location: Location {
                subject: Some(subject.into()),
                region: match self {
                    Area::Region(name) => Some(name.to_string()),
                    _ => None,
                },
                ..Location::default()
            },
            message: message.into(),
            why: None,
            fix: None,
            triage: None,
            verifies: Vec::new(),
        }
    }
}

/// The heading a check is shown under: `packages`, `cache`, `regions`,
/// `region NAME`.
pub fn area_name(check: &Outcome) -> String {
    let kind = check.rule.strip_prefix(RULE_PREFIX).unwrap_or(&check.rule);
    match &check.location.region {
        Some(region) => format!("{kind} {region}"),
        None => kind.to_string(),
    }
}

/// The subject of a check (`hl7.fhir.r4.core#4.0.1`, `secret PROBE_TOKEN`).
pub fn subject(check: &Outcome) -> &str {
    check.location.subject.as_deref().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_check_names_its_area_and_reads_back() {
        let c = Area::Region("north")
            .check("secret T", Status::Fail, "not set")
            .with_fix("export T");
        assert_eq!(c.rule, "doctor.region");
        assert_eq!(area_name(&c), "region north");
        assert_eq!(subject(&c), "secret T");
        assert_eq!(c.severity, Severity::Error);
        let doc = DoctorReport::new(vec![c]);
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<DoctorReport>(&text).unwrap(), doc);
        assert_eq!(
            area_name(&Area::Cache.check("d", Status::Pass, "w")),
            "cache"
        );
    }
}
