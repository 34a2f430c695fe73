//! Must-Support population: per profile, how many of the instances seen
//! populated each element the profile marks mustSupport (the Interweave
//! rule: every Must-Support element populated in at least one instance of
//! the sample). The validator records one [`ProfilePopulation`] per
//! instance and profile; a [`MustSupportReport`] adds them up, and adds up
//! the reports of shards the same way, so counts always add
//! (docs/must-support.md).

use crate::{IssueCode, Location, Outcome, Severity, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The rule of the per-profile summary outcome.
pub const MUST_SUPPORT_RULE: &str = "must-support-population";

/// Must-Support population over a run, per profile (sorted by canonical
/// URL).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MustSupportReport {
    pub profiles: Vec<ProfilePopulation>,
}

/// One profile's Must-Support elements and how many instances populated
/// each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProfilePopulation {
    /// The profile's canonical URL.
    pub profile: String,
    /// The profile's name, for people.
    pub name: String,
    /// Instances validated against the profile.
    pub instances: usize,
    /// Every element the profile's snapshot marks mustSupport (element ids,
    /// slices and extensions as the profile names them), in snapshot order.
    pub elements: Vec<ElementPopulation>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ElementPopulation {
    /// The element id (`Patient.identifier:nhsNumber.system`).
    pub id: String,
    /// Instances with at least one value for the element.
    pub populated: usize,
}

impl ProfilePopulation {
    /// Must-Support elements populated in at least one instance.
    pub fn populated(&self) -> usize {
        self.elements.iter().filter(|e| e.populated > 0).count()
    }

    /// The ids of the Must-Support elements no instance populated.
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.elements
            .iter()
            .filter(|e| e.populated == 0)
            .map(|e| e.id.as_str())
    }

    /// Populated ÷ Must-Support elements, in percent; `None` for a profile
    /// that marks no element mustSupport.
    pub fn percent(&self) -> Option<f64> {
        (!self.elements.is_empty())
            .then(|| 100.0 * self.populated() as f64 / self.elements.len() as f64)
    }

    /// Adds another tally of the same profile: instances and per-element
    /// counts add; an element only the other lists is appended.
    fn add(&mut self, other: &ProfilePopulation) {
        self.instances += other.instances;
        for e in &other.elements {
            match self.elements.iter_mut().find(|mine| mine.id == e.id) {
                Some(mine) => mine.populated += e.populated,
                None => self.elements.push(e.clone()),
            }
        }
    }

    /// The summary of this profile as an information outcome about the
    /// profile (its `subject`): passes when every Must-Support element was
    /// populated at least once, else a warning status naming those missing.
    pub fn outcome(&self) -> Outcome {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let missing: Vec<&str> = self.missing().collect();
        let message = match self.percent() {
            None => format!(
                "{}: the profile marks no element mustSupport ({} seen)",
                self.name,
                plural(self.instances, "instance")
            ),
            Some(percent) => {
                let mut m = format!(
                    "{}: {} of {} Must-Support elements populated ({:.1}%) in {}",
                    self.name,
                    self.populated(),
                    self.elements.len(),
                    percent,
                    plural(self.instances, "instance")
                );
                if !missing.is_empty() {
                    m.push_str(&format!("; never populated: {}", missing.join(", ")));
                }
                m
            }
        };
        let mut o = Outcome::finding(
            Severity::Information,
            IssueCode::Informational,
            MUST_SUPPORT_RULE,
            Location {
                subject: Some(self.profile.clone()),
                ..Location::default()
            },
            message,
        )
        .with_why("Each Must-Support element should be populated in at least one instance of the sample (Interweave conformance rule)");
        if !missing.is_empty() {
            o.status = Status::Warn;
            o = o.with_fix("Add payloads that populate the missing elements, or document an approved exception for them");
        }
        o
    }
}

