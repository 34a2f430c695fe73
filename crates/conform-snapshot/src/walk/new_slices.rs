//! A slice the differential adds to an element the base already slices
//! (after the base's own slices), with its children when the differential
//! constrains them.

use serde_json::json;

use super::diff::base_walks_into;
use super::{Cursors, Scope, Slicing, Walk};
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::ids::{by_id, generate_ids};
use crate::merge::update_from_base;
use crate::paths::tail;
use crate::types::{profiles, working_code};

impl Walk<'_, '_> {
    /// A slice the base does not have, added after the base's slices.
    pub(super) fn new_slice_on_sliced_base(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        matches: &[isize],
        diffpos: usize,
        base_matches: &[isize],
    ) -> Result<(), SnapshotError> {
        let m = matches[diffpos];
        let item = self.diff_el(m).cloned().unwrap_or_default();
        let clash = base_matches
            .iter()
            .any(|&bi| self.base_at(scope, bi).and_then(|b| b.slice_name()) == item.slice_name());
        if clash {
            return Err(self.element_error(
                &item.describe(),
                "named items are out of order in the slice (the differential's slices must follow the base's order)",
            ));
        }
        let id = item.id().unwrap_or("");
        let lid = tail(id);
        let mut template = current.clone();
        if let Some(slash) = lid.find('/') {
            generate_ids(&mut self.result);
            let base_id = format!("{}{}", &id[..id.len() - lid.len()], &lid[..slash]);
            template = by_id(&self.result, &base_id).cloned().ok_or_else(|| {
                self.element_error(
                    &item.describe(),
                    &format!("re-slice of unknown slice {base_id}"),
                )
            })?;
        }
        let mut outcome = template.clone();
        outcome.set_path(self.dest_path(scope, template.path()));
        update_from_base(&mut outcome, current);
        outcome.remove("slicing");
        outcome.insert("min".into(), json!(0));
        let idx = self.push(cur, outcome)?;
        self.apply_diff(idx, m, &scope.base.url)?;
        self.constraints_from_slice_profile(idx)?;
        cur.diff_cursor = m + 1;
        let out = self.result[idx].clone();
        let Some(d0) = matches.first().and_then(|&m0| self.diff_el(m0)).cloned() else {
            return Ok(());
        };
        let prefix = format!("{}.", d0.path());
        if !out.has_types()
            || self.diff_len() <= cur.diff_cursor
            || !out.path().contains('.')
            || base_walks_into(scope, cur.base_cursor)
            || !self.diff_starts_with(cur.diff_cursor, &prefix)
        {
            return self.clear_types_of_content_reference(idx);
        }
        if out.types().len() > 1 && out.types().iter().any(|t| working_code(t) != "Reference") {
            return Err(self.element_error(
                &item.describe(),
                "the differential constrains children of an element with several types: slice the types first",
            ));
        }
        let t = out.types()[0].clone();
        let start = cur.diff_cursor;
        while cur.diff_cursor < self.diff_len() && self.diff_starts_with(cur.diff_cursor, &prefix) {
            cur.diff_cursor += 1;
        }
        if matches!(working_code(&t), "Base" | "Element" | "BackboneElement") {
            let base_start = scope
                .base
                .elements
                .iter()
                .position(|e| e == current)
                .map_or(cur.base_cursor, |i| i as isize)
                + 1;
            let mut base_max = base_start + 1;
            let child = format!("{}.", current.path());
            while self
                .base_at(scope, base_max)
                .is_some_and(|e| e.path().starts_with(&child))
            {
                base_max += 1;
            }
            let root = scope.base.elements.first().map(|e| e.path().to_string());
            let s = Scope {
                base_limit: base_max - 1,
                diff_limit: cur.diff_cursor - 1,
                context_src: root.clone(),
                context_dst: root,
                slicing: Slicing::default(),
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, base_start, start - 1);
            self.process_paths(&s, &mut c, None)?;
        } else {
            let dt = self
                .profile_for_data_type(&t)?
                .ok_or_else(|| self.unknown_type(d0.path(), out.types()))?;
            self.expand_type(
                cur,
                dt,
                start - 1,
                cur.diff_cursor - 1,
                d0.path(),
                out.path(),
                Vec::new(),
            )?;
        }
        self.clear_types_of_content_reference(idx)
    }

    /// A slice whose type has one profile takes that profile's root
    /// cardinality when it is tighter.
    fn constraints_from_slice_profile(&mut self, idx: usize) -> Result<(), SnapshotError> {
        let all: Vec<String> = self.result[idx]
            .types()
            .iter()
            .flat_map(|t| {
                profiles(t)
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        match all.as_slice() {
            [] => Ok(()),
            [one] => {
                if let Some(sd) = self.ctx.structure(one)? {
                    if let Some(root) = sd.elements.first() {
                        let out = &mut self.result[idx];
                        if root.min().unwrap_or(0) > 0 && out.min().unwrap_or(0) == 0 {
                            out.insert("min".into(), json!(root.min().unwrap_or(0)));
                        }
                        let repeats = |m: Option<&str>| !matches!(m, Some("1") | Some("0"));
                        if !repeats(root.max()) && repeats(out.max()) {
                            if let Some(m) = root.get("max") {
                                out.insert("max".into(), m.clone());
                            }
                        }
                    }
                }
                Ok(())
            }
            _ => {
                let path = self.result[idx].describe();
                Err(self.element_error(
                    &path,
                    &format!(
                        "a slice with several profiles is not handled: {}",
                        all.join(", ")
                    ),
                ))
            }
        }
    }

    fn clear_types_of_content_reference(&mut self, idx: usize) -> Result<(), SnapshotError> {
        let out = &mut self.result[idx];
        if out.content_reference().is_some() && out.has_types() {
            out.remove("type");
        }
        Ok(())
    }
}
