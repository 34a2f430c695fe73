//! A base element that the base already slices (Java
//! `processPathWithSlicedBase`): the differential may refine the slicing,
//! constrain existing slices (in the base's order) and add new slices at
//! the end, unless the base closed the slicing.

use serde_json::Value;

use super::diff::{base_end_of_element, base_has_children, base_siblings, slicing_summary};
use super::{Cursors, Scope, Slicing, Walk};
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::merge::{update_from_base, update_from_slicing};
use crate::types::working_code;

impl Walk<'_, '_> {
    pub(crate) fn sliced_base_path(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        matches: Vec<isize>,
    ) -> Result<(), SnapshotError> {
        if matches.is_empty() {
            return self.sliced_unconstrained(scope, cur, current, cpath);
        }
        let mut type_list = Vec::new();
        if self.diffs_constrain_types(&matches, cpath, &mut type_list) {
            self.sliced_type_slices(scope, cur, cpath, matches, type_list)
        } else {
            self.sliced_constrained(scope, cur, current, cpath, &matches)
        }
    }

    /// The differential does not name this element: copy it with its
    /// slices, unless the differential goes into its children.
    fn sliced_unconstrained(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
    ) -> Result<(), SnapshotError> {
        let path = current.path().to_string();
        if !self.has_inner_diff_matches(&path, cur.diff_cursor, scope.diff_limit, true) {
            while let Some(e) = self.base_at(scope, cur.base_cursor) {
                if !e.path().starts_with(path.as_str()) {
                    break;
                }
                let mut outcome = e.clone();
                outcome.set_path(self.dest_path(scope, e.path()));
                self.push(cur, outcome)?;
                cur.base_cursor += 1;
            }
            return Ok(());
        }
        let outcome = self.copy_base(scope, current);
        let out_path = outcome.path().to_string();
        let idx = self.push(cur, outcome)?;
        if base_has_children(scope, cur.base_cursor) {
            let child = Scope {
                slicing: Slicing::default(),
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, cur.base_cursor + 1, cur.diff_cursor);
            self.process_paths(&child, &mut c, None)?;
            cur.base_cursor = scope.base_limit + 1;
        } else {
            let dt = self.type_for_element(idx, cpath)?;
            let start = cur.diff_cursor;
            if self.diff_path(cur.diff_cursor) == Some(cpath) {
                cur.diff_cursor += 1;
            }
            let prefix = format!("{cpath}.");
            while cur.diff_cursor < self.diff_len()
                && self.diff_starts_with(cur.diff_cursor, &prefix)
            {
                cur.diff_cursor += 1;
            }
            if cur.diff_cursor > start {
                self.expand_type(
                    cur,
                    dt,
                    start,
                    cur.diff_cursor - 1,
                    cpath,
                    &out_path,
                    Vec::new(),
                )?;
            }
        }
        cur.base_cursor += 1;
        Ok(())
    }

