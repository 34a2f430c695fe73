//! The differential slices a base element that is not sliced yet (Java
//! `processSimplePathDefault`): write the slicer (the element with the
//! slicing, plus its children when the base lists them), then process the
//! base element's subtree once per slice with that slice's differential
//! subtree. Extensions may be sliced without a slicing entry: they get the
//! standard url slicing.

use serde_json::{json, Value};

use super::diff::{base_end_of_element, base_has_children, slicing_summary};
use super::{Cursors, Scope, Slicing, Walk};
use crate::element::{unbounded, Element, ElementExt};
use crate::error::SnapshotError;
use crate::merge::{check_extension_doco, extension_slicing, update_from_base};
use crate::structure::Structure;

impl Walk<'_, '_> {
    pub(crate) fn simple_slicing(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        matches: &[isize],
    ) -> Result<(), SnapshotError> {
        let Some(&m0) = matches.first() else {
            return Ok(());
        };
        let d0 = self.diff_el(m0).cloned().unwrap_or_default();
        if !(unbounded(current) || is_sliced_to_one_only(&d0) || is_type_slicing(&d0)) {
            return Err(self.element_error(
                cpath,
                &format!(
                    "attempt to slice an element that does not repeat ({} has max {}); slices: {}",
                    current.path(),
                    current.max().unwrap_or("?"),
                    self.slice_names(matches)
                ),
            ));
        }
        if !d0.has_slicing() && !is_extension(current) {
            return Err(self.element_error(
                cpath,
                &format!(
                    "the differential slices this element (slices: {}) but does not define the slicing (no element with slicing before the slices)",
                    self.slice_names(matches)
                ),
            ));
        }
        let new_base_limit = base_end_of_element(&scope.base, cur.base_cursor);
        let mut start = 0;
        let slicer;
        let next_is_separate = matches.get(1).is_some_and(|&m1| m1 > m0 + 1);
        if matches.len() > 1
            && d0.has_slicing()
            && (new_base_limit > cur.base_cursor || next_is_separate)
        {
            // The slicer has content of its own (children in the base, or
            // differential children before the first slice): process it as
            // an element, then give it the slicing.
            let ndl = self.diff_end_of_element(m0);
            let s = Scope {
                base_limit: new_base_limit,
                diff_limit: ndl,
                slicing: Slicing {
                    done: true,
                    ..Slicing::default()
                },
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, cur.base_cursor, m0);
            let e = self.process_paths(&s, &mut c, None)?.ok_or_else(|| {
                self.element_error(cpath, "did not find the single slice (internal)")
            })?;
            if let Some(sl) = d0.get("slicing") {
                self.result[e].insert("slicing".into(), sl.clone());
            }
            slicer = self.result[e].clone();
            start = 1;
        } else {
            let idx = self.write_slicer(scope, cur, current, &d0, matches)?;
            if d0.slice_name().is_none() {
                self.slicer_content(scope, cur, current, cpath, idx, m0)?;
                start = 1;
            } else {
                check_extension_doco(&mut self.result[idx]);
            }
            slicer = self.result[idx].clone();
        }
        let mut ndl = cur.diff_cursor;
        for &m in &matches[start..] {
            ndl = self.diff_end_of_element(m);
            let s = Scope {
                base_limit: new_base_limit,
                diff_limit: ndl,
                slicing: Slicing {
                    done: true,
                    slicer: Some(slicer.clone()),
                    path: None,
                },
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, cur.base_cursor, m);
            self.process_paths(&s, &mut c, Some(&slicer))?;
        }
        cur.base_cursor = new_base_limit + 1;
        cur.diff_cursor = ndl + 1;
        Ok(())
    }

    /// Writes the base element with the differential's slicing (or the
    /// default extension slicing).
    fn write_slicer(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        d0: &Element,
        matches: &[isize],
    ) -> Result<usize, SnapshotError> {
        let mut outcome = self.copy_base(scope, current);
        let auto = !d0.has_slicing();
        match d0.get("slicing") {
            Some(sl) if !auto => {
                outcome.insert("slicing".into(), sl.clone());
                for &m in &matches[1..] {
                    let Some(other) = self.diff_el(m) else {
                        continue;
                    };
                    if other.has_slicing() && other.slicing() != d0.slicing() {
                        self.issues.push(format!(
                            "{}: {}: attempt to change the slicing from {} to {}",
                            self.url,
                            other.describe(),
                            slicing_summary(d0.slicing()),
                            slicing_summary(other.slicing())
                        ));
                    }
                }
            }
            _ => {
                outcome.insert("slicing".into(), extension_slicing());
            }
        }
        let idx = self.push(cur, outcome)?;
        if auto {
            self.auto_slicing.insert(idx);
        }
        Ok(idx)
    }

