//! A base element that is not sliced in the base: copied when the
//! differential says nothing, constrained when one differential element
//! matches, sliced otherwise (see `slicing.rs` and `type_slices.rs`).
//! Either way, when the differential goes on to constrain its children and
//! the base has none listed, the element's type (or type profile, or
//! content reference) is expanded beneath it.

use std::rc::Rc;

use serde_json::{json, Value};

use super::diff::{base_has_children, base_walks_into};
use super::{Cursors, Scope, Slicing, Walk};
use crate::context::Context;
use crate::element::{max_as_int, Element, ElementExt};
use crate::error::SnapshotError;
use crate::merge::fill_out_from_base;
use crate::paths::{skip_bytes, tail, uncapitalize, Redirect};
use crate::structure::Structure;
use crate::types::{code, first_profile, profiles, working_code};

impl Walk<'_, '_> {
    pub(crate) fn simple_path(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        matches: Vec<isize>,
        slicer: Option<&Element>,
    ) -> Result<Option<usize>, SnapshotError> {
        if matches.is_empty() {
            self.simple_unconstrained(scope, cur, current, cpath)?;
            return Ok(None);
        }
        if self.one_matching_element(scope.slicing.done, cpath, &matches) {
            return self
                .simple_one_match(scope, cur, current, cpath, &matches, slicer)
                .map(Some);
        }
        let mut type_list = Vec::new();
        if self.diffs_constrain_types(&matches, cpath, &mut type_list) {
            self.simple_type_slices(scope, cur, cpath, matches, type_list)?;
        } else {
            self.simple_slicing(scope, cur, current, cpath, &matches)?;
        }
        Ok(None)
    }

    /// One differential element that is this element's constraint (not the
    /// start of slicing).
    fn one_matching_element(&self, slicing_done: bool, path: &str, matches: &[isize]) -> bool {
        if matches.len() != 1 {
            return false;
        }
        if slicing_done {
            return true;
        }
        let Some(d0) = self.diff_el(matches[0]) else {
            return false;
        };
        let implicit_type_slice = d0.path() != path
            && path
                .strip_suffix("[x]")
                .is_some_and(|stem| d0.path().starts_with(stem));
        if implicit_type_slice {
            return false;
        }
        let is_extension =
            d0.path().ends_with(".extension") || d0.path().ends_with(".modifierExtension");
        !(d0.has_slicing() || (is_extension && d0.slice_name().is_some()))
    }

    /// The differential says nothing about this element: copy it, and walk
    /// into it if the differential constrains its children.
    fn simple_unconstrained(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
    ) -> Result<(), SnapshotError> {
        let mut outcome = self.copy_base(scope, current);
        set_constraint_sources(&mut outcome, &scope.base.url);
        let out_path = outcome.path().to_string();
        let idx = self.push(cur, outcome)?;
        if self.has_inner_diff_matches(cpath, cur.diff_cursor, scope.diff_limit, true) {
            if base_has_children(scope, cur.base_cursor) {
                let child = Scope {
                    slicing: Slicing::default(),
                    ..scope.clone()
                };
                let mut c = Cursors {
                    base_cursor: cur.base_cursor + 1,
                    diff_cursor: cur.diff_cursor,
                    result_path_base: cur.result_path_base.clone(),
                };
                self.process_paths(&child, &mut c, None)?;
                cur.base_cursor = scope.base_limit + 1;
            } else {
                let types = self.result[idx].types().to_vec();
                let content_ref = self.result[idx].content_reference().map(str::to_string);
                if types.is_empty() && content_ref.is_none() {
                    let next = self.diff_path(cur.diff_cursor).unwrap_or("?").to_string();
                    return Err(self.element_error(
                        cpath,
                        &format!("the differential constrains children ({next}) but the element has no children and no types"),
                    ));
                }
                let prefix = format!("{cpath}.");
                if !self.diff_starts_with(cur.diff_cursor, &prefix) {
                    cur.diff_cursor += 1;
                }
                let start = cur.diff_cursor;
                while cur.diff_cursor < self.diff_len()
                    && self.diff_starts_with(cur.diff_cursor, &prefix)
                {
                    cur.diff_cursor += 1;
                }
                if content_ref.is_some() {
                    self.follow_content_reference(scope, cur, idx, cpath, start, start, &out_path)?;
                } else {
                    let dt = if types.len() > 1 {
                        self.ctx.type_structure("Element")?
                    } else {
                        self.profile_for_data_type(&types[0])?
                    };
                    let dt = dt.ok_or_else(|| self.unknown_type(cpath, &types))?;
                    let redirector = if scope.redirector.is_empty() {
                        Vec::new()
                    } else {
                        let mut r = scope.redirector.clone();
                        r.push(Redirect {
                            path: cpath.to_string(),
                        });
                        r
                    };
                    self.expand_type(
                        cur,
                        dt,
                        start,
                        cur.diff_cursor - 1,
                        cpath,
                        &out_path,
                        redirector,
                    )?;
                }
            }
        }
        cur.base_cursor += 1;
        Ok(())
    }

