//! Choice elements constrained by type: `valueQuantity` for `value[x]`,
//! or explicit type slices (`value[x]:valueQuantity`). The reference turns
//! both into type slicing: a slicer on `value[x]` (discriminator type on
//! `$this`, closed) and one slice per type, each with the type's children
//! when the differential constrains them.
//!
//! A bare rename (`valueQuantity` with no slicer) implies a slicer that the
//! walk inserts into its copy of the differential for the duration of the
//! step. It restricts `value[x]` to the named types, as the reference
//! validator (and the published R4 snapshots) do.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::diff::base_end_of_element;
use super::type_slice_rules::find_base_slices;
use super::{Cursors, DiffEl, Scope, Slicing, Walk};
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::paths::tail;
use crate::types::code;

/// A differential element constraining one type of a choice.
pub(crate) struct TypeSlice {
    /// Its index in the differential.
    pub defn: isize,
    /// The type it selects (none for the slicer itself).
    pub ty: Option<String>,
}

/// A slice of the base's own type slicing.
pub(super) struct BaseTypeSlice {
    pub ty: String,
    pub start: isize,
    pub end: isize,
    pub handled: bool,
}

pub(super) fn type_slicing() -> Value {
    json!({"discriminator": [{"type": "type", "path": "$this"}], "ordered": false, "rules": "closed"})
}

impl Walk<'_, '_> {
    /// Type slicing of a choice the base does not slice.
    pub(crate) fn simple_type_slices(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        cpath: &str,
        mut matches: Vec<isize>,
        mut type_list: Vec<TypeSlice>,
    ) -> Result<(), SnapshotError> {
        let new_base_limit = base_end_of_element(&scope.base, cur.base_cursor);
        let new_diff_cursor = matches[0];
        let short_cut = type_list.first().is_some_and(|t| t.ty.is_some());
        let path0 = self.diff_path(new_diff_cursor).unwrap_or("").to_string();
        let inserted = if short_cut {
            let types: Vec<Value> = type_list
                .iter()
                .filter_map(|t| t.ty.as_ref())
                .map(|t| json!({ "code": t }))
                .collect();
            Some(self.insert_implied_slicer(
                &path0,
                cpath,
                types,
                new_diff_cursor,
                &mut matches,
                &mut type_list,
            ))
        } else {
            let (t1, t2) = (tail(cpath), tail(&path0));
            if t1 != t2 {
                return Err(self.element_error(
                    &path0,
                    &format!(
                        "the path must be '{}' not '{path0}' when the type list is not constrained",
                        path0.replace(t2, t1)
                    ),
                ));
            }
            None
        };
        let mut new_diff_limit = self.diff_end_of_element(new_diff_cursor);
        self.check_type_slicing(matches[0], cpath)?;
        self.name_type_slices(&type_list, cpath, true)?;

        let s = Scope {
            base_limit: new_base_limit,
            diff_limit: new_diff_limit,
            slicing: Slicing {
                done: true,
                ..Slicing::default()
            },
            ..scope.clone()
        };
        let mut c = self.cursors_at(cur, cur.base_cursor, new_diff_cursor);
        let e = self
            .process_paths(&s, &mut c, None)?
            .ok_or_else(|| self.element_error(&path0, "did not find the type root (internal)"))?;
        self.result[e].insert("slicing".into(), type_slicing());
        let mut slicer = self.result[e].clone();
        if self.result[e].types().len() > 1 {
            slicer.insert("min".into(), json!(0));
        }
        let mut fixed_type: Option<String> = None;
        for i in 1..matches.len() {
            let m = matches[i];
            if self.diff_el(m).and_then(ElementExt::min).unwrap_or(0) > 0 {
                if matches.len() > i + 1 {
                    return Err(self.min_one_type_slice_error(m));
                }
                self.result[e].insert("min".into(), json!(1));
                fixed_type = Some(self.determine_fixed_type(m)?);
            }
            let ndl = self.diff_end_of_element(m);
            let s = Scope {
                base_limit: new_base_limit,
                diff_limit: ndl,
                slicing: Slicing {
                    done: true,
                    slicer: Some(self.result[e].clone()),
                    path: None,
                },
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, cur.base_cursor, m);
            let tse = self.process_paths(&s, &mut c, Some(&slicer))?;
            if type_list.len() > 2 {
                if let Some(t) = tse {
                    self.result[t].insert("min".into(), json!(0));
                }
            }
            new_diff_limit = ndl;
        }
        if let Some(pos) = inserted {
            self.diff.remove(pos as usize);
            new_diff_limit -= 1;
        }
        if let Some(ft) = fixed_type {
            retain_types(&mut self.result[e], |t| code(t) == ft);
        }
        if self.result[e].max() != Some("0") {
            let mut allowed: BTreeSet<String> = self.result[e]
                .types()
                .iter()
                .map(|t| code(t).to_string())
                .collect();
            for t in &type_list {
                match &t.ty {
                    Some(ty) => {
                        allowed.remove(ty);
                    }
                    None => {
                        if let Some(d) = self.diff_el(t.defn) {
                            if let (Some(_), [one]) = (d.slice_name(), d.types()) {
                                allowed.remove(code(one));
                            }
                        }
                    }
                }
            }
            if !allowed.is_empty() {
                if cpath.contains("xtension.value") && short_cut {
                    retain_types(&mut self.result[e], |t| !allowed.contains(code(t)));
                } else if let Some(Value::Object(sl)) = self.result[e].get_mut("slicing") {
                    sl.insert("rules".into(), json!("open"));
                }
            }
        }
        cur.base_cursor = new_base_limit + 1;
        cur.diff_cursor = new_diff_limit + 1;
        Ok(())
    }