    /// The differential's slicer entry (no slice name) constrains the
    /// sliced element itself, and possibly its children.
    fn slicer_content(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        idx: usize,
        m0: isize,
    ) -> Result<(), SnapshotError> {
        self.apply_diff(idx, m0, &scope.base.url)?;
        let out = &self.result[idx];
        if out.content_reference().is_none() && !out.has_types() && out.path().contains('.') {
            return Err(self.element_error(cpath, "the sliced element has no type"));
        }
        let out_path = out.path().to_string();
        if self.has_inner_diff_matches(cpath, cur.diff_cursor, scope.diff_limit, false) {
            if base_has_children(scope, cur.base_cursor) {
                if cur.diff_cursor == 0 {
                    return Err(SnapshotError::SlicingAtRoot {
                        profile: self.url.clone(),
                        path: current.path().to_string(),
                    });
                }
                return Err(self.element_error(
                    cpath,
                    "constraining the children of a sliced element whose children the base lists is not supported (nor by the reference implementation): constrain the slices instead",
                ));
            }
            let dt = self.type_for_element(idx, cpath)?;
            cur.diff_cursor += 1;
            let inner_start = cur.diff_cursor;
            let prefix = format!("{cpath}.");
            while cur.diff_cursor < self.diff_len()
                && self.diff_starts_with(cur.diff_cursor, &prefix)
            {
                cur.diff_cursor += 1;
            }
            cur.diff_cursor -= 1;
            self.expand_type(
                cur,
                dt,
                inner_start,
                cur.diff_cursor,
                cpath,
                &out_path,
                Vec::new(),
            )?;
        } else if let Some(reference) = current.content_reference() {
            if !base_has_children(scope, cur.base_cursor) {
                self.inline_content_reference(scope, cur, current, reference)?;
            }
        }
        Ok(())
    }

    /// Copies the elements a content reference points at beneath the
    /// sliced element, so the slices have children to constrain.
    fn inline_content_reference(
        &mut self,
        scope: &Scope,
        cur: &Cursors,
        current: &Element,
        reference: &str,
    ) -> Result<(), SnapshotError> {
        let target = reference.rsplit_once('#').map_or(reference, |(_, p)| p);
        let els = &scope.base.elements;
        let bstart = (0..cur.base_cursor.max(0) as usize)
            .rev()
            .find(|&i| els.get(i).is_some_and(|e| e.path() == target))
            .ok_or_else(|| {
                self.element_error(
                    current.path(),
                    &format!("unable to resolve the content reference {reference}"),
                )
            })?;
        let bend = base_end_of_element(&scope.base, bstart as isize);
        for i in bstart + 1..=(bend.max(0) as usize) {
            let Some(src) = els.get(i) else { break };
            let mut outcome = src.clone();
            outcome.remove("id");
            let redirected = src.path().replacen(target, current.path(), 1);
            outcome.set_path(self.dest_path(scope, &redirected));
            update_from_base(&mut outcome, src);
            self.push_unchecked(outcome);
        }
        Ok(())
    }

    /// The definition whose elements are the children of a sliced element
    /// (Java `getTypeForElement`).
    pub(crate) fn type_for_element(
        &mut self,
        idx: usize,
        cpath: &str,
    ) -> Result<std::rc::Rc<Structure>, SnapshotError> {
        let types = self.result[idx].types().to_vec();
        if types.is_empty() {
            return Err(self.element_error(
                cpath,
                "the differential constrains children but the element has no children and no types",
            ));
        }
        if types.len() > 1
            && types
                .iter()
                .any(|t| crate::types::working_code(t) != "Reference")
        {
            return Err(self.element_error(
                cpath,
                "the differential constrains children of an element with several types: slice the types first",
            ));
        }
        let dt = self.profile_for_data_type(&types[0])?;
        dt.ok_or_else(|| self.unknown_type(cpath, &types))
    }

    pub(crate) fn cursors_at(
        &self,
        cur: &Cursors,
        base_cursor: isize,
        diff_cursor: isize,
    ) -> Cursors {
        Cursors {
            base_cursor,
            diff_cursor,
            result_path_base: cur.result_path_base.clone(),
        }
    }

    pub(crate) fn slice_names(&self, matches: &[isize]) -> String {
        let names: Vec<&str> = matches
            .iter()
            .filter_map(|&m| self.diff_el(m).and_then(|e| e.slice_name()))
            .collect();
        names.join(", ")
    }
}

pub(crate) fn is_extension(e: &Element) -> bool {
    e.path().ends_with(".extension") || e.path().ends_with(".modifierExtension")
}

fn is_sliced_to_one_only(e: &Element) -> bool {
    e.has_slicing() && e.max() == Some("1")
}

/// Slicing by type (`type` discriminator on `$this`).
pub(crate) fn is_type_slicing(e: &Element) -> bool {
    let d = e
        .slicing()
        .and_then(|s| s.get("discriminator"))
        .and_then(Value::as_array);
    match d.map(Vec::as_slice) {
        Some([only]) => {
            only.get("type") == Some(&json!("type")) && only.get("path") == Some(&json!("$this"))
        }
        _ => false,
    }
}
