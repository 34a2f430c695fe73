//! The checks, in the order they run. Each module holds its check
//! definitions (id, requirement, why) next to the code that makes them.

pub(crate) mod gp_connect;
pub(crate) mod preflight;
pub(crate) mod protocol;
pub(crate) mod resources;
pub(crate) mod writes;

use crate::runner::{Ctx, Def};

/// Skips every check of a section with one reason.
pub(crate) fn skip_all(ctx: &mut Ctx, defs: &[&Def], subject: Option<&str>, reason: &str) {
    for d in defs {
        ctx.skip(d, subject, reason);
    }
}

/// `Type/id` of a Location header or a `response.location`, if any.
pub(crate) fn id_from_location(location: &str, resource_type: &str) -> Option<String> {
    let parts: Vec<&str> = location.split('/').collect();
    let i = parts.iter().rposition(|p| *p == resource_type)?;
    parts
        .get(i + 1)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn location_ids() {
        assert_eq!(
            super::id_from_location("http://x/fhir/Patient/abc/_history/1", "Patient").as_deref(),
            Some("abc")
        );
        assert_eq!(
            super::id_from_location("Patient/abc", "Patient").as_deref(),
            Some("abc")
        );
        assert_eq!(super::id_from_location("Observation/1", "Patient"), None);
    }
}