    /// Type slicing of a choice the base already slices by type.
    pub(crate) fn sliced_type_slices(
        &mut self,
        scope: &Scope,
        cur: &mut Cursors,
        cpath: &str,
        mut matches: Vec<isize>,
        mut type_list: Vec<TypeSlice>,
    ) -> Result<(), SnapshotError> {
        let new_base_limit = base_end_of_element(&scope.base, cur.base_cursor);
        let new_diff_cursor = matches[0];
        let d0 = self.diff_el(new_diff_cursor).cloned().unwrap_or_default();
        let short_cut = type_list.first().is_some_and(|t| t.ty.is_some())
            || (d0.slice_name().is_some() && !d0.has_slicing());
        let inserted = if short_cut {
            let types: Vec<Value> = type_list
                .iter()
                .filter_map(|t| t.ty.as_ref())
                .map(|t| json!({ "code": t }))
                .collect();
            Some(self.insert_implied_slicer(
                d0.path(),
                cpath,
                types,
                new_diff_cursor,
                &mut matches,
                &mut type_list,
            ))
        } else {
            None
        };
        let mut new_diff_limit = self.diff_end_of_element(new_diff_cursor);
        self.check_type_slicing(matches[0], cpath)?;
        self.name_type_slices(&type_list, cpath, false)?;

        let s = Scope {
            base_limit: new_base_limit,
            diff_limit: new_diff_limit,
            slicing: Slicing {
                done: true,
                slicer: None,
                path: Some(cpath.to_string()),
            },
            ..scope.clone()
        };
        let mut c = self.cursors_at(cur, cur.base_cursor, new_diff_cursor);
        let e = self
            .process_paths(&s, &mut c, None)?
            .ok_or_else(|| self.element_error(cpath, "did not find the type root (internal)"))?;
        self.result[e].insert("slicing".into(), type_slicing());

        let mut fixed_type: Option<String> = None;
        let mut base_slices = find_base_slices(scope, new_base_limit);
        for i in 1..matches.len() {
            let m = matches[i];
            let ty = self.determine_fixed_type(m)?;
            if self.diff_el(m).and_then(ElementExt::min).unwrap_or(0) > 0 {
                if matches.len() > i + 1 {
                    return Err(self.min_one_type_slice_error(m));
                }
                fixed_type = Some(ty.clone());
            }
            let ndl = self.diff_end_of_element(m);
            let (mut s_start, mut s_end) = (cur.base_cursor, new_base_limit);
            if let Some(bs) = base_slices.iter_mut().find(|b| b.ty == ty) {
                (s_start, s_end) = (bs.start, bs.end);
                bs.handled = true;
            }
            let s = Scope {
                base_limit: s_end,
                diff_limit: ndl,
                slicing: Slicing {
                    done: true,
                    slicer: Some(self.result[e].clone()),
                    path: Some(cpath.to_string()),
                },
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, s_start, m);
            self.process_paths(&s, &mut c, None)?;
            new_diff_limit = ndl;
        }
        if let Some(pos) = inserted {
            self.diff.remove(pos as usize);
            new_diff_limit -= 1;
        }
        if let Some(ft) = fixed_type {
            retain_types(&mut self.result[e], |t| code(t) == ft);
        }
        for bs in base_slices.iter().filter(|b| !b.handled) {
            // The base's slice, unchanged: run it against an empty differential.
            let Some(path) = self.base_at(scope, bs.start).map(|b| b.path().to_string()) else {
                continue;
            };
            let mut fake = Element::new();
            fake.set_path(path);
            let saved = std::mem::replace(
                &mut self.diff,
                vec![DiffEl {
                    el: fake,
                    used: true,
                    synthetic: true,
                }],
            );
            let s = Scope {
                base_limit: bs.end,
                diff_limit: 0,
                slicing: Slicing {
                    done: true,
                    slicer: Some(self.result[e].clone()),
                    path: Some(cpath.to_string()),
                },
                ..scope.clone()
            };
            let mut c = self.cursors_at(cur, bs.start, 0);
            let r = self.process_paths(&s, &mut c, None);
            self.diff = saved;
            r?;
        }
        cur.base_cursor = base_slices.last().map_or(new_base_limit, |b| b.end) + 1;
        cur.diff_cursor = new_diff_limit + 1;
        Ok(())
    }
}

fn retain_types(e: &mut Element, keep: impl Fn(&Value) -> bool) {
    if let Some(Value::Array(list)) = e.get_mut("type") {
        list.retain(|t| keep(t));
    }
}
