//! Recognising type slices and checking them (Java `diffsConstrainTypes`
//! and the checks around type slicing): which differential elements select
//! which type of a choice, the implied slicer of a bare rename, slice
//! names, and the base's own type slices.

use serde_json::{json, Value};

use super::type_slices::{type_slicing, BaseTypeSlice, TypeSlice};
use super::{DiffEl, Scope, Walk};
use crate::element::{Element, ElementExt};
use crate::error::SnapshotError;
use crate::paths::{capitalize, root_name, skip_bytes, tail, type_slice_path, uncapitalize};
use crate::types::{code, working_code};

impl Walk<'_, '_> {
    /// Do the matches constrain a choice by type? Fills `type_list`.
    pub(crate) fn diffs_constrain_types(
        &self,
        matches: &[isize],
        cpath: &str,
        type_list: &mut Vec<TypeSlice>,
    ) -> bool {
        let Some(p) = matches.first().and_then(|&m| self.diff_path(m)) else {
            return false;
        };
        if !p.ends_with("[x]") && !cpath.ends_with("[x]") {
            return false;
        }
        type_list.clear();
        let rn_full = tail(cpath);
        let rn = rn_full.get(..rn_full.len().saturating_sub(3)).unwrap_or("");
        for &m in matches {
            let Some(ed) = self.diff_el(m) else { continue };
            let n = tail(ed.path());
            let Some(s) = n.strip_prefix(rn) else {
                return false;
            };
            let ty = match (ed.slice_name(), ed.types()) {
                (Some(_), [t]) => Some(working_code(t).to_string()),
                (Some(name), []) => self
                    .type_named(s)
                    .or_else(|| self.type_named(skip_bytes(name, n.len()))),
                (None, _) if s != "[x]" => {
                    if self.ctx.is_data_type(s) {
                        Some(s.to_string())
                    } else if self.ctx.is_constrained_data_type(s) {
                        self.ctx.base_type(s)
                    } else {
                        self.primitive_named(s)
                    }
                }
                (None, _) => {
                    type_list.push(TypeSlice { defn: m, ty: None });
                    continue;
                }
                _ => continue,
            };
            if let Some(ty) = ty {
                type_list.push(TypeSlice {
                    defn: m,
                    ty: Some(ty),
                });
            }
        }
        true
    }

    fn type_named(&self, s: &str) -> Option<String> {
        if self.ctx.is_data_type(s) {
            Some(s.to_string())
        } else {
            self.primitive_named(s)
        }
    }

    fn primitive_named(&self, s: &str) -> Option<String> {
        let u = uncapitalize(s);
        self.ctx.is_primitive(&u).then_some(u)
    }

    /// Inserts the slicer a bare choice rename implies, shifting the
    /// indices that point past it. Returns where it went.
    pub(super) fn insert_implied_slicer(
        &mut self,
        path0: &str,
        cpath: &str,
        types: Vec<Value>,
        at: isize,
        matches: &mut Vec<isize>,
        type_list: &mut [TypeSlice],
    ) -> isize {
        let mut ed = Element::new();
        ed.set_path(type_slice_path(path0, cpath));
        if !types.is_empty() {
            ed.insert("type".into(), Value::Array(types));
        }
        ed.insert("slicing".into(), type_slicing());
        let pos = at.clamp(0, self.diff_len());
        self.diff.insert(
            pos as usize,
            DiffEl {
                el: ed,
                used: false,
                synthetic: true,
            },
        );
        for m in matches.iter_mut().filter(|m| **m >= pos) {
            *m += 1;
        }
        for t in type_list.iter_mut().filter(|t| t.defn >= pos) {
            t.defn += 1;
        }
        matches.insert(0, pos);
        pos
    }

    /// Type slicing is unordered and discriminated by type on `$this`.
    pub(super) fn check_type_slicing(&self, m0: isize, cpath: &str) -> Result<(), SnapshotError> {
        let Some(sl) = self.diff_el(m0).and_then(|d| d.slicing()) else {
            return Ok(());
        };
        if sl.get("ordered").and_then(Value::as_bool) == Some(true) {
            return Err(self.element_error(cpath, "type slicing with slicing.ordered = true"));
        }
        if let Some(ds) = sl.get("discriminator").and_then(Value::as_array) {
            let problem = match ds.as_slice() {
                [d] if d.get("type").and_then(Value::as_str) != Some("type") => {
                    Some("discriminator type must be 'type'")
                }
                [d] if d.get("path").and_then(Value::as_str) != Some("$this") => {
                    Some("discriminator path must be '$this'")
                }
                [_] => None,
                _ => Some("there must be exactly one discriminator"),
            };
            if let Some(p) = problem {
                return Err(self.element_error(cpath, &format!("type slicing: {p}")));
            }
        }
        Ok(())
    }

