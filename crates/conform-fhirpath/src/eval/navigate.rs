//! Walking the JSON tree: child access with arrays flattened, `_name`
//! primitive companions merged, choice elements (`value` → `valueQuantity`)
//! and the leading type name of a path (`Patient.name`).

use super::Ev;
use crate::error::{bail, EResult};
use crate::model::{system_type_of, ChildInfo};
use crate::value::Items;
use crate::value::{Item, NodeRef, Value};
use conform_json::{Kind, NodeId};
use std::ops::ControlFlow;
use std::sync::Arc;

/// The item for a node reached without a parent (root, `%resource`).
pub(crate) fn root_item(ev: &Ev, node: NodeId) -> Item {
    let ty = resource_type(ev, node).map(Arc::from);
    Item::node(node, ty)
}

fn resource_type(ev: &Ev, node: NodeId) -> Option<String> {
    if ev.doc.kind(node) != Kind::Object {
        return None;
    }
    ev.doc.get_str(node, "resourceType").map(|s| s.into_owned())
}

/// A leading identifier: a type name matching the focus selects it;
/// anything else is a child access. In strict mode a type name the model
/// knows that does not match the focus is an error.
pub(crate) fn root_member(ev: &Ev, focus: &[Item], name: &str) -> EResult<Items> {
    if name.starts_with(char::is_uppercase) {
        let matches: Items = focus
            .iter()
            .filter(|i| match i {
                Item::Node(n) => {
                    n.ty.as_deref()
                        .is_some_and(|t| t == name || ev.ctx.model.is_subtype(t, name))
                }
                _ => false,
            })
            .cloned()
            .collect();
        if !matches.is_empty() {
            return Ok(matches);
        }
        if ev.ctx.strict && ev.ctx.model.is_type(name) && !focus.is_empty() {
            bail!("'{name}' does not match the type of the context");
        }
    }
    children(ev, focus, name)
}

/// `name` children of every item in `focus`, in order.
pub(crate) fn children(ev: &Ev, focus: &[Item], name: &str) -> EResult<Items> {
    let mut out = Items::new();
    for item in focus {
        if let Item::Value(Value::TypeInfo { namespace, name: n }) = item {
            match name {
                "namespace" => out.push(Item::Value(Value::String(namespace.clone()))),
                "name" => out.push(Item::Value(Value::String(n.clone()))),
                _ => {}
            }
        }
        if let Item::Node(NodeRef {
            node: Some(n), ty, ..
        }) = item
        {
            if ev.doc.kind(*n) == Kind::Object {
                let info = ty.as_deref().and_then(|t| ev.ctx.model.child_type(t, name));
                if info.is_none() {
                    check_name(ev, ty.as_deref(), name)?;
                }
                child(ev, *n, info, name, &mut Gather::Items(&mut out));
            }
        }
    }
    Ok(out)
}

/// Whether [`children`] would find any `name` child of `focus`, with the
/// same checks, but without collecting them (`x.exists()`, `x.empty()`).
pub(crate) fn has_children(ev: &Ev, focus: &[Item], name: &str) -> EResult<bool> {
    // Every item is still looked at, as `children` would, so a strict-mode
    // error on a later item is not hidden by an earlier find.
    let mut any = Gather::Any(false);
    for item in focus {
        match item {
            Item::Value(Value::TypeInfo { .. }) if matches!(name, "namespace" | "name") => {
                any = Gather::Any(true)
            }
            Item::Node(NodeRef {
                node: Some(n), ty, ..
            }) if ev.doc.kind(*n) == Kind::Object => {
                let info = ty.as_deref().and_then(|t| ev.ctx.model.child_type(t, name));
                if info.is_none() {
                    check_name(ev, ty.as_deref(), name)?;
                }
                if !any.found() {
                    child(ev, *n, info, name, &mut any);
                }
            }
            _ => {}
        }
    }
    Ok(any.found())
}

/// Where a child step puts what it finds: the items, typed, or only
/// whether there are any (`x.exists()`: no types worked out, no items
/// built, and a choice's variants not named).
pub(crate) enum Gather<'o> {
    Items(&'o mut Items),
    Any(bool),
}

