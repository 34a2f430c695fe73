//! May a differential restrict an element to this type? Only to a type the
//! base allows, or to a specialisation of an abstract base type (a
//! `Resource` element may become `Patient`), and a Reference's target
//! profiles must derive from the base's targets. The reference
//! implementation refuses to generate a snapshot otherwise.

use serde_json::Value;

use crate::context::Context;
use crate::types::{code, target_profiles, working_code};

/// True if the type reference `t` (from the differential) is a legal
/// constraint on one of `base_types`.
pub(crate) fn is_legal_type_constraint(ctx: &Context, base_types: &[Value], t: &Value) -> bool {
    let tc = working_code(t);
    base_types.iter().any(|td| {
        let tt = working_code(td);
        let matches_type = (!code(td).is_empty() && tt == tc)
            || tt == "*"
            || (ctx.is_abstract_or_logical(tt) && ctx.type_ancestry(tc).iter().any(|a| a == tt));
        matches_type && targets_conform(ctx, t, td)
    })
}

/// Every target of `t` is fine when the base names no targets; otherwise at
/// least one must be (or derive from) a base target. Unknown target
/// profiles cannot be checked and are let through, as the reference does.
fn targets_conform(ctx: &Context, t: &Value, td: &Value) -> bool {
    let targets = target_profiles(t);
    let base_targets = target_profiles(td);
    if targets.is_empty() || base_targets.is_empty() {
        return true;
    }
    targets
        .iter()
        .any(|url| conforms_to_targets(ctx, url, &base_targets, 0))
}

fn conforms_to_targets(ctx: &Context, url: &str, base_targets: &[&str], depth: usize) -> bool {
    if base_targets.contains(&url) {
        return true;
    }
    if depth > 20 {
        return false;
    }
    let Some(sd) = ctx.lookup(url) else {
        return true;
    };
    sd.get("baseDefinition")
        .and_then(Value::as_str)
        .is_some_and(|b| conforms_to_targets(ctx, b, base_targets, depth + 1))
}