    /// One differential element constrains this element: merge it, taking
    /// a type profile's root as the template for extensions and resources.
    fn simple_one_match(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        current: &Element,
        cpath: &str,
        matches: &[isize],
        slicer: Option<&Element>,
    ) -> Result<usize, SnapshotError> {
        let m0 = matches[0];
        let d0 = self.diff_el(m0).cloned().unwrap_or_default();
        self.check_reference_type(current, &d0)?;
        let template = self.template_for(current, &d0)?;
        let mut outcome = match template {
            None => current.clone(),
            Some(t) => fill_out_from_base(&t, current),
        };
        outcome.set_path(self.dest_path(scope, outcome.path()));
        crate::merge::update_from_base(&mut outcome, current);
        if let Some(name) = d0.slice_name() {
            let mut t2 = current.clone();
            t2.set_path(self.dest_path(scope, current.path()));
            self.ensure_slicing_exists(&d0, t2);
            outcome.insert("sliceName".into(), json!(name));
            let closed = scope
                .slicing
                .slicer
                .as_ref()
                .and_then(|s| s.slicing())
                .and_then(|s| s.get("rules"))
                .and_then(Value::as_str)
                == Some("closed");
            if !d0.contains_key("min")
                && (matches.len() > 1 || !closed)
                && current.slice_name().is_none()
                && !cpath.ends_with("xtension.value[x]")
            {
                outcome.insert("min".into(), json!(0));
            }
        }
        let idx = self.push(cur, outcome)?;
        self.apply_diff(idx, m0, &scope.base.url.clone())?;
        if let Some(s) = slicer {
            if max_as_int(self.result[idx].max()) > max_as_int(s.max()) {
                if let Some(m) = s.get("max") {
                    self.result[idx].insert("max".into(), m.clone());
                }
            }
        }
        self.result[idx].remove("slicing");
        cur.base_cursor += 1;
        cur.diff_cursor = m0 + 1;
        self.walk_into_children(scope, cur, idx, cpath, &d0)?;
        Ok(idx)
    }

    /// After a constrained element: if the differential goes on into its
    /// children and the base does not list them, expand its type.
    fn walk_into_children(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        idx: usize,
        cpath: &str,
        d0: &Element,
    ) -> Result<(), SnapshotError> {
        let out = self.result[idx].clone();
        let types = out.types().to_vec();
        let walkable = self.ctx.all_data_types(&types)
            || Context::not_resource_typed(&types)
            || out.content_reference().is_some();
        if scope.diff_limit < cur.diff_cursor || !out.path().contains('.') || !walkable {
            return Ok(());
        }
        let prefix = format!("{}.", d0.path());
        if !self.diff_starts_with(cur.diff_cursor, &prefix)
            || base_walks_into(scope, cur.base_cursor)
        {
            return Ok(());
        }
        if types.len() > 1 && out.path().ends_with("[x]") && !d0.path().ends_with("[x]") {
            // The differential renamed the choice (valueQuantity): keep that type.
            let en = tail(out.path());
            let tn = tail(d0.path());
            let mut t = skip_bytes(tn, en.len().saturating_sub(3)).to_string();
            if self.ctx.is_primitive(&uncapitalize(&t)) {
                t = uncapitalize(&t);
            }
            let mut ntr: Vec<Value> = types
                .iter()
                .filter(|x| working_code(x) == t)
                .cloned()
                .collect();
            if ntr.is_empty() {
                ntr.push(json!({ "code": t }));
            }
            self.result[idx].insert("type".into(), Value::Array(ntr));
        }
        let start = cur.diff_cursor;
        while cur.diff_cursor <= scope.diff_limit && self.diff_starts_with(cur.diff_cursor, &prefix)
        {
            cur.diff_cursor += 1;
        }
        if out.content_reference().is_some() {
            let dst = d0.path().to_string();
            return self.follow_content_reference(
                scope,
                cur,
                idx,
                cpath,
                start - 1,
                start - 1,
                &dst,
            );
        }
        let types = self.result[idx].types().to_vec();
        let dt = if types.len() > 1 {
            let mut codes: Vec<&str> = types.iter().map(code).collect();
            codes.dedup();
            if codes.len() == 1 {
                self.structure_for_type(&types[0])?
            } else {
                self.ctx.type_structure("Element")?
            }
        } else {
            match types.first() {
                Some(t) => self.structure_for_type(t)?,
                None => None,
            }
        };
        let dt = dt.ok_or_else(|| self.unknown_type(d0.path(), &types))?;
        let dst = self.result[idx].path().to_string();
        self.expand_type(
            cur,
            dt,
            start,
            cur.diff_cursor - 1,
            d0.path(),
            &dst,
            Vec::new(),
        )
    }

    fn structure_for_type(&mut self, t: &Value) -> Result<Option<Rc<Structure>>, SnapshotError> {
        if profiles(t).len() > 1 {
            self.ctx.type_structure(working_code(t))
        } else {
            self.profile_for_data_type(t)
        }
    }

    /// The definition to expand for a type: its profile when it has one and
    /// the profile is known, else the type itself.
    pub(crate) fn profile_for_data_type(
        &mut self,
        t: &Value,
    ) -> Result<Option<Rc<Structure>>, SnapshotError> {
        if let Some(p) = first_profile(t) {
            if let Some(s) = self.ctx.structure(p)? {
                return Ok(Some(s));
            }
        }
        self.ctx.type_structure(working_code(t))
    }

    pub(crate) fn unknown_type(&self, path: &str, types: &[Value]) -> SnapshotError {
        let names: Vec<&str> = types.iter().map(working_code).collect();
        self.element_error(
            path,
            &format!(
                "the differential constrains children of type {}, but that type's definition cannot be found",
                if names.is_empty() { "(none)".to_string() } else { names.join(" | ") }
            ),
        )
    }
}

/// Constraints copied from a definition say where they come from.
pub(crate) fn set_constraint_sources(e: &mut Element, url: &str) {
    if url.is_empty() {
        return;
    }
    if let Some(list) = e.get_mut("constraint").and_then(Value::as_array_mut) {
        for c in list.iter_mut().filter_map(Value::as_object_mut) {
            c.entry("source").or_insert_with(|| json!(url));
        }
    }
}