impl Gather<'_> {
    fn found(&self) -> bool {
        match self {
            Gather::Items(out) => !out.is_empty(),
            Gather::Any(found) => *found,
        }
    }
}

/// Static checks on a path step the model does not know: a choice element
/// must be named without its type suffix (`value`, not `valueQuantity`),
/// and in strict mode the name must exist on the parent type.
pub(crate) fn check_name(ev: &Ev, parent: Option<&str>, name: &str) -> EResult<()> {
    let Some(parent) = parent else { return Ok(()) };
    let model = ev.ctx.model;
    if let Some(i) = name
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_uppercase())
        .map(|(i, _)| i)
    {
        if model
            .child_type(parent, &name[..i])
            .is_some_and(|c| c.is_choice)
        {
            bail!(
                "'{name}' names a choice element with its type; use '{}'",
                &name[..i]
            );
        }
    }
    if ev.ctx.strict && model.has_elements(parent) {
        bail!("'{name}' is not an element of {parent}");
    }
    Ok(())
}

/// The `_name` twin of a member (a primitive's id and extensions), found
/// without building the key.
fn companion_of(doc: &conform_json::Document, obj: NodeId, name: &str) -> Option<NodeId> {
    doc.members(obj)
        .iter()
        .find(|m| {
            if m.is_escaped() {
                doc.key(m).strip_prefix('_') == Some(name)
            } else {
                doc.raw_key(m).strip_prefix('_') == Some(name)
            }
        })
        .map(|m| m.value)
}

/// A member name made ready for looking it up in many objects: keys are
/// told apart by length and their first four bytes (`Member::key_head`)
/// before any is read from the text.
pub(crate) struct Key {
    name: Box<str>,
    head: u32,
    /// `_name`'s head: an underscore, then the first three bytes of `name`
    twin_head: u32,
    /// The bytes of a head a variant (`valueQuantity`) shares with `name`.
    prefix_mask: u32,
    /// The bits `name` and `_name` set in an object's key summary.
    value_bit: u64,
    twin_bit: u64,
    /// The [`conform_json::Member::key_shape`] of `name` and of `_name`.
    value_shape: u64,
    twin_shape: u64,
}

/// Stored (in a compiled check) as its name; the rest is worked out again
/// when it is read ([`Key::new`]), so it always matches this build's key
/// summaries.
impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.name.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        <std::borrow::Cow<'de, str>>::deserialize(d).map(|name| Key::new(&name))
    }
}

/// What one pass over an object's members finds for a [`Key`].
pub(crate) struct Found {
    pub value: Option<NodeId>,
    /// The `_name` twin (a primitive's id and extensions).
    pub companion: Option<NodeId>,
    /// Whether any key could be a choice variant (`valueQuantity`).
    pub variants: bool,
}

