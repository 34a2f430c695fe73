//! Where a constrained element starts from when it is not simply the
//! base element: the slice a re-slice (`a/b`) refines, or the root of the
//! extension (or resource) profile its type names; and the slicer a slice
//! reached without one gets written first.

use serde_json::{json, Value};

use super::Walk;
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::ids::{by_id, generate_ids};
use crate::paths::tail;
use crate::structure::Structure;
use crate::types::{code, first_profile, working_code};

impl Walk<'_, '_> {
    /// A Reference in the differential must be allowed by the base.
    pub(crate) fn check_reference_type(
        &self,
        current: &Element,
        d0: &Element,
    ) -> Result<(), SnapshotError> {
        let Some(t0) = d0.types().first() else {
            return Ok(());
        };
        if working_code(t0) != "Reference" {
            return Ok(());
        }
        let ok = current
            .types()
            .iter()
            .any(|tr| code(tr) == code(t0) || working_code(tr) == code(t0));
        if ok {
            Ok(())
        } else {
            Err(self.element_error(
                &d0.describe(),
                "illegal type constraint: the base does not allow Reference here",
            ))
        }
    }

    /// The element to start from instead of the base element: the slice a
    /// re-slice (`a/b`) refines, or the root of an extension's (or
    /// resource's) profile.
    pub(crate) fn template_for(
        &mut self,
        current: &Element,
        d0: &Element,
    ) -> Result<Option<Element>, SnapshotError> {
        let id = d0.id().unwrap_or("");
        let lid = tail(id);
        if let Some(slash) = lid.find('/') {
            generate_ids(&mut self.result);
            let base_id = format!("{}{}", &id[..id.len() - lid.len()], &lid[..slash]);
            return Ok(by_id(&self.result, &base_id).cloned());
        }
        let [t0] = d0.types() else { return Ok(None) };
        let Some(p) = first_profile(t0) else {
            return Ok(None);
        };
        if working_code(t0) == "Reference" {
            return Ok(None);
        }
        let same_as_base = current.types().first().and_then(first_profile) == Some(p);
        if same_as_base {
            return Ok(None);
        }
        let Some(sd) = self.ctx.structure(p)? else {
            return Ok(None);
        };
        if !self.is_matching_type(&sd, d0.types()) {
            return Err(self.element_error(
                &d0.describe(),
                &format!(
                    "the profile {} has type {}, which does not match the element's type {}",
                    sd.url,
                    sd.type_name,
                    working_code(t0)
                ),
            ));
        }
        let Some(mut src) = sd.elements.first().cloned() else {
            return Ok(None);
        };
        if !src.path().contains('.') && sd.kind == "resource" {
            // %resource means something else once the root is an element.
            src.remove("constraint");
        }
        let summary: Vec<&str> = current.types().iter().map(code).collect();
        if !matches!(summary.as_slice(), ["Extension"] | ["Resource"]) {
            return Ok(None);
        }
        src.set_path(current.path().to_string());
        src.remove("sliceName");
        if code(t0) != "Extension" {
            for key in ["min", "max"] {
                match current.get(key) {
                    Some(v) => src.insert(key.into(), v.clone()),
                    None => src.remove(key),
                };
            }
        }
        Ok(Some(src))
    }

    /// The profile (or one of its bases) is of one of the element's types.
    /// A chain that cannot be followed (a base not loaded) cannot be
    /// checked and is accepted.
    fn is_matching_type(&self, sd: &Structure, types: &[Value]) -> bool {
        let mut url = sd.url.clone();
        let mut ty = sd.type_name.clone();
        for _ in 0..20 {
            let core = url.starts_with("http://hl7.org/fhir/StructureDefinition");
            if types
                .iter()
                .any(|t| (core && ty == code(t)) || url == code(t))
            {
                return true;
            }
            let next = self
                .ctx
                .lookup(&url)
                .and_then(|d| d.get("baseDefinition"))
                .and_then(Value::as_str);
            let Some((next, def)) = next.and_then(|n| self.ctx.lookup(n).map(|d| (n, d))) else {
                return true;
            };
            url = next.to_string();
            ty = def
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
        }
        false
    }

    /// A slice reached without its slicer having been written (a slice of a
    /// base that was not sliced): write a default slicer first.
    pub(crate) fn ensure_slicing_exists(&mut self, ed: &Element, mut template: Element) {
        let mut found = false;
        for t in self.result.iter().rev() {
            if segments_match(t.path(), ed.path())
                && (t.has_slicing() || t.slice_name().is_some() || t.path().ends_with("[x]"))
            {
                found = true;
                break;
            }
            if t.path().len() < ed.path().len() {
                break;
            }
        }
        if found {
            return;
        }
        if template.path().ends_with(".extension") {
            template.insert(
                "slicing".into(),
                json!({"discriminator": [{"type": "value", "path": "url"}], "ordered": false, "rules": "open"}),
            );
            self.push_unchecked(template);
        } else if template.path().ends_with("[x]")
            && template.slice_name().is_none()
            && !template.has_slicing()
            && ed.slice_name().is_some()
            && ed.has_types()
        {
            template.insert(
                "slicing".into(),
                json!({"discriminator": [{"type": "type", "path": "$this"}], "ordered": false, "rules": "closed"}),
            );
            self.push_unchecked(template);
        }
    }
}

/// Paths equal segment by segment, a choice matching its renames.
fn segments_match(p1: &str, p2: &str) -> bool {
    let a: Vec<&str> = p1.split('.').collect();
    let b: Vec<&str> = p2.split('.').collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y
                || x.strip_suffix("[x]").is_some_and(|s| y.starts_with(s))
                || y.strip_suffix("[x]").is_some_and(|s| x.starts_with(s))
        })
}
