//! The expression tree produced by the parser. Immutable and `Send + Sync`,
//! so one parsed expression can be evaluated from many threads.

use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Binary operators, in the spec's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Mul,
    Div,
    IntDiv,
    Mod,
    Add,
    Sub,
    Concat,
    Union,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    Equiv,
    NotEquiv,
    In,
    Contains,
    And,
    Or,
    Xor,
    Implies,
}

/// A type specifier: optional namespace (`FHIR`, `System`) and name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeSpec {
    pub namespace: Option<String>,
    pub name: String,
}

/// One node of the expression tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// `{}`
    Empty,
    Literal(Value),
    /// A member name evaluated against the focus (`$this`).
    Member(String),
    /// `target.name`
    Path(Box<Node>, String),
    /// A function call on `target` (or on `$this` when `None`).
    Call {
        target: Option<Box<Node>>,
        name: String,
        args: Vec<Node>,
    },
    This,
    Index,
    Total,
    /// `%name`
    Env(String),
    /// `a[b]`
    Indexer(Box<Node>, Box<Node>),
    /// Unary minus (unary plus is dropped by the parser).
    Negate(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    Is(Box<Node>, TypeSpec),
    As(Box<Node>, TypeSpec),
}

/// A parsed expression, ready to evaluate many times.
#[derive(Debug)]
pub struct Expr {
    pub(crate) root: Node,
    /// Subexpressions written more than once (`sdf-9` lists a definition's
    /// root elements three times), by node address, each with the address
    /// of its first occurrence: one evaluation computes them once while
    /// their focus is its own ([`crate::eval`]). Addresses of the boxed
    /// nodes under the root, so recomputed for a clone.
    pub(crate) repeated: Vec<(usize, usize)>,
}

impl Clone for Expr {
    fn clone(&self) -> Expr {
        Expr::new(self.root.clone())
    }
}

/// Stored as its tree: the repeated subexpressions are found again by
/// address when it is read back ([`Expr::new`]).
impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.root.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expr, D::Error> {
        Node::deserialize(d).map(Expr::new)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.root == other.root
    }
}

impl Expr {
    pub(crate) fn new(root: Node) -> Expr {
        let mut candidates = Vec::new();
        children(&root, &mut |n| collect_shareable(n, &mut candidates));
        let mut repeated = Vec::new();
        for (i, &a) in candidates.iter().enumerate() {
            if let Some(&first) = candidates[..i].iter().find(|&&b| b == a) {
                let first = first as *const Node as usize;
                if !repeated.iter().any(|&(at, _)| at == first) {
                    repeated.push((first, first));
                }
                repeated.push((a as *const Node as usize, first));
            }
        }
        Expr { root, repeated }
    }

    /// The tree, for callers that want to inspect it.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The value sets the expression asks about by a literal URL
    /// (`memberOf('http://...')`), in order, each once: what can be
    /// expanded before any value is met.
    pub fn value_sets_named(&self) -> Vec<&str> {
        fn visit<'a>(n: &'a Node, out: &mut Vec<&'a str>) {
            if let Node::Call { name, args, .. } = n {
                if let [Node::Literal(Value::String(url))] = args.as_slice() {
                    if name == "memberOf" && !out.contains(&url.as_str()) {
                        out.push(url);
                    }
                }
            }
            children(n, &mut |c| visit(c, out));
        }
        let mut out = Vec::new();
        visit(&self.root, &mut out);
        out
    }
}

/// Calls `f` on each direct child of `n`.
fn children<'a>(n: &'a Node, f: &mut impl FnMut(&'a Node)) {
    match n {
        Node::Empty
        | Node::Literal(_)
        | Node::Member(_)
        | Node::This
        | Node::Index
        | Node::Total
        | Node::Env(_) => {}
        Node::Path(t, _) | Node::Negate(t) | Node::Is(t, _) | Node::As(t, _) => f(t),
        Node::Call { target, args, .. } => {
            if let Some(t) = target {
                f(t);
            }
            for a in args {
                f(a);
            }
        }
        Node::Indexer(a, b) | Node::Binary(_, a, b) => {
            f(a);
            f(b);
        }
    }
}

/// Collects `n` and the nodes under it that may be shared: paths and calls
/// on a target whose value depends on nothing but their focus, so that
/// two equal ones on the same focus are equal (no `$this`, `$index` or
/// `$total`, no `trace()`, which writes).
fn collect_shareable<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    if matches!(
        n,
        Node::Path(..)
            | Node::Call {
                target: Some(_),
                ..
            }
    ) && depends_on_focus_only(n)
    {
        out.push(n);
    }
    children(n, &mut |c| collect_shareable(c, out));
}

fn depends_on_focus_only(n: &Node) -> bool {
    match n {
        Node::This | Node::Index | Node::Total => false,
        Node::Call { name, .. } if name == "trace" => false,
        _ => {
            let mut only = true;
            children(n, &mut |c| only &= depends_on_focus_only(c));
            only
        }
    }
}
