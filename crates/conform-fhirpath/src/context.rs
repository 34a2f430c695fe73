//! Evaluation context: environment variables, the type model and callbacks
//! for services only the caller can provide (terminology, profiles, refs).

use crate::model::{BuiltinModel, Model};
use crate::value::Item;
use crate::value::Items;
use conform_json::{Document, NodeId};
use std::collections::HashMap;

/// Resolves a reference string to a node of the same document.
pub type Resolver<'a> = dyn Fn(&Document, &str) -> Option<NodeId> + Send + Sync + 'a;
/// Answers a yes/no question about an item given a URL (memberOf, conformsTo);
/// `None` means "unknown" and evaluates to empty.
pub type Check<'a> = dyn Fn(&Document, &Item, &str) -> Option<bool> + Send + Sync + 'a;
/// Answers `htmlChecks()` for a narrative node.
pub type HtmlCheck<'a> = dyn Fn(&Document, &Item) -> Option<bool> + Send + Sync + 'a;

/// Receives `trace(label)` output: the label and the traced items.
pub type Trace<'a> = dyn Fn(&str, &[Item]) + Send + Sync + 'a;

static BUILTIN: BuiltinModel = BuiltinModel;

/// Everything evaluation needs besides the expression and the focus.
pub struct Context<'a> {
    pub model: &'a dyn Model,
    /// `%resource`; defaults to the document root.
    pub resource: Option<NodeId>,
    /// `%rootResource`; defaults to `%resource`.
    pub root_resource: Option<NodeId>,
    /// Extra `%name` variables.
    pub variables: HashMap<String, Items>,
    pub resolver: Option<&'a Resolver<'a>>,
    pub member_of: Option<&'a Check<'a>>,
    pub conforms_to: Option<&'a Check<'a>>,
    pub html_checks: Option<&'a HtmlCheck<'a>>,
    /// Strict mode: path steps the model does not know are errors.
    pub strict: bool,
    /// Reject order-dependent functions (`first`, `skip`, `[n]`, ...) on
    /// collections whose order is undefined (`children()`, `descendants()`).
    pub check_ordered_functions: bool,
    /// Let the `as()` function filter a collection like `ofType()` instead
    /// of failing on more than one item. The spec (and the official tests)
    /// make it an error, but R4 core's dom-3 invariant relies on it, so a
    /// validator running core invariants should turn this on.
    pub lenient_as: bool,
    /// Collects `trace()` output when set.
    pub trace: Option<&'a Trace<'a>>,
    /// The most work one evaluation may do, in steps: each subexpression
    /// evaluated and each item it yields counts one. An expression that
    /// needs more (`descendants()` of a hostile document, `repeat()` that
    /// never settles) fails with an error saying so, instead of running on.
    pub max_steps: u64,
}

/// The default [`Context::max_steps`]: a hundred times what the heaviest
/// core invariant takes on a 10,000-entry Bundle.
pub const DEFAULT_MAX_STEPS: u64 = 20_000_000;

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            model: &BUILTIN,
            resource: None,
            root_resource: None,
            variables: HashMap::new(),
            resolver: None,
            member_of: None,
            conforms_to: None,
            html_checks: None,
            strict: false,
            lenient_as: false,
            check_ordered_functions: false,
            trace: None,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

impl<'a> Context<'a> {
    /// A context using the built-in model.
    pub fn new() -> Self {
        Self::default()
    }

    /// A context answering type questions from `model`.
    pub fn with_model(model: &'a dyn Model) -> Self {
        Context {
            model,
            ..Self::default()
        }
    }
}
