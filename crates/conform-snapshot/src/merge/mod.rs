//! Applying one differential element to the snapshot element it constrains
//! (Java `updateFromDefinition`), plus the small property copies around it
//! (`base`, templates from type profiles). The rules are the reference
//! implementation's: most properties replace, aliases, examples, mappings,
//! conditions and constraints accumulate, and some changes are only
//! reported (a lower minimum), others are fatal (an illegal type).

use serde_json::json;

mod base;
mod fields;

pub(crate) use base::{
    check_extension_doco, extension_slicing, fill_out_from_base, update_from_base,
    update_from_slicing,
};
use fields::{
    copy, merge_binding, merge_cardinality, merge_constraints, merge_flag, merge_is_summary,
    merge_text, merge_types, union_by,
};

use crate::context::Context;
use crate::element::{choice_entries, remove_choice, Element, ElementExt};
use crate::error::SnapshotError;
use crate::types::{first_profile, working_code};

/// Who is merging: for messages and constraint sources.
pub(crate) struct MergeInfo<'a> {
    /// The profile being generated.
    pub profile: &'a str,
    /// The definition the base element comes from (constraint `source`).
    pub source_url: &'a str,
}

/// Applies differential element `source` onto snapshot element `dest`.
pub(crate) fn update_from_definition(
    ctx: &mut Context,
    dest: &mut Element,
    source: &Element,
    info: &MergeInfo,
    issues: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let is_extension = check_extension_doco(dest);
    union_by(dest, source, "extension", |a, b| a == b);
    apply_type_profile_documentation(ctx, dest, source, info, issues)?;

    if let Some(s) = source.slice_name() {
        dest.insert("sliceName".into(), json!(s));
    }
    copy(dest, source, "short");
    for key in ["definition", "comment", "label", "requirements"] {
        merge_text(dest, source, key);
    }
    if !dest.path().contains('.') {
        dest.remove("requirements"); // sdf-9: no requirements on the root
    }
    union_by(dest, source, "alias", |a, b| a == b);
    merge_cardinality(dest, source, info, issues);
    for prefix in ["fixed", "pattern", "minValue", "maxValue"] {
        let entries = choice_entries(source, prefix);
        if !entries.is_empty() {
            remove_choice(dest, prefix);
            dest.extend(entries);
        }
    }
    union_by(dest, source, "example", |a, b| a == b);
    copy(dest, source, "maxLength");
    merge_flag(dest, source, "mustSupport", info, issues);
    merge_flag(dest, source, "mustHaveValue", info, issues);
    union_by(dest, source, "valueAlternatives", |a, b| a == b);
    if is_extension {
        copy(dest, source, "isModifier");
        copy(dest, source, "isModifierReason");
        if dest.get("isModifier") == Some(&json!(true)) && !dest.contains_key("isModifierReason") {
            dest.insert(
                "isModifierReason".into(),
                json!("Modifier extensions are labelled as such because they modify the meaning or interpretation of the resource or element that contains them"),
            );
        }
    }
    merge_binding(dest, source, issues);
    merge_is_summary(dest, source, info)?;
    merge_types(ctx, dest, source, info)?;
    union_by(dest, source, "mapping", |a, b| a == b);
    merge_constraints(dest, source, info);
    union_by(dest, source, "condition", |a, b| a == b);
    Ok(())
}

/// When the element is (or becomes) a profiled type, its documentation
/// comes from the profile's root: an extension slice reads as the
/// extension's definition, not as the generic `Element.extension`.
fn apply_type_profile_documentation(
    ctx: &mut Context,
    dest: &mut Element,
    source: &Element,
    info: &MergeInfo,
    issues: &mut Vec<String>,
) -> Result<(), SnapshotError> {
    let mut profile = None;
    if dest.slice_name().is_some() && dest.types().len() == 1 {
        if let Some(p) = dest.types().first().and_then(first_profile) {
            profile = ctx.structure(p)?;
        }
    }
    let mut report_missing = true;
    let source_profile = source
        .types()
        .first()
        .and_then(first_profile)
        .map(str::to_string);
    if profile.is_none() {
        if let Some(pu) = &source_profile {
            profile = ctx.structure(pu)?;
            if profile.as_ref().is_some_and(|p| {
                p.type_name != "Extension" && p.kind != "resource" && p.kind != "logical"
            }) {
                profile = None;
                report_missing = false;
            }
        }
    }
    match profile.as_ref().and_then(|p| p.elements.first()) {
        Some(root) => {
            if root.contains_key("definition") {
                dest.insert("definition".into(), root["definition"].clone());
            }
            match root.get("short") {
                Some(s) => dest.insert("short".into(), s.clone()),
                None => dest.remove("short"),
            };
            for key in ["comment", "requirements"] {
                if let Some(v) = root.get(key) {
                    dest.insert(key.into(), v.clone());
                }
            }
            for key in ["alias", "mapping"] {
                match root.get(key) {
                    Some(v) => dest.insert(key.into(), v.clone()),
                    None => dest.remove(key),
                };
            }
        }
        None => {
            if let (Some(pu), true, 1) = (&source_profile, report_missing, source.types().len()) {
                let t = source.types().first().map(working_code).unwrap_or("");
                issues.push(format!(
                    "{}: {}: cannot find the {t} profile {pu}; going on without it",
                    info.profile,
                    source.describe()
                ));
            }
        }
    }
    Ok(())
}
