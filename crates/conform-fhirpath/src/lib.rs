//! A FHIRPath (N1, as used by FHIR R4) engine over the `conform-json` arena
//! tree.
//!
//! Parse once with [`parse`], evaluate many times with [`evaluate`]. Items
//! are either references into the document ([`NodeRef`]) or computed System
//! values ([`Value`]). Type information comes from a [`Model`] so the
//! validator can answer from its compiled structure definitions;
//! [`BuiltinModel`] is a small fallback.
//!
//! ```
//! use conform_fhirpath::{evaluate, item_value, parse, Context, Value};
//!
//! let doc = conform_json::parse(br#"{"resourceType":"Patient","birthDate":"1974-12-25"}"#).unwrap();
//! let expr = parse("Patient.birthDate < @2000-01-01").unwrap();
//! let ctx = Context::new();
//! let out = evaluate(&expr, &doc, doc.root(), &ctx).unwrap();
//! assert_eq!(item_value(&doc, &out[0], &ctx), Some(Value::Boolean(true)));
//! ```
//!
//! Layout: `lexer` → `parser` → `ast`; `eval/` holds the evaluator
//! (`mod.rs`: scopes and dispatch, `navigate`: JSON walking, `operators`,
//! `functions` with `strings`, `math`, `convert`, `boundary`, `codec`, and
//! the value helpers `types`, `dates`, `quantity`); `compiled` turns the
//! common invariant shapes into direct checks.

mod ast;
mod choices;
mod compiled;
mod context;
mod error;
mod eval;
mod lexer;
mod model;
mod parser;
mod value;

pub use ast::{BinOp, Expr, Node, TypeSpec};
pub use compiled::{compile, Compiled, Defer, Focus, Form, Guard};
pub use context::{Check, Context, HtmlCheck, Resolver, Trace, DEFAULT_MAX_STEPS};
pub use error::{EvalError, ParseError};
pub use eval::dates::DateTime;
pub use eval::strings::regexes_built;
pub use eval::{evaluate, evaluate_item};
pub use lexer::split_top_level;
pub use model::{system_type_of, BuiltinModel, ChildInfo, Model, PRIMITIVES};
pub use parser::parse;
pub use value::{Item, Items, NodeRef, Value};

/// The System value of an item (document primitives converted by their
/// type), or `None` for complex nodes. Useful to callers that want plain
/// values out of a result.
pub fn item_value(doc: &conform_json::Document, item: &Item, ctx: &Context) -> Option<Value> {
    let ev = eval::Ev::new(doc, ctx, None);
    eval::types::to_value(&ev, item)
}

/// The FHIRPath string form of a System value (dates without `@`).
pub fn value_to_string(v: &Value) -> String {
    eval::convert::to_string(v)
}