impl Key {
    pub(crate) fn new(name: &str) -> Key {
        let n = name.len();
        let head = conform_json::key_head(name.as_bytes());
        let twin_head = (head << 8) | u32::from(b'_');
        Key {
            name: name.into(),
            head,
            twin_head,
            prefix_mask: if n >= 4 {
                u32::MAX
            } else {
                (1u32 << (8 * n)) - 1
            },
            value_bit: conform_json::key_bit(head, n),
            twin_bit: conform_json::key_bit(twin_head, n + 1),
            value_shape: conform_json::key_shape(head, n),
            twin_shape: conform_json::key_shape(twin_head, n + 1),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether `m`'s key, unescaped, may be a choice variant of this name
    /// (`valueQuantity` of `value`): longer, and the same first bytes.
    #[inline]
    fn head_of_variant(&self, m: &conform_json::Member) -> bool {
        m.key_len() > self.name.len() && m.key_head() & self.prefix_mask == self.head
    }

    /// The bits `name` and its `_name` twin set in an object's key
    /// summary: an object with neither has no member of this name.
    pub(crate) fn bits(&self) -> u64 {
        self.value_bit | self.twin_bit
    }

    /// `name` in `obj` (its value, its `_name` twin, and with `variants`
    /// whether a choice variant of it is there): this runs for every step
    /// of every invariant. Choice variants are looked for only when asked.
    ///
    /// The common case, no variants asked for and no `_name` key in the
    /// object (so no key with escapes either: one sets every bit of the
    /// summary), is a short loop of its own, small enough to be inlined
    /// where it is called: the key summary tells most absent names without
    /// a pass, and the pass ends at the value. In the full pass, setting
    /// up for the rare cases cost more than the loop, which passes three
    /// members on average.
    #[inline]
    pub(crate) fn find(&self, doc: &conform_json::Document, obj: NodeId, variants: bool) -> Found {
        if variants || doc.may_have_key(obj, self.twin_bit) {
            return self.find_in_pass(doc, obj, variants);
        }
        let mut found = Found {
            value: None,
            companion: None,
            variants: false,
        };
        if doc.may_have_key(obj, self.value_bit) {
            let name_b = self.name.as_bytes();
            found.value = doc
                .members(obj)
                .iter()
                .find(|m| doc.raw_key_has_shape(m, name_b, self.value_shape))
                .map(|m| m.value);
        }
        found
    }

    /// [`Key::find`] where variants are asked for or the object may hold
    /// a `_name` twin: one pass over every member.
    #[inline(never)]
    fn find_in_pass(&self, doc: &conform_json::Document, obj: NodeId, variants: bool) -> Found {
        let name = &*self.name;
        let name_b = name.as_bytes();
        let n = name_b.len();
        let mut found = Found {
            value: None,
            companion: None,
            variants: false,
        };
        for m in doc.members(obj) {
            // one comparison tells the name and its twin from every other
            // key, a key with escapes among them
            if m.key_shape() == self.value_shape {
                if n <= 4 || doc.raw_key_bytes(m) == name_b {
                    found.value = found.value.or(Some(m.value));
                }
                // (of the name's length: neither its twin nor a variant)
                continue;
            }
            if m.key_shape() == self.twin_shape && (n < 4 || &doc.raw_key_bytes(m)[1..] == name_b) {
                found.companion = found.companion.or(Some(m.value));
                continue;
            }
            if m.is_escaped() {
                let key = doc.key(m);
                if key == name {
                    found.value = found.value.or(Some(m.value));
                } else if key.strip_prefix('_') == Some(name) {
                    found.companion = found.companion.or(Some(m.value));
                } else if key.len() > name.len() && key.starts_with(name) {
                    found.variants = true;
                }
                continue;
            }
            // told only when asked for: no caller without variants reads it
            if variants
                && self.head_of_variant(m)
                && (n <= 4 || doc.raw_key_bytes(m).starts_with(name_b))
            {
                found.variants = true;
            }
        }
        found
    }
}

/// The heads (first four bytes) of one object's keys, for an object that
/// many choice look-ups read: the focus of a value's invariants (an
/// ElementDefinition meets checks on `fixed[x]`, `pattern[x]`,
/// `defaultValue[x]`, `example[x]`, `minValue[x]` and `maxValue[x]`, most
/// of which it lacks). A choice's variants (`fixedUri`, `fixedString`)
/// share their name's head, so one bit clear rules them all out, and the
/// name and its twin with them ([`Key::absent_with_variants`]), where a
/// look-up with variants passes over every member. Look-ups without
/// variants do not use it: their pass stops at the name, and costs less
/// than a look-up in a table did.
pub(crate) struct MemberHeads {
    /// A bit for each member's head, whatever its length.
    heads: [u64; 2],
}

impl MemberHeads {
    /// Fewer members are passed over about as fast as they are summed up.
    const MIN_MEMBERS: usize = 8;

    /// `None` when it would not pay or cannot answer: too few members, or
    /// a key with escapes (its raw bytes are not its name).
    pub(crate) fn build(doc: &conform_json::Document, obj: NodeId) -> Option<MemberHeads> {
        let members = doc.members(obj);
        if members.len() < Self::MIN_MEMBERS {
            return None;
        }
        let mut heads = [0u64; 2];
        for m in members {
            if m.is_escaped() {
                return None;
            }
            let bit = Self::head_bit(m.key_head());
            heads[bit >> 6] |= 1 << (bit & 63);
        }
        Some(MemberHeads { heads })
    }

    fn head_bit(head: u32) -> usize {
        (head.wrapping_mul(0x9E37_79B1) >> 25) as usize
    }

    /// Whether some member may have this head (a clear bit: none has).
    fn may_have_head(&self, head: u32) -> bool {
        let bit = Self::head_bit(head);
        self.heads[bit >> 6] & (1 << (bit & 63)) != 0
    }
}

impl Key {
    /// Whether the object summed up in `heads` surely has neither this
    /// name, its `_name` twin, nor a choice variant of it or a variant's
    /// twin: what [`Key::find`] with variants would find nothing of, told
    /// without a pass. A name shorter than a head cannot tell: its
    /// variants' heads hold bytes of their type.
    pub(crate) fn absent_with_variants(&self, heads: &MemberHeads) -> bool {
        self.name.len() >= 4
            && !heads.may_have_head(self.head)
            && !heads.may_have_head(self.twin_head)
    }
}

/// Calls `f` with each choice variant of `name` in `obj` (`valueQuantity`
/// for `value`) whose type suffix is `allowed`: the suffix, the value and
/// its `_name` twin.
pub(crate) fn each_variant<B>(
    doc: &conform_json::Document,
    obj: NodeId,
    key: &Key,
    allowed: impl Fn(&str) -> bool,
    mut f: impl FnMut(&str, NodeId, Option<NodeId>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let name = key.name();
    // no `_name` twin anywhere in the object: no variant has one
    let may_twin = doc.may_have_key(obj, key.twin_bit);
    for m in doc.members(obj) {
        // a variant is longer than the name and starts with it: most keys
        // are told apart by their length and head, unread
        if !m.is_escaped() && !key.head_of_variant(m) {
            continue;
        }
        let text = doc.key(m);
        let Some(suffix) = text.strip_prefix(name) else {
            continue;
        };
        if !suffix.starts_with(char::is_uppercase) || !allowed(suffix) {
            continue;
        }
        let companion = if may_twin {
            companion_of(doc, obj, &text)
        } else {
            None
        };
        f(suffix, m.value, companion)?;
    }
    ControlFlow::Continue(())
}

/// Whether a choice element's variant with this suffix is one of its
/// types (`types` from the model: empty means any). When the model does
/// not know the element, only R4 core choice names qualify.
pub(crate) fn allowed_variant(info: Option<&ChildInfo>, name: &str, suffix: &str) -> bool {
    match info {
        Some(i) if i.types.is_empty() => true,
        Some(i) => i.types.iter().any(|t| &**t == suffix),
        None => crate::choices::is_choice_key(name, suffix),
    }
}

fn child(ev: &Ev, obj: NodeId, info: Option<ChildInfo>, name: &str, out: &mut Gather) {
    let doc = ev.doc;
    // variants matter only where the element is a choice or unknown
    let variants = info.as_ref().is_none_or(|i| i.is_choice);
    let key = Key::new(name);
    let found = key.find(doc, obj, variants);
    if found.value.is_none() && found.companion.is_none() {
        if !found.variants || info.as_ref().is_some_and(|i| !i.is_choice) {
            return;
        }
        // choice element: `value` finds `valueQuantity` etc.
        let allowed = |suffix: &str| allowed_variant(info.as_ref(), name, suffix);
        let _ = each_variant(doc, obj, &key, allowed, |suffix, value, comp| {
            let ty = || Some(Arc::from(choice_type_name(suffix).as_str()));
            push(ev, Some(value), comp, &ty, out);
            if matches!(out, Gather::Any(true)) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        return;
    }
    let ty = || info.as_ref().and_then(|i| i.types.first().cloned());
    push(ev, found.value, found.companion, &ty, out);
}

/// The type of a JSON key that is an R4 core choice element with its type
/// suffix (`valueQuantity` → `Quantity`).
fn choice_key_type(key: &str) -> Option<String> {
    key.char_indices()
        .filter(|(_, c)| c.is_uppercase())
        .map(|(i, _)| i)
        .find(|i| crate::choices::is_choice_key(&key[..*i], &key[*i..]))
        .map(|i| choice_type_name(&key[i..]))
}

/// FHIR type name from a choice key suffix: primitives start lower-case.
fn choice_type_name(suffix: &str) -> String {
    let mut lower = suffix.to_string();
    if let Some(f) = lower.get(0..1) {
        let l = f.to_ascii_lowercase();
        lower.replace_range(0..1, &l);
    }
    if system_type_of(&lower).is_some() {
        lower
    } else {
        suffix.to_string()
    }
}

/// Flattens arrays (pairing value and companion arrays by position).
/// `ty` is the declared type, asked for only when items are built.
fn push(
    ev: &Ev,
    value: Option<NodeId>,
    companion: Option<NodeId>,
    ty: &dyn Fn() -> Option<Arc<str>>,
    out: &mut Gather,
) {
    let _ = for_each_pair(ev.doc, value, companion, |v, c| {
        one(ev, v, c, ty, out);
        if matches!(out, Gather::Any(true)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
}

/// Calls `f` with each item a member and its `_name` twin make: arrays
/// are flattened and paired by position, nulls dropped, and a pair with
/// neither part is no item.
pub(crate) fn for_each_pair<B>(
    doc: &conform_json::Document,
    value: Option<NodeId>,
    companion: Option<NodeId>,
    mut f: impl FnMut(Option<NodeId>, Option<NodeId>) -> ControlFlow<B>,
) -> ControlFlow<B> {
    let is_arr = |n: Option<NodeId>| n.is_some_and(|n| doc.kind(n) == Kind::Array);
    if is_arr(value) || is_arr(companion) {
        let vs: &[NodeId] = value
            .filter(|_| is_arr(value))
            .map(|v| doc.elements(v))
            .unwrap_or(&[]);
        let cs: &[NodeId] = companion
            .filter(|_| is_arr(companion))
            .map(|c| doc.elements(c))
            .unwrap_or(&[]);
        for i in 0..vs.len().max(cs.len()) {
            let v = vs.get(i).copied().filter(|v| doc.kind(*v) != Kind::Null);
            let c = cs.get(i).copied().filter(|c| doc.kind(*c) != Kind::Null);
            if v.is_some() || c.is_some() {
                f(v, c)?;
            }
        }
        ControlFlow::Continue(())
    } else {
        let v = value.filter(|v| doc.kind(*v) != Kind::Null);
        if v.is_some() || companion.is_some() {
            f(v, companion)?;
        }
        ControlFlow::Continue(())
    }
}

fn one(
    ev: &Ev,
    v: Option<NodeId>,
    c: Option<NodeId>,
    ty: &dyn Fn() -> Option<Arc<str>>,
    out: &mut Gather,
) {
    if v.is_none() && c.is_none() {
        return;
    }
    let out = match out {
        Gather::Items(out) => out,
        Gather::Any(found) => {
            *found = true;
            return;
        }
    };
    // Only a place typed as a resource in general (`Bundle.entry.resource`,
    // `contained`) or not typed at all takes its type from `resourceType`:
    // looking for that member on every object reached was a search of its
    // keys on every step.
    let ty = match ty() {
        Some(t) if !matches!(&*t, "Resource" | "DomainResource") => Some(t),
        ty => v
            .and_then(|v| resource_type(ev, v))
            .map(|t| Arc::from(t.as_str()))
            .or(ty),
    };
    out.push(Item::Node(NodeRef {
        node: v,
        companion: c,
        ty,
    }));
}

/// All child items of an item (for `children()`), in member order.
pub(crate) fn all_children(ev: &Ev, item: &Item) -> Items {
    let mut out = Items::new();
    let doc = ev.doc;
    let Item::Node(NodeRef {
        node,
        companion,
        ty,
    }) = item
    else {
        return out;
    };
    let mut names: Vec<String> = Vec::new();
    for obj in [*node, *companion].into_iter().flatten() {
        if doc.kind(obj) != Kind::Object {
            continue;
        }
        for m in doc.members(obj) {
            let k = doc.key(m);
            let k = k.strip_prefix('_').unwrap_or(&k).to_string();
            if k != "resourceType" && !names.contains(&k) {
                names.push(k);
            }
        }
    }
    for name in names {
        if let Some(n) = node.filter(|n| doc.kind(*n) == Kind::Object) {
            let start = out.len();
            let info = ty
                .as_deref()
                .and_then(|t| ev.ctx.model.child_type(t, &name));
            child(ev, n, info, &name, &mut Gather::Items(&mut out));
            // a choice key read directly (`valueQuantity`) is typed by its suffix
            if let Some(t) = choice_key_type(&name) {
                for item in &mut out[start..] {
                    if let Item::Node(r) = item {
                        r.ty.get_or_insert_with(|| Arc::from(t.as_str()));
                    }
                }
            }
        } else if let Some(c) = companion {
            child(ev, *c, None, &name, &mut Gather::Items(&mut out));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Key, MemberHeads};
    use proptest::prelude::*;

    /// Keys that collide on head and length, twins, short keys and
    /// duplicates: where an index could answer differently from a pass.
    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "id",
            "_id",
            "min",
            "_min",
            "max",
            "path",
            "_path",
            "pathX",
            "patha",
            "pathb",
            "value",
            "_value",
            "valueString",
            "fixedUri",
            "_fixedUri",
            "fixedString",
            "fixed",
            "_fixed",
            "valueQuantity",
            "_valueString",
            "type",
            "a",
            "_a",
            "ab",
            "abcd",
            "_abcd",
            "abcde",
            "abcdf",
            "_abcde",
            "extension",
            "sliceName",
        ])
        .prop_map(str::to_string)
    }

    /// A JSON object with these raw keys, in order, valued 0, 1, 2...
    fn object_of(keys: &[String]) -> String {
        let members: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("\"{k}\":{i}"))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    /// Raw keys as written in JSON, some with escapes (`\u0070ath` is
    /// `path`), beside those of [`key`].
    fn raw_key() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => key(),
            1 => prop::sample::select(vec![
                "\\u0070ath",
                "_p\\u0061th",
                "v\\u0061lue",
                "v\\u0061lueString",
                "_\\u0076alue",
            ])
            .prop_map(str::to_string),
        ]
    }

    proptest! {
        /// A name the heads rule out with its variants is one a pass with
        /// variants finds nothing of, and no key is a variant's twin.
        #[test]
        fn heads_rule_out_only_what_a_pass_finds_nothing_of(
            keys in prop::collection::vec(key(), 0..60),
            asked in key(),
        ) {
            let json = object_of(&keys);
            let doc = conform_json::parse(json.as_bytes()).expect("json");
            let obj = doc.root();
            let key = Key::new(&asked);
            match MemberHeads::build(&doc, obj) {
                Some(heads) => {
                    if key.absent_with_variants(&heads) {
                        let with_variants = key.find(&doc, obj, true);
                        prop_assert!(with_variants.value.is_none());
                        prop_assert!(with_variants.companion.is_none());
                        prop_assert!(!with_variants.variants);
                        let twin = format!("_{asked}");
                        prop_assert!(!keys.iter().any(|k| k.starts_with(&twin)));
                    }
                }
                None => prop_assert!(keys.len() < MemberHeads::MIN_MEMBERS),
            }
        }

        /// A pass finds what reading every key decoded finds: the first
        /// value and the first `_name` twin, and (asked with variants)
        /// whether a longer key starts with the name.
        #[test]
        fn a_pass_finds_what_every_key_decoded_says(
            keys in prop::collection::vec(raw_key(), 0..20),
            asked in key(),
        ) {
            let json = object_of(&keys);
            let doc = conform_json::parse(json.as_bytes()).expect("json");
            let obj = doc.root();
            let twin = format!("_{asked}");
            let decoded: Vec<(String, u32)> = doc
                .members(obj)
                .iter()
                .map(|m| (doc.key(m).into_owned(), m.value))
                .collect();
            let first = |name: &str| decoded.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
            let variants = decoded
                .iter()
                .any(|(k, _)| k.len() > asked.len() && k.starts_with(&*asked) && *k != twin);
            let key = Key::new(&asked);
            for with_variants in [false, true] {
                let found = key.find(&doc, obj, with_variants);
                prop_assert_eq!(found.value, first(&asked));
                prop_assert_eq!(found.companion, first(&twin));
                if with_variants {
                    prop_assert_eq!(found.variants, variants);
                }
            }
        }
    }

    /// A key with escapes is compared decoded, which a summary of raw keys
    /// cannot do: no summary.
    #[test]
    fn no_summary_over_escaped_keys() {
        let json = br#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"\u0068":8}"#;
        let doc = conform_json::parse(json).expect("json");
        assert!(MemberHeads::build(&doc, doc.root()).is_none());
    }
}
