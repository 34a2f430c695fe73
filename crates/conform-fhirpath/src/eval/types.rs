//! Types of items: converting document primitives to System values, the
//! (namespace, name) of an item for `type()`, and `is`/`as`/`ofType` tests.

use super::dates::DateTime;
use super::Ev;
use crate::ast::TypeSpec;
use crate::model::system_type_of;
use crate::value::{Item, NodeRef, Value};
use conform_json::Kind;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The System value of an item: document primitives are converted using
/// their FHIR type when known, otherwise their JSON kind. Objects that look
/// like a Quantity convert to one; other objects give `None`.
pub(crate) fn to_value(ev: &Ev, item: &Item) -> Option<Value> {
    let n = match item {
        Item::Value(v) => return Some(v.clone()),
        Item::Node(n) => n,
    };
    let doc = ev.doc;
    let node = n.node?;
    let ty = n.ty.as_deref();
    match doc.kind(node) {
        Kind::Bool | Kind::Number | Kind::String => scalar_value(doc, node, ty),
        Kind::Object => {
            let quantity_like = ty.is_some_and(|t| ev.ctx.model.is_subtype(t, "Quantity"))
                || (ty.is_none()
                    && doc.get(node, "value").is_some()
                    && (doc.get(node, "code").is_some() || doc.get(node, "unit").is_some()));
            if !quantity_like {
                return None;
            }
            let v = doc.get(node, "value").and_then(|v| doc.raw(v))?;
            let v = Decimal::from_str(v).ok()?;
            let unit = doc
                .get_str(node, "code")
                .or_else(|| doc.get_str(node, "unit"))
                .map(|u| u.into_owned())
                .unwrap_or_else(|| "1".into());
            Some(Value::Quantity(v, unit))
        }
        _ => None,
    }
}

/// The System value of a primitive in the document (a JSON boolean, number
/// or string) of FHIR type `ty`: numbers are integers unless written with
/// a point or exponent or typed decimal, and strings of date and time
/// types are parsed (a string that does not parse stays a String).
pub(crate) fn scalar_value(
    doc: &conform_json::Document,
    node: conform_json::NodeId,
    ty: Option<&str>,
) -> Option<Value> {
    match doc.kind(node) {
        Kind::Bool => doc.bool(node).map(Value::Boolean),
        Kind::Number => {
            let raw = doc.raw(node)?;
            let is_int = !raw.contains(['.', 'e', 'E']);
            if is_int && ty.is_none_or(|t| system_type_of(t) != Some("Decimal")) {
                raw.parse().ok().map(Value::Integer)
            } else {
                Decimal::from_str(raw)
                    .or_else(|_| Decimal::from_scientific(raw))
                    .ok()
                    .map(Value::Decimal)
            }
        }
        Kind::String => {
            let s = doc.str(node)?.into_owned();
            match ty.and_then(system_type_of) {
                Some("Date") | Some("DateTime") => Some(match DateTime::parse_date_time(&s) {
                    Some((d, _)) if d.prec <= 3 && ty == Some("date") => Value::Date(d),
                    Some((d, _)) => Value::DateTime(d),
                    None => Value::String(s),
                }),
                Some("Time") => {
                    Some(DateTime::parse_time(&s).map_or(Value::String(s), Value::Time))
                }
                _ => Some(Value::String(s)),
            }
        }
        _ => None,
    }
}

/// The FHIR type of a document item, inferred from JSON when unknown.
pub(crate) fn fhir_type(ev: &Ev, n: &NodeRef) -> Option<String> {
    if let Some(t) = &n.ty {
        return Some(t.to_string());
    }
    Some(
        match n.node.map(|x| ev.doc.kind(x)) {
            Some(Kind::Bool) => "boolean",
            Some(Kind::String) => "string",
            Some(Kind::Number) => {
                if ev.doc.raw(n.node?)?.contains('.') {
                    "decimal"
                } else {
                    "integer"
                }
            }
            _ => return None,
        }
        .to_string(),
    )
}

/// `(namespace, name)` of an item for `type()`.
pub(crate) fn type_of(ev: &Ev, item: &Item) -> Option<(&'static str, String)> {
    match item {
        Item::Value(v) => Some(("System", v.type_name().to_string())),
        Item::Node(n) => fhir_type(ev, n).map(|t| {
            // a backbone element's model type is its path (`Patient.contact`)
            if t.contains('.') {
                let base = if ev.ctx.model.is_subtype(&t, "BackboneElement") {
                    "BackboneElement"
                } else {
                    "Element"
                };
                ("FHIR", base.to_string())
            } else {
                ("FHIR", t)
            }
        }),
    }
}

/// Rejects type names neither System nor the model knows.
pub(crate) fn check_type(ev: &Ev, ts: &TypeSpec) -> crate::error::EResult<()> {
    const SYSTEM: [&str; 9] = [
        "Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity", "Any",
    ];
    let ok = match ts.namespace.as_deref() {
        Some("System") => true,
        Some("FHIR") => fhir_known(ev, &ts.name),
        None => SYSTEM.contains(&ts.name.as_str()) || fhir_known(ev, &ts.name),
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        crate::error::bail!("unknown type '{}'", ts.name)
    }
}

fn fhir_known(ev: &Ev, name: &str) -> bool {
    system_type_of(name).is_some()
        || (name.starts_with(char::is_uppercase) && ev.ctx.model.is_type(name))
}

/// Whether `item` is of type `ts` or a subtype (`is`).
pub(crate) fn is_type(ev: &Ev, item: &Item, ts: &TypeSpec) -> bool {
    matches_type(ev, item, ts, true)
}

/// Whether `item` is of type `ts` for `as`/`ofType`: like `is`, except that
/// primitives must match exactly (`code` is not cast to `string`), as the
/// official tests require.
pub(crate) fn is_exact_type(ev: &Ev, item: &Item, ts: &TypeSpec) -> bool {
    matches_type(ev, item, ts, false)
}

fn matches_type(ev: &Ev, item: &Item, ts: &TypeSpec, derived_primitives: bool) -> bool {
    let ns = ts.namespace.as_deref();
    match item {
        Item::Value(v) => ns != Some("FHIR") && v.type_name() == ts.name,
        Item::Node(n) => {
            if ns == Some("System") {
                return false;
            }
            let Some(t) = fhir_type(ev, n) else {
                return false;
            };
            // a JSON string of unknown type may be a URI-like primitive
            // (`descendants().as(canonical)` in dom-3 must find canonicals
            // even when the model cannot type them)
            if n.ty.is_none()
                && t == "string"
                && matches!(ts.name.as_str(), "uri" | "url" | "canonical")
            {
                return true;
            }
            t == ts.name
                || ((derived_primitives || system_type_of(&t).is_none())
                    && ev.ctx.model.is_subtype(&t, &ts.name))
        }
    }
}
