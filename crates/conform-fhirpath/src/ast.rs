//! The expression tree produced by the parser. Immutable and `Send + Sync`,
//! so one parsed expression can be evaluated from many threads.

use crate::value::Value;

/// Binary operators, in the spec's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct TypeSpec {
    pub namespace: Option<String>,
    pub name: String,
}

/// One node of the expression tree.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub(crate) root: Node,
}

impl Expr {
    /// The tree, for callers that want to inspect it.
    pub fn root(&self) -> &Node {
        &self.root
    }
}
