//! Content references (`contentReference: #Questionnaire.item`): an
//! element whose definition is another element's. When the differential
//! constrains its children they are walked from the referenced element and
//! written beneath this one (the reference's "redirector").

use std::rc::Rc;

use super::{Cursors, Scope, Slicing, Walk};
use crate::element::ElementExt;
use crate::error::SnapshotError;
use crate::paths::Redirect;
use crate::structure::Structure;

impl Walk<'_, '_> {
    /// Follows a content reference: the referenced element's children,
    /// written beneath this element (Java's redirector).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn follow_content_reference(
        &mut self,
        scope: &Scope,
        cur: &Cursors,
        idx: usize,
        cpath: &str,
        diff_start_same: isize,
        diff_start_other: isize,
        dst: &str,
    ) -> Result<(), SnapshotError> {
        let reference = self.result[idx]
            .content_reference()
            .unwrap_or("")
            .to_string();
        let (target_sd, target_idx) = self
            .resolve_content_reference(scope, &reference)?
            .ok_or_else(|| {
                self.element_error(
                    cpath,
                    &format!("unable to resolve the content reference {reference}"),
                )
            })?;
        let target = target_sd.elements[target_idx].clone();
        let out = &mut self.result[idx];
        out.remove("contentReference");
        match target.get("type") {
            Some(t) => out.insert("type".into(), t.clone()),
            None => out.remove("type"),
        };
        let same = Rc::ptr_eq(&target_sd, &scope.base);
        let new_cursor = target_idx as isize + 1;
        let mut new_limit = new_cursor;
        let child = format!("{}.", target.path());
        while target_sd
            .elements
            .get(new_limit as usize)
            .is_some_and(|e| e.path().starts_with(&child))
        {
            new_limit += 1;
        }
        let mut redirector = scope.redirector.clone();
        redirector.push(Redirect {
            path: cpath.to_string(),
        });
        let child_scope = Scope {
            base: target_sd.clone(),
            base_limit: new_limit - 1,
            diff_limit: cur.diff_cursor - 1,
            context_src: Some(target.path().to_string()),
            context_dst: Some(dst.to_string()),
            redirector,
            slicing: Slicing::default(),
        };
        let mut c = Cursors {
            base_cursor: new_cursor,
            diff_cursor: if same {
                diff_start_same
            } else {
                diff_start_other
            },
            result_path_base: cur.result_path_base.clone(),
        };
        self.process_paths(&child_scope, &mut c, None).map(|_| ())
    }

    /// `#id` within the current base, or `url#id` in another definition.
    fn resolve_content_reference(
        &mut self,
        scope: &Scope,
        reference: &str,
    ) -> Result<Option<(Rc<Structure>, usize)>, SnapshotError> {
        let (url, id) = reference.split_once('#').unwrap_or(("", reference));
        let sd = if url.is_empty() || url == scope.base.url {
            scope.base.clone()
        } else {
            match self.ctx.structure(url)? {
                Some(s) => s,
                None => return Ok(None),
            }
        };
        let found = sd.elements.iter().position(|e| e.id() == Some(id));
        Ok(found.map(|i| (sd, i)))
    }
}
