//! The tree-walking evaluator: scope handling, navigation and dispatch to
//! operators and functions.

pub(crate) mod boundary;
pub(crate) mod codec;
pub(crate) mod convert;
pub(crate) mod dates;
pub(crate) mod fhir;
pub(crate) mod functions;
pub(crate) mod math;
pub(crate) mod navigate;
pub(crate) mod operators;
pub(crate) mod quantity;
pub(crate) mod strings;
pub(crate) mod types;

use crate::ast::{BinOp, Expr, Node};
use crate::context::Context;
use crate::error::{bail, EResult};
use crate::value::Items;
use crate::value::{Item, Value};
use conform_json::{Document, NodeId};

/// Evaluates `expr` with `node` as the focus (`%context`). The node's type
/// is taken from its `resourceType`; use [`evaluate_item`] to give it.
pub fn evaluate(
    expr: &Expr,
    doc: &Document,
    node: NodeId,
    ctx: &Context,
) -> Result<Items, crate::EvalError> {
    let ev = Ev::new(doc, ctx, None);
    let start = navigate::root_item(&ev, node);
    evaluate_item(expr, doc, &start, ctx)
}

/// Evaluates `expr` with `focus` as `%context`: the caller states the FHIR
/// type and, for primitives, the `_name` companion (so element invariants
/// such as `ele-1` see a primitive's extensions).
pub fn evaluate_item(
    expr: &Expr,
    doc: &Document,
    focus: &Item,
    ctx: &Context,
) -> Result<Items, crate::EvalError> {
    let mut ev = Ev::new(doc, ctx, Some(focus.clone()));
    let start = focus.clone();
    let scope = Scope {
        this: Some(start.clone()),
        index: None,
        total: None,
    };
    let focus = std::slice::from_ref(&start);
    ev.repeated = &expr.repeated;
    ev.root_focus = focus.as_ptr() as usize;
    if logical(&expr.root) {
        // Invariants are mostly of this shape: answered without building
        // the collections in between (same result, see `Ev::truth`).
        let t = ev.truth(&expr.root, focus, &scope)?;
        return Ok(t
            .map(|t| Item::Value(Value::Boolean(t)))
            .into_iter()
            .collect());
    }
    ev.eval(&expr.root, focus, &scope)
}

/// Whether `n` always yields an empty collection or a single Boolean, so
/// its value is exactly [`Ev::truth`] of it: the logical operators,
/// equality and `exists()`, `empty()`, `not()`.
pub(crate) fn logical(n: &Node) -> bool {
    use crate::ast::BinOp::{And, Eq, Implies, Ne, Or, Xor};
    match n {
        // `=` and `!=` also yield empty or one Boolean (`ext-1`:
        // `extension.exists() != value.exists()`)
        Node::Binary(And | Or | Xor | Implies | Eq | Ne, ..) => true,
        Node::Call { name, args, .. } => {
            args.is_empty() && matches!(name.as_str(), "exists" | "empty" | "not")
        }
        _ => false,
    }
}

/// Functions whose result depends on the order of their input.
const ORDERED: [&str; 6] = ["first", "last", "tail", "skip", "take", "single"];

/// Whether an expression yields a collection without a defined order.
fn unordered(n: &Node) -> bool {
    match n {
        Node::Call { target, name, .. } => {
            matches!(name.as_str(), "children" | "descendants")
                || (matches!(name.as_str(), "where" | "select" | "ofType" | "distinct")
                    && target.as_deref().is_some_and(unordered))
        }
        Node::Path(t, _) => unordered(t),
        _ => false,
    }
}