    /// Each type slice is named `valueQuantity` and typed `Quantity`.
    pub(super) fn name_type_slices(
        &mut self,
        type_list: &[TypeSlice],
        cpath: &str,
        auto_fix: bool,
    ) -> Result<(), SnapshotError> {
        for ts in type_list {
            let Some(ty) = &ts.ty else { continue };
            let tn = format!("{}{}", root_name(cpath), capitalize(ty));
            let Some(d) = usize::try_from(ts.defn)
                .ok()
                .and_then(|i| self.diff.get(i))
                .map(|d| d.el.clone())
            else {
                continue;
            };
            match d.slice_name() {
                Some(n) if n != tn && !auto_fix => {
                    return Err(self.element_error(
                        cpath,
                        &format!("the slice name must be '{tn}' but is '{n}'"),
                    ));
                }
                _ => {}
            }
            let types = d.types().to_vec();
            if types.len() > 1 {
                return Err(self.element_error(
                    cpath,
                    &format!("the slice for type {tn} has more than one type"),
                ));
            }
            if let Some(t) = types.first() {
                if code(t) != ty {
                    return Err(self.element_error(
                        cpath,
                        &format!("the slice for type {tn} has the wrong type {}", code(t)),
                    ));
                }
            }
            if let Some(de) = usize::try_from(ts.defn)
                .ok()
                .and_then(|i| self.diff.get_mut(i))
            {
                de.el.insert("sliceName".into(), json!(tn));
                if types.is_empty() {
                    de.el.insert("type".into(), json!([{ "code": ty }]));
                }
            }
        }
        Ok(())
    }

    /// The type a type slice selects (from its type, else its name).
    pub(super) fn determine_fixed_type(&self, m: isize) -> Result<String, SnapshotError> {
        let d = self.diff_el(m).cloned().unwrap_or_default();
        match (d.types(), d.slice_name()) {
            ([], Some(name)) => {
                let n = tail(d.path()).replace("[x]", "");
                let t = skip_bytes(name, n.len());
                self.type_named(t).ok_or_else(|| {
                    self.element_error(
                        &d.describe(),
                        &format!("the implicit slice name does not contain a valid type ('{t}')"),
                    )
                })
            }
            ([one], _) => Ok(code(one).to_string()),
            _ => Err(self.element_error(&d.describe(), "a type slice must have exactly one type")),
        }
    }

    pub(super) fn min_one_type_slice_error(&self, m: isize) -> SnapshotError {
        let d = self.diff_el(m).cloned().unwrap_or_default();
        self.element_error(
            &d.describe(),
            "invalid slicing: there is more than one type slice, but this one has min = 1, so the other slices cannot exist",
        )
    }
}
/// The base's type slices following the choice element at `start`.
pub(super) fn find_base_slices(scope: &Scope, start: isize) -> Vec<BaseTypeSlice> {
    let els = &scope.base.elements;
    let get = |i: isize| usize::try_from(i).ok().and_then(|i| els.get(i));
    let Some(base) = get(start) else {
        return Vec::new();
    };
    let path = base.path().to_string();
    let child = format!("{path}.");
    let mut res = Vec::new();
    let mut i = start + 1;
    while get(i).is_some_and(|e| e.path().starts_with(&child)) {
        i += 1;
    }
    while let Some(e) = get(i).filter(|e| e.path() == path && e.slice_name().is_some()) {
        let s = i;
        let ty = e.types().first().map(code).unwrap_or("").to_string();
        i += 1;
        while get(i).is_some_and(|e| e.path().starts_with(&child)) {
            i += 1;
        }
        res.push(BaseTypeSlice {
            ty,
            start: s,
            end: i - 1,
            handled: false,
        });
    }
    res
}
