//! FHIR additions to FHIRPath: `extension()`, `hasValue()`, `getValue()`,
//! `resolve()`, and the caller-answered `memberOf()`, `conformsTo()` and
//! `htmlChecks()`.

use super::navigate::children;
use super::operators::singleton;
use super::types::to_value;
use super::Ev;
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, NodeRef, Value};
use conform_json::Kind;

type Arg<'a> = dyn Fn(usize) -> EResult<Items> + 'a;

pub(crate) fn handles(name: &str) -> bool {
    matches!(
        name,
        "extension"
            | "hasValue"
            | "getValue"
            | "resolve"
            | "memberOf"
            | "conformsTo"
            | "htmlChecks"
    )
}

fn b(v: bool) -> EResult<Items> {
    Ok(smallvec::smallvec![Item::Value(Value::Boolean(v))])
}

pub(crate) fn call(ev: &Ev, name: &str, input: &[Item], arg: &Arg) -> EResult<Items> {
    Ok(match name {
        "extension" => {
            let url = match singleton(ev, &arg(0)?)? {
                Some(Value::String(s)) => s,
                None => return Ok(Items::new()),
                _ => bail!("extension() needs a url string"),
            };
            let mut out = Items::new();
            for i in input {
                let Item::Node(n) = i else { continue };
                let mut holders = Items::new();
                if n.node.is_some_and(|x| ev.doc.kind(x) == Kind::Object) {
                    holders.push(i.clone());
                }
                if let Some(c) = n.companion {
                    holders.push(Item::node(c, None));
                }
                for e in children(ev, &holders, "extension")? {
                    let Item::Node(NodeRef { node: Some(en), .. }) = &e else {
                        continue;
                    };
                    if ev.doc.get_str(*en, "url").as_deref() == Some(url.as_str()) {
                        out.push(with_type(e, "Extension"));
                    }
                }
            }
            out
        }
        "hasValue" => return b(input.len() == 1 && is_primitive_value(ev, &input[0])),
        "getValue" => {
            if input.len() == 1 && is_primitive_value(ev, &input[0]) {
                to_value(ev, &input[0])
                    .map(Item::Value)
                    .into_iter()
                    .collect()
            } else {
                Items::new()
            }
        }
        "resolve" => resolve(ev, input),
        "memberOf" | "conformsTo" => {
            let url = match singleton(ev, &arg(0)?)? {
                Some(Value::String(s)) => s,
                _ => return Ok(Items::new()),
            };
            let cb = if name == "memberOf" {
                ev.ctx.member_of
            } else {
                ev.ctx.conforms_to
            };
            let Some(cb) = cb else {
                return if name == "conformsTo" {
                    conforms_to_base(ev, input, &url)
                } else {
                    Ok(Items::new())
                };
            };
            let mut out = Items::new();
            for i in input {
                if let Some(r) = cb(ev.doc, i, &url) {
                    out.push(Item::Value(Value::Boolean(r)));
                }
            }
            out
        }
        "htmlChecks" => {
            let Some(cb) = ev.ctx.html_checks else {
                return Ok(Items::new());
            };
            input
                .iter()
                .filter_map(|i| cb(ev.doc, i))
                .map(|r| Item::Value(Value::Boolean(r)))
                .collect()
        }
        _ => bail!("unknown FHIR function {name}"),
    })
}

/// `conformsTo()` without a caller-supplied check: a core profile URL
/// matches by resource type; any other URL cannot be answered.
fn conforms_to_base(ev: &Ev, input: &[Item], url: &str) -> EResult<Items> {
    let Some(t) = url.strip_prefix("http://hl7.org/fhir/StructureDefinition/") else {
        bail!("conformsTo(): cannot check profile {url} without a validator");
    };
    let mut out = Items::new();
    for i in input {
        let r = match i {
            Item::Node(n) => {
                n.ty.as_deref()
                    .is_some_and(|x| x == t || ev.ctx.model.is_subtype(x, t))
            }
            _ => false,
        };
        out.push(Item::Value(Value::Boolean(r)));
    }
    Ok(out)
}

fn with_type(i: Item, t: &str) -> Item {
    match i {
        Item::Node(mut n) => {
            n.ty = Some(t.into());
            Item::Node(n)
        }
        v => v,
    }
}

fn is_primitive_value(ev: &Ev, i: &Item) -> bool {
    match i {
        Item::Node(n) => n
            .node
            .is_some_and(|x| matches!(ev.doc.kind(x), Kind::String | Kind::Number | Kind::Bool)),
        Item::Value(_) => true,
    }
}

/// `resolve()`: the caller's resolver first, then `#id` in `contained` and
/// `Type/id` among the resource and its contained/bundled resources.
fn resolve(ev: &Ev, input: &[Item]) -> Items {
    let mut out = Items::new();
    for i in input {
        let r = match i {
            Item::Node(NodeRef { node: Some(n), .. }) if ev.doc.kind(*n) == Kind::Object => {
                ev.doc.get_str(*n, "reference").map(|s| s.into_owned())
            }
            _ => match to_value(ev, i) {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
        };
        let Some(r) = r else { continue };
        if let Some(n) = ev.ctx.resolver.and_then(|f| f(ev.doc, &r)) {
            out.push(super::navigate::root_item(ev, n));
            continue;
        }
        let root = ev.ctx.resource.unwrap_or(ev.doc.root());
        let contained = ev
            .doc
            .get(root, "contained")
            .map(|c| ev.doc.elements(c).to_vec())
            .unwrap_or_default();
        let found = if let Some(id) = r.strip_prefix('#') {
            contained
                .into_iter()
                .find(|c| ev.doc.get_str(*c, "id").as_deref() == Some(id))
        } else {
            let mut cands = contained;
            cands.push(root);
            cands.into_iter().find(|c| {
                let t = ev.doc.get_str(*c, "resourceType");
                let id = ev.doc.get_str(*c, "id");
                matches!((t, id), (Some(t), Some(id)) if r.ends_with(&format!("{t}/{id}")))
            })
        };
        if let Some(n) = found {
            out.push(super::navigate::root_item(ev, n));
        }
    }
    out
}