    /// The differential refines the base's slicing and/or its slices.
    fn sliced_constrained(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        matches: &[isize],
    ) -> Result<(), SnapshotError> {
        let path = current.path().to_string();
        let rules = |e: &Element| {
            e.slicing()
                .and_then(|s| s.get("rules"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let closed = rules(current).as_deref() == Some("closed");
        let m0 = matches[0];
        let d0 = self.diff_el(m0).cloned().unwrap_or_default();
        if d0.has_slicing() {
            self.check_slicing_compatible(current, &d0, &path)?;
        }
        let mut outcome = self.copy_base(scope, current);
        if d0.has_slicing() || d0.slice_name().is_none() {
            if let (Some(Value::Object(dst)), Some(src)) =
                (outcome.get_mut("slicing"), d0.slicing())
            {
                update_from_slicing(dst, src);
            }
        }
        let idx = self.push(cur, outcome)?;
        if d0.has_slicing() || d0.slice_name().is_none() {
            self.apply_diff(idx, m0, &scope.base.url)?;
        } else {
            self.auto_slicing.insert(idx);
        }
        let mut diffpos = usize::from(d0.slice_name().is_none());
        if self.has_inner_diff_matches(cpath, cur.diff_cursor, scope.diff_limit, false) {
            self.sliced_slicer_children(scope, cur, cpath, idx, m0, &d0)?;
        } else if current.types().first().map(working_code) == Some("BackboneElement") {
            // The slicer's children come before the slices.
            let end = base_end_of_element(&scope.base, cur.base_cursor);
            for i in cur.base_cursor + 1..=end {
                if let Some(e) = self.base_at(scope, i) {
                    let mut out = e.clone();
                    out.set_path(self.dest_path(scope, e.path()));
                    self.push_unchecked(out);
                }
            }
        }
        // Existing slices, in the base's order; the differential's must follow it.
        let base_matches = base_siblings(scope, cur.base_cursor);
        for &bi in &base_matches {
            cur.base_cursor = bi;
            let Some(base_item) = self.base_at(scope, bi) else {
                continue;
            };
            let name = base_item.slice_name().map(str::to_string);
            let next = matches.get(diffpos).copied();
            let next_name = next
                .and_then(|m| self.diff_el(m))
                .and_then(|e| e.slice_name())
                .map(str::to_string);
            if let (Some(m), true) = (next, next_name.is_some() && next_name == name) {
                let nbl = base_end_of_element(&scope.base, bi);
                let ndl = self.diff_end_of_element(m);
                let s = Scope {
                    base_limit: nbl,
                    diff_limit: ndl,
                    slicing: Slicing {
                        done: true,
                        ..Slicing::default()
                    },
                    ..scope.clone()
                };
                let mut c = self.cursors_at(cur, bi, m);
                self.process_paths(&s, &mut c, None)?;
                cur.base_cursor = nbl;
                cur.diff_cursor = ndl + 1;
                diffpos += 1;
            } else {
                let mut out = base_item.clone();
                update_from_base(&mut out, current);
                out.set_path(self.dest_path(scope, base_item.path()));
                out.remove("slicing");
                self.push(cur, out)?;
                cur.base_cursor += 1;
                while let Some(e) = self.base_at(scope, cur.base_cursor) {
                    if !e.path().starts_with(path.as_str()) || e.path() == path {
                        break;
                    }
                    let mut out = e.clone();
                    out.set_path(self.dest_path(scope, e.path()));
                    self.push(cur, out)?;
                    cur.base_cursor += 1;
                }
                cur.base_cursor -= 1;
            }
        }
        if closed && diffpos < matches.len() && !path.ends_with("[x]") {
            return Err(self.element_error(
                cpath,
                "the base marks the slicing as closed, but the differential tries to add slices",
            ));
        }
        while diffpos < matches.len() {
            self.new_slice_on_sliced_base(scope, cur, current, matches, diffpos, &base_matches)?;
            diffpos += 1;
        }
        cur.base_cursor += 1;
        Ok(())
    }

    /// The differential constrains the slicer's children.
    fn sliced_slicer_children(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        cpath: &str,
        idx: usize,
        m0: isize,
        d0: &Element,
    ) -> Result<(), SnapshotError> {
        let nbl = base_end_of_element(&scope.base, cur.base_cursor);
        let ndc = m0 + isize::from(d0.has_slicing());
        let ndl = self.diff_end_of_element(m0);
        if nbl == cur.base_cursor {
            let types = self
                .base_at(scope, cur.base_cursor)
                .map(|e| e.types().to_vec())
                .unwrap_or_default();
            let [t] = types.as_slice() else {
                return Err(self.element_error(
                    cpath,
                    "the differential walks into a sliced element with several types; this is not handled",
                ));
            };
            let dt = self
                .profile_for_data_type(t)?
                .ok_or_else(|| self.unknown_type(cpath, &types))?;
            let prefix = format!("{cpath}.");
            while cur.diff_cursor < self.diff_len()
                && self.diff_starts_with(cur.diff_cursor, &prefix)
            {
                cur.diff_cursor += 1;
            }
            let dst = self.result[idx].path().to_string();
            self.expand_type(cur, dt, ndc, ndl, cpath, &dst, Vec::new())
        } else {
            let s = Scope {
                base_limit: nbl,
                diff_limit: ndl,
                redirector: Vec::new(),
                slicing: Slicing::default(),
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, cur.base_cursor + 1, ndc);
            self.process_paths(&s, &mut c, None).map(|_| ())
        }
    }

    /// The differential may restate the base's slicing, and extend it, but
    /// not contradict it.
    fn check_slicing_compatible(
        &self,
        current: &Element,
        d0: &Element,
        path: &str,
    ) -> Result<(), SnapshotError> {
        let (Some(ds), Some(bs)) = (d0.slicing(), current.slicing()) else {
            return Ok(());
        };
        let ordered =
            |s: &serde_json::Map<String, Value>| s.get("ordered").and_then(Value::as_bool);
        let order_ok = match (ordered(ds), ordered(bs)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let discs = |s: &serde_json::Map<String, Value>| {
            s.get("discriminator")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (dd, bd) = (discs(ds), discs(bs));
        let same =
            |a: &Value, b: &Value| a.get("type") == b.get("type") && a.get("path") == b.get("path");
        let disc_ok = dd.is_empty()
            || bd.is_empty()
            || (dd.len() >= bd.len() && bd.iter().zip(&dd).all(|(b, d)| same(b, d)));
        let rule = |s: &serde_json::Map<String, Value>| {
            s.get("rules").and_then(Value::as_str).map(str::to_string)
        };
        let rules_ok = current.path().ends_with("[x]")
            || match (rule(ds).as_deref(), rule(bs).as_deref()) {
                (Some(d), Some(b)) => d == b || b == "open" || (d == "openAtEnd" && b == "closed"),
                _ => true,
            };
        let what = if !order_ok {
            "order"
        } else if !disc_ok {
            "discriminator"
        } else if !rules_ok {
            "rule"
        } else {
            return Ok(());
        };
        Err(self.element_error(
            path,
            &format!(
                "slicing rules on the differential ({}) do not match those on the base ({}) - {what}",
                slicing_summary(Some(ds)),
                slicing_summary(Some(bs))
            ),
        ))
    }
}