impl MustSupportReport {
    /// Adds one tally (an instance's, or a whole run's for one profile).
    pub fn add_profile(&mut self, p: &ProfilePopulation) {
        match self
            .profiles
            .binary_search_by(|mine| mine.profile.as_str().cmp(&p.profile))
        {
            Ok(i) => self.profiles[i].add(p),
            Err(i) => self.profiles.insert(i, p.clone()),
        }
    }

    /// Adds another report (another shard's, another response's).
    pub fn add(&mut self, other: &MustSupportReport) {
        for p in &other.profiles {
            self.add_profile(p);
        }
    }

    /// Takes the instance tallies the validator left on a resource's result
    /// and adds them.
    pub fn take_from(&mut self, result: &mut super::ResourceResult) {
        for p in std::mem::take(&mut result.must_support) {
            self.add_profile(&p);
        }
    }

    /// (Must-Support elements populated at least once, Must-Support
    /// elements) over every profile.
    pub fn totals(&self) -> (usize, usize) {
        self.profiles.iter().fold((0, 0), |(p, t), profile| {
            (p + profile.populated(), t + profile.elements.len())
        })
    }

    /// One summary outcome per profile ([`ProfilePopulation::outcome`]).
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.profiles
            .iter()
            .map(ProfilePopulation::outcome)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(profile: &str, populated: &[(&str, bool)]) -> ProfilePopulation {
        ProfilePopulation {
            profile: profile.into(),
            name: profile.rsplit('/').next().unwrap().into(),
            instances: 1,
            elements: populated
                .iter()
                .map(|&(id, p)| ElementPopulation {
                    id: id.into(),
                    populated: p as usize,
                })
                .collect(),
        }
    }

    #[test]
    fn counts_add_per_profile_and_element() {
        let obs = "http://x/StructureDefinition/Obs";
        let mut report = MustSupportReport::default();
        report.add_profile(&instance(
            obs,
            &[
                ("Observation.status", true),
                ("Observation.component", false),
            ],
        ));
        report.add_profile(&instance("http://x/StructureDefinition/Enc", &[]));
        report.add_profile(&instance(
            obs,
            &[
                ("Observation.status", true),
                ("Observation.component", false),
            ],
        ));
        assert_eq!(report.profiles.len(), 2);
        let o = &report.profiles[1];
        assert_eq!((o.instances, o.populated()), (2, 1));
        assert_eq!(o.elements[0].populated, 2);
        assert_eq!(o.missing().collect::<Vec<_>>(), ["Observation.component"]);
        assert_eq!(o.percent(), Some(50.0));
        assert_eq!(report.profiles[0].percent(), None);
        assert_eq!(report.totals(), (1, 2));

        // Two shards' reports add up to the report of the whole.
        let mut other = MustSupportReport::default();
        other.add_profile(&instance(
            obs,
            &[
                ("Observation.status", false),
                ("Observation.component", true),
            ],
        ));
        report.add(&other);
        let o = &report.profiles[1];
        assert_eq!(
            (o.instances, o.populated(), o.percent()),
            (3, 2, Some(100.0))
        );

        let outcomes = report.outcomes();
        assert_eq!(outcomes[1].status, Status::Pass);
        assert_eq!(outcomes[1].location.subject.as_deref(), Some(obs));
        assert!(outcomes[0].message.contains("marks no element mustSupport"));
    }

    #[test]
    fn the_outcome_names_what_was_never_populated() {
        let mut report = MustSupportReport::default();
        report.add_profile(&instance(
            "http://x/StructureDefinition/Obs",
            &[
                ("Observation.status", true),
                ("Observation.component", false),
            ],
        ));
        let o = &report.outcomes()[0];
        assert_eq!(
            (o.severity, o.status),
            (Severity::Information, Status::Warn)
        );
        assert_eq!(
            o.message,
            "Obs: 1 of 2 Must-Support elements populated (50.0%) in 1 instance; never populated: Observation.component"
        );
    }
}