/// The type an expression is cast to, when it ends in `as T`, `as(T)` or
/// `ofType(T)`: enough static typing for strict-mode path checks.
fn static_type(n: &Node) -> Option<&str> {
    match n {
        Node::As(_, ts) => Some(&ts.name),
        Node::Call { name, args, .. } if name == "as" || name == "ofType" => match args.first() {
            Some(Node::Member(t)) | Some(Node::Path(_, t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Shared read-only state of one evaluation.
pub(crate) struct Ev<'e, 's> {
    pub doc: &'e Document<'s>,
    pub ctx: &'e Context<'e>,
    /// The `%context` item (`None` only while building it).
    pub context: Option<Item>,
    /// Values kept for this evaluation, by node address: subexpressions
    /// that read only environment variables (see [`fixed`]), by their own
    /// address, and repeated ones on the evaluation's own focus, by their
    /// first occurrence's. Either way the value a node address stands for
    /// does not depend on where it is asked for.
    pub kept: std::cell::RefCell<Vec<(usize, Items)>>,
    /// Steps taken so far, against `ctx.max_steps`.
    pub steps: std::cell::Cell<u64>,
    /// The expression's repeated subexpressions ([`Expr`]'s `repeated`),
    /// and the address of the evaluation's own focus, on which they are
    /// evaluated once.
    pub repeated: &'e [(usize, usize)],
    pub root_focus: usize,
}

/// Whether `n` reads nothing but environment variables and literals, so its
/// value is the same wherever it is evaluated during one evaluation:
/// `%resource.snapshot.element.first().path` inside `all()` (`sdf-8`) would
/// otherwise list every element once per element. Conservative: a member
/// name, `$this`, `$index` or `$total` anywhere makes it not fixed.
fn fixed(n: &Node) -> bool {
    match n {
        Node::Env(_) => true,
        Node::Path(t, _) => fixed(t),
        Node::Call {
            target: Some(t),
            args,
            ..
        } => fixed(t) && args.iter().all(closed),
        _ => false,
    }
}

/// An argument that depends on nothing but literals and fixed values.
fn closed(n: &Node) -> bool {
    match n {
        Node::Literal(_) | Node::Empty => true,
        Node::Binary(_, a, b) => closed(a) && closed(b),
        Node::Negate(a) => closed(a),
        _ => fixed(n),
    }
}

/// The fixed `%` names of FHIR's FHIRPath (`%ucum`, `%sct`, `%loinc`).
pub(crate) fn constant(name: &str) -> Option<&'static str> {
    match name {
        "ucum" => Some("http://unitsofmeasure.org"),
        "sct" => Some("http://snomed.info/sct"),
        "loinc" => Some("http://loinc.org"),
        _ => None,
    }
}

/// `$this`, `$index` and `$total` for the expression being evaluated.
#[derive(Clone)]
pub(crate) struct Scope {
    pub this: Option<Item>,
    pub index: Option<i64>,
    pub total: Option<Items>,
}

impl<'e, 's> Ev<'e, 's> {
    pub fn new(doc: &'e Document<'s>, ctx: &'e Context<'e>, context: Option<Item>) -> Self {
        Ev {
            doc,
            ctx,
            context,
            kept: Default::default(),
            steps: Default::default(),
            repeated: &[],
            root_focus: 0,
        }
    }

    /// Counts `n` steps of work, failing once the evaluation has taken more
    /// than `ctx.max_steps`.
    pub fn charge(&self, n: usize) -> EResult<()> {
        let steps = self.steps.get().saturating_add(n as u64);
        self.steps.set(steps);
        if steps > self.ctx.max_steps {
            return Err(crate::EvalError {
                limit: true,
                ..crate::EvalError::new(format!(
                    "evaluation stopped after {} steps (the limit; see docs/limits.md)",
                    self.ctx.max_steps
                ))
            });
        }
        Ok(())
    }

    /// Evaluates `n` where the input collection is `focus`.
    pub fn eval(&self, n: &Node, focus: &[Item], scope: &Scope) -> EResult<Items> {
        let items = self.eval_uncharged(n, focus, scope)?;
        self.charge(1 + items.len())?;
        Ok(items)
    }

    fn eval_uncharged(&self, n: &Node, focus: &[Item], scope: &Scope) -> EResult<Items> {
        if !self.repeated.is_empty()
            && focus.len() == 1
            && focus.as_ptr() as usize == self.root_focus
        {
            let at = n as *const Node as usize;
            if let Some(&(_, first)) = self.repeated.iter().find(|(a, _)| *a == at) {
                return self.kept_or_eval(first, n, focus, scope);
            }
        }
        if matches!(
            n,
            Node::Path(..)
                | Node::Call {
                    target: Some(_),
                    ..
                }
        ) && fixed(n)
        {
            return self.kept_or_eval(n as *const Node as usize, n, focus, scope);
        }
        self.eval_node(n, focus, scope)
    }

    /// The value kept under `key` ([`Ev::kept`]), else `n` evaluated and kept.
    fn kept_or_eval(&self, key: usize, n: &Node, focus: &[Item], scope: &Scope) -> EResult<Items> {
        if let Some((_, items)) = self.kept.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(items.clone());
        }
        let items = self.eval_node(n, focus, scope)?;
        self.kept.borrow_mut().push((key, items.clone()));
        Ok(items)
    }

    fn eval_node(&self, n: &Node, focus: &[Item], scope: &Scope) -> EResult<Items> {
        Ok(match n {
            Node::Empty => Items::new(),
            Node::Literal(v) => smallvec::smallvec![Item::Value(v.clone())],
            Node::Member(name) => navigate::root_member(self, focus, name)?,
            Node::Path(t, name) => {
                if self.ctx.strict {
                    // `(x as Period).unit` is wrong even when `x` is empty
                    if let Some(ty) = static_type(t) {
                        navigate::check_name(self, Some(ty), name)?;
                    }
                }
                let base = self.eval(t, focus, scope)?;
                navigate::children(self, &base, name)?
            }
            Node::Call { target, name, args } => {
                if self.ctx.check_ordered_functions
                    && ORDERED.contains(&name.as_str())
                    && target.as_deref().is_some_and(unordered)
                {
                    bail!("{name}() needs an ordered collection");
                }
                let base = match target {
                    Some(t) => self.eval(t, focus, scope)?,
                    None => Items::from(focus),
                };
                functions::call(self, name, &base, args, focus, scope)?
            }
            Node::This => scope.this.iter().cloned().collect(),
            Node::Index => scope
                .index
                .map(|i| smallvec::smallvec![Item::Value(Value::Integer(i))])
                .unwrap_or_default(),
            Node::Total => scope.total.clone().unwrap_or_default(),
            Node::Env(name) => self.env(name)?,
            Node::Indexer(t, _) if self.ctx.check_ordered_functions && unordered(t) => {
                bail!("indexer needs an ordered collection")
            }
            Node::Indexer(t, i) => {
                let base = self.eval(t, focus, scope)?;
                let idx = self.eval(i, focus, scope)?;
                match operators::singleton(self, &idx)? {
                    None => Items::new(),
                    Some(Value::Integer(i)) => usize::try_from(i)
                        .ok()
                        .and_then(|i| base.get(i).cloned())
                        .into_iter()
                        .collect(),
                    Some(_) => bail!("indexer must be an integer"),
                }
            }
            Node::Negate(e) => {
                let v = self.eval(e, focus, scope)?;
                operators::negate(self, &v)?
            }
            Node::Binary(op, a, b) => operators::binary(self, *op, a, b, focus, scope)?,
            Node::Is(e, ts) => {
                types::check_type(self, ts)?;
                let v = self.eval(e, focus, scope)?;
                match v.len() {
                    0 => Items::new(),
                    1 => smallvec::smallvec![Item::Value(Value::Boolean(types::is_type(
                        self, &v[0], ts
                    )))],
                    _ => bail!("'is' needs a single item"),
                }
            }
            Node::As(e, ts) => {
                types::check_type(self, ts)?;
                let v = self.eval(e, focus, scope)?;
                if v.len() > 1 {
                    bail!("'as' needs a single item");
                }
                v.into_iter()
                    .filter(|i| types::is_exact_type(self, i, ts))
                    .collect()
            }
        })
    }

    /// The truth of `n` (`None` when empty), as `operators::truth` of its
    /// value but without building it where the shape allows: the logical
    /// operators, and `exists()`/`empty()`/`not()` on a path, which only
    /// ask whether a child is there. Errors, short-circuits and strict-mode
    /// checks are the same as evaluating `n`.
    pub fn truth(&self, n: &Node, focus: &[Item], scope: &Scope) -> EResult<Option<bool>> {
        use crate::ast::BinOp::{And, Implies, Or, Xor};
        self.charge(1)?;
        match n {
            Node::Binary(op @ (And | Or | Xor | Implies), a, b) => {
                let x = self.truth(a, focus, scope)?;
                match (op, x) {
                    (And, Some(false)) => return Ok(Some(false)),
                    (Or, Some(true)) | (Implies, Some(false)) => return Ok(Some(true)),
                    _ => {}
                }
                let y = self.truth(b, focus, scope)?;
                Ok(operators::logic(*op, x, y))
            }
            Node::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                operators::equality(self, *op, a, b, focus, scope)
            }
            Node::Call {
                target: Some(t),
                name,
                args,
            } if args.is_empty() => match name.as_str() {
                "exists" => Ok(Some(self.any(t, focus, scope)?)),
                "empty" => Ok(Some(!self.any(t, focus, scope)?)),
                "not" => Ok(self.truth(t, focus, scope)?.map(|x| !x)),
                _ => operators::truth(self, &self.eval(n, focus, scope)?),
            },
            _ => operators::truth(self, &self.eval(n, focus, scope)?),
        }
    }

    /// Whether `n` yields any item, navigating the last step of a path
    /// without collecting what it finds.
    fn any(&self, n: &Node, focus: &[Item], scope: &Scope) -> EResult<bool> {
        self.charge(1 + focus.len())?;
        match n {
            Node::Member(name) if !name.starts_with(char::is_uppercase) => {
                navigate::has_children(self, focus, name)
            }
            Node::Path(t, name) if !(self.ctx.strict && static_type(t).is_some()) => {
                let base = self.eval(t, focus, scope)?;
                navigate::has_children(self, &base, name)
            }
            _ => Ok(!self.eval(n, focus, scope)?.is_empty()),
        }
    }

    fn env(&self, name: &str) -> EResult<Items> {
        if let Some(v) = self.ctx.variables.get(name) {
            return Ok(v.clone());
        }
        let node_item = |n: NodeId| smallvec::smallvec![navigate::root_item(self, n)];
        let s = |v: &str| {
            Ok(smallvec::smallvec![Item::Value(Value::String(
                v.to_string()
            ))])
        };
        match name {
            "context" => Ok(self.context.iter().cloned().collect()),
            "resource" => Ok(node_item(self.ctx.resource.unwrap_or(self.doc.root()))),
            "rootResource" => Ok(node_item(
                self.ctx
                    .root_resource
                    .or(self.ctx.resource)
                    .unwrap_or(self.doc.root()),
            )),
            _ => {
                if let Some(text) = constant(name) {
                    return s(text);
                }
                if let Some(v) = name.strip_prefix("vs-") {
                    return s(&format!("http://hl7.org/fhir/ValueSet/{v}"));
                }
                if let Some(v) = name.strip_prefix("ext-") {
                    return s(&format!("http://hl7.org/fhir/StructureDefinition/{v}"));
                }
                bail!("unknown environment variable %{name}")
            }
        }
    }
}

#[cfg(test)]
mod fixed_tests {
    use super::fixed;

    fn is_fixed(expr: &str) -> bool {
        fixed(crate::parse(expr).expect("parses").root())
    }

    #[test]
    fn only_expressions_of_environment_variables_and_literals_are_fixed() {
        assert!(is_fixed("%resource.snapshot.element.first().path"));
        assert!(is_fixed("%resource.type.replaceMatches('\\\\..*', '')"));
        assert!(is_fixed("%context.id"));
        // A member name, $this or a criteria depends on where it is evaluated.
        assert!(!is_fixed("path.first()"));
        assert!(!is_fixed("%resource.element.where(path = 'x')"));
        assert!(!is_fixed("%resource.element.select($this)"));
        assert!(!is_fixed("%resource.a.startsWith(path)"));
        assert!(!is_fixed("'literal'"));
    }

    #[test]
    fn a_fixed_subexpression_inside_all_gives_the_same_verdicts() {
        let json = br#"{"resourceType":"StructureDefinition","type":"Patient",
            "snapshot":{"element":[{"path":"Patient"},{"path":"Patient.name"},{"path":"Observation.x"}]}}"#;
        let doc = conform_json::parse(json).expect("json");
        let ctx = crate::Context::new();
        let eval = |e: &str| {
            let expr = crate::parse(e).expect("parses");
            let items = crate::evaluate(&expr, &doc, doc.root(), &ctx).expect("evaluates");
            crate::item_value(&doc, &items[0], &ctx)
        };
        let all = "snapshot.element.tail().all(path.startsWith(%resource.snapshot.element.first().path & '.'))";
        assert_eq!(eval(all), Some(crate::Value::Boolean(false)));
        let some = "snapshot.element.tail().take(1).all(path.startsWith(%resource.snapshot.element.first().path & '.'))";
        assert_eq!(eval(some), Some(crate::Value::Boolean(true)));
    }
}

#[cfg(test)]
mod truth_tests {
    use crate::value::Value;

    /// What `expr` gives on the document root, as values (or the error).
    fn values(
        expr: &crate::Expr,
        doc: &conform_json::Document,
        ctx: &crate::Context,
    ) -> Result<Vec<Option<Value>>, String> {
        crate::evaluate(expr, doc, doc.root(), ctx)
            .map(|items| {
                items
                    .iter()
                    .map(|i| crate::item_value(doc, i, ctx))
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    /// The boolean shortcut (`Ev::truth`, `has_children`, string literals
    /// compared in place) must answer what full evaluation answers: the
    /// same expression behind `.select($this)` takes the general path.
    #[test]
    fn logical_expressions_answer_as_fully_evaluated() {
        let json = br#"{"resourceType":"Observation","status":"final",
            "code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},
            "valueQuantity":{"value":3,"unit":"mg"},
            "_status":{"extension":[{"url":"u","valueString":"x"}]},
            "identifier":[null,{"value":"a"}],"note":[],
            "category":[{"text":"a"},{"text":"b"}],
            "component":[{"code":{"text":"t"},"valueString":"s"}],
            "contained":[{"resourceType":"Patient","id":"p","birthDate":"2000-01-01"}],
            "effectiveDateTime":"2020-01-01T00:00:00Z"}"#;
        let doc = conform_json::parse(json).expect("json");
        let ctx = crate::Context::new();
        let cases = [
            "value.exists()",
            "value.empty()",
            "valueQuantity.exists()",
            "status.exists() and status = 'final'",
            "status = 'final' or status = 'amended'",
            "status != 'final' implies value.exists()",
            "identifier.exists() xor note.exists()",
            "note.empty() and identifier.value = 'a'",
            "component.value.exists() and component.code.text = 't'",
            "contained.birthDate.exists() and contained.birthDate = '2000-01-01'",
            "effective = '2020-01-01T00:00:00Z'",
            "code.coding.code = '1234-5'",
            "code.coding.exists().not()",
            "missing.exists() or missing.empty()",
            "identifier.value = 'a' and identifier.exists()",
            "status.extension.exists()",
            "type().name.exists()",
            "code.coding.system.matches('^http://loinc') and status.matches('fin')",
            "identifier = 'x'",
            "category.coding.exists()",
            "category.coding.empty() and category.text.exists()",
            "category.text.exists() and category.text = 'a'",
            "status.extension.exists() != value.exists()",
            "extension.exists() = value.exists()",
            "missing.exists() != value.exists()",
            "missing.not() = value.exists()",
            "status = 'final'",
            "category.text != 'a'",
            "status = missing",
        ];
        for case in cases {
            let run = |e: &str| {
                let expr = crate::parse(e).unwrap_or_else(|err| panic!("{e}: {err}"));
                values(&expr, &doc, &ctx)
            };
            let shortcut = run(case);
            let full = run(&format!("({case}).select($this)"));
            assert_eq!(shortcut, full, "{case}");
        }
    }

    /// A subexpression written more than once is evaluated once on the
    /// evaluation's own focus (`Expr::repeated`): the answers must be
    /// those of evaluating every occurrence, including where the same text
    /// meets another focus (inside `where`, `select`, `all`).
    #[test]
    fn repeated_subexpressions_answer_as_evaluated_each_time() {
        let json = br#"{"resourceType":"StructureDefinition",
            "snapshot":{"element":[{"path":"Patient","label":"x"},{"path":"Patient.name"},
                {"path":"Patient.name.given","code":[{"code":"a"}]}]},
            "differential":{"element":[{"path":"Patient"},{"path":"Patient.name","label":"n"}]},
            "name":[{"given":["a","b"]},{"given":["c"]}],"extension":[{"url":"u","valueString":"s"}]}"#;
        let doc = conform_json::parse(json).expect("json");
        let ctx = crate::Context::new();
        let cases = [
            "children().element.where(path.contains('.').not()).label.empty() and children().element.where(path.contains('.').not()).code.empty()",
            "snapshot.element.where(path.contains('.')).label.empty() or snapshot.element.where(path.contains('.')).code.exists()",
            "name.given.count() = name.given.distinct().count()",
            "name.where(given.count() > 1).exists() and name.where(given.count() > 1).given.first() = 'a'",
            "name.all(given.exists() and given.count() > 0) and name.all(given.exists())",
            "name.select(given.first()) = name.select(given.first())",
            "name.given.first() = name.given.first() and name.given.last() = 'c'",
            "extension.exists() != extension.value.exists() or extension.value.exists()",
            "where(name.count() > 1).exists() and name.count() > 1",
        ];
        for case in cases {
            let expr = crate::parse(case).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!(!expr.repeated.is_empty(), "{case}: nothing found repeated");
            let mut unshared = crate::parse(case).unwrap();
            unshared.repeated.clear();
            let run = |e: &crate::Expr| values(e, &doc, &ctx);
            assert_eq!(run(&expr), run(&unshared), "{case}");
            // a clone finds its own repeats (addresses of its own nodes)
            let cloned = expr.clone();
            assert_eq!(cloned.repeated.len(), expr.repeated.len(), "{case}");
            assert_eq!(run(&cloned), run(&unshared), "{case}");
            // and so does one read back from the plan cache
            let bytes = postcard::to_stdvec(&expr).expect("encodes");
            let stored: crate::Expr = postcard::from_bytes(&bytes).expect("decodes");
            assert_eq!(stored.repeated.len(), expr.repeated.len(), "{case}");
            assert_eq!(run(&stored), run(&unshared), "{case}");
        }
        // `$this` and `trace()` are never shared.
        assert!(crate::parse("select($this.a) = select($this.a)")
            .unwrap()
            .repeated
            .is_empty());
    }
}

#[cfg(test)]
mod step_limit_tests {
    fn wide_document(n: usize) -> Vec<u8> {
        let items: Vec<String> = (0..n).map(|i| format!("{{\"v\":\"{i}\"}}")).collect();
        format!("{{\"resourceType\":\"Basic\",\"x\":[{}]}}", items.join(",")).into_bytes()
    }

    fn run(json: &[u8], expr: &str, max_steps: u64) -> Result<usize, String> {
        let doc = conform_json::parse(json).expect("json");
        let mut ctx = crate::Context::new();
        ctx.max_steps = max_steps;
        let expr = crate::parse(expr).expect("parses");
        crate::evaluate(&expr, &doc, doc.root(), &ctx)
            .map(|items| items.len())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_evaluation_past_the_step_limit_stops_with_an_error() {
        let json = wide_document(2_000);
        // descendants() of 2,000 objects: fine by default, refused at 1,000 steps
        assert_eq!(
            run(&json, "descendants().count()", crate::DEFAULT_MAX_STEPS),
            Ok(1)
        );
        let err = run(&json, "descendants().count()", 1_000).expect_err("limited");
        let doc = conform_json::parse(&json).expect("json");
        let mut ctx = crate::Context::new();
        ctx.max_steps = 1_000;
        let expr = crate::parse("descendants()").expect("parses");
        let e = crate::evaluate(&expr, &doc, doc.root(), &ctx).expect_err("limited");
        assert!(e.limit, "a limit error says so");
        assert!(err.contains("1000 steps"), "{err}");
        // a union compares every item with those kept: quadratic, so counted
        let err = run(&json, "(x | x.v | x).count()", 100_000).expect_err("limited");
        assert!(err.contains("steps"), "{err}");
        // repeat() that keeps finding new items is stopped, not truncated
        let err = run(&json, "x.repeat(descendants()).count()", 50_000).expect_err("limited");
        assert!(err.contains("steps"), "{err}");
    }
}
