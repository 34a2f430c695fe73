//! Precedence-climbing parser over the token stream. Function names and
//! arities are checked here so that misspelt functions are static errors.

use crate::ast::{BinOp, Expr, Node, TypeSpec};
use crate::error::ParseError;
use crate::eval::dates::DateTime;
use crate::eval::functions::arity;
use crate::lexer::{lex, Tok, Token};
use crate::value::Value;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Parses an expression once; evaluate the result with [`crate::evaluate`].
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let root = p.expr(0)?;
    if p.peek() != &Tok::Eof {
        return Err(p.err("unexpected token after the end of the expression"));
    }
    Ok(Expr::new(root))
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Bound on the depth of the tree being built: raised on recursion and
    /// on every node a loop stacks onto its left operand, restored on exit.
    /// Evaluation and drop recurse over the tree, so this keeps both within
    /// the stack for any input.
    depth: u32,
}

/// Deepest tree accepted (`a.b.c...` or `1+1+...` chains count too).
const MAX_DEPTH: u32 = 256;

/// Binding power of infix operators (higher binds tighter).
fn infix(t: &Tok) -> Option<(u8, Option<BinOp>)> {
    use BinOp::*;
    let op = match t {
        Tok::Sym(s) => match *s {
            "*" => (10, Mul),
            "/" => (10, Div),
            "+" => (9, Add),
            "-" => (9, Sub),
            "&" => (9, Concat),
            "|" => (7, Union),
            "<" => (6, Lt),
            ">" => (6, Gt),
            "<=" => (6, Le),
            ">=" => (6, Ge),
            "=" => (5, Eq),
            "!=" => (5, Ne),
            "~" => (5, Equiv),
            "!~" => (5, NotEquiv),
            _ => return None,
        },
        Tok::Ident(s, false) => match s.as_str() {
            "div" => (10, IntDiv),
            "mod" => (10, Mod),
            "is" | "as" => return Some((8, None)),
            "in" => (4, In),
            "contains" => (4, Contains),
            "and" => (3, And),
            "or" => (2, Or),
            "xor" => (2, Xor),
            "implies" => (1, Implies),
            _ => return None,
        },
        _ => return None,
    };
    Some((op.0, Some(op.1)))
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].tok
    }
    fn pos(&self) -> usize {
        self.toks[self.i].pos
    }
    fn next(&mut self) -> Tok {
        let t = self.toks[self.i].tok.clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.pos(), msg)
    }
    fn expect(&mut self, s: &'static str) -> Result<(), ParseError> {
        if self.peek() == &Tok::Sym(s) {
            self.next();
            Ok(())
        } else {
            Err(self.err(format!("expected '{s}'")))
        }
    }

    /// Counts one more level of tree depth.
    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("expression nested too deeply"));
        }
        Ok(())
    }

    fn expr(&mut self, min: u8) -> Result<Node, ParseError> {
        let saved = self.depth;
        self.deeper()?;
        let mut lhs = self.unary()?;
        while let Some((bp, op)) = infix(self.peek()) {
            if bp < min {
                break;
            }
            self.deeper()?;
            let t = self.next();
            lhs = match op {
                Some(op) => {
                    let rhs = self.expr(bp + 1)?;
                    Node::Binary(op, Box::new(lhs), Box::new(rhs))
                }
                None => {
                    let ts = self.type_spec()?;
                    if t == Tok::Ident("is".into(), false) {
                        Node::Is(Box::new(lhs), ts)
                    } else {
                        Node::As(Box::new(lhs), ts)
                    }
                }
            };
        }
        self.depth = saved;
        Ok(lhs)
    }

    fn type_spec(&mut self) -> Result<TypeSpec, ParseError> {
        let Tok::Ident(first, _) = self.next() else {
            return Err(self.err("expected a type name"));
        };
        if self.peek() == &Tok::Sym(".") {
            self.next();
            let Tok::Ident(name, _) = self.next() else {
                return Err(self.err("expected a type name"));
            };
            return Ok(TypeSpec {
                namespace: Some(first),
                name,
            });
        }
        Ok(TypeSpec {
            namespace: None,
            name: first,
        })
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        match self.peek() {
            Tok::Sym("-") => {
                self.next();
                self.deeper()?;
                let e = self.unary()?;
                self.depth -= 1;
                Ok(match e {
                    Node::Literal(Value::Integer(i)) if i != i64::MIN => {
                        Node::Literal(Value::Integer(-i))
                    }
                    Node::Literal(Value::Decimal(d)) => Node::Literal(Value::Decimal(-d)),
                    Node::Literal(Value::Quantity(d, u)) => Node::Literal(Value::Quantity(-d, u)),
                    e => Node::Negate(Box::new(e)),
                })
            }
            Tok::Sym("+") => {
                self.next();
                self.deeper()?;
                let e = self.unary();
                self.depth -= 1;
                e
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Node, ParseError> {
        let saved = self.depth;
        let mut e = self.term()?;
        loop {
            if matches!(self.peek(), Tok::Sym(".") | Tok::Sym("[")) {
                self.deeper()?;
            }
            match self.peek() {
                Tok::Sym(".") => {
                    self.next();
                    e = self.invocation(Some(e))?;
                }
                Tok::Sym("[") => {
                    self.next();
                    let idx = self.expr(0)?;
                    self.expect("]")?;
                    e = Node::Indexer(Box::new(e), Box::new(idx));
                }
                _ => {
                    self.depth = saved;
                    return Ok(e);
                }
            }
        }
    }

    fn invocation(&mut self, target: Option<Node>) -> Result<Node, ParseError> {
        let pos = self.pos();
        match self.next() {
            Tok::Ident(name, quoted) => {
                if !quoted && self.peek() == &Tok::Sym("(") {
                    self.next();
                    let mut args = Vec::new();
                    if self.peek() != &Tok::Sym(")") {
                        loop {
                            args.push(self.expr(0)?);
                            if self.peek() == &Tok::Sym(",") {
                                self.next();
                                continue;
                            }
                            break;
                        }
                    }
                    self.expect(")")?;
                    check_call(pos, &name, &args)?;
                    return Ok(Node::Call {
                        target: target.map(Box::new),
                        name,
                        args,
                    });
                }
                Ok(match target {
                    Some(t) => Node::Path(Box::new(t), name),
                    None => Node::Member(name),
                })
            }
            Tok::Special(s) if target.is_none() => match s.as_str() {
                "this" => Ok(Node::This),
                "index" => Ok(Node::Index),
                "total" => Ok(Node::Total),
                _ => Err(ParseError::new(pos, format!("unknown variable ${s}"))),
            },
            _ => Err(ParseError::new(pos, "expected a name or function call")),
        }
    }

    fn term(&mut self) -> Result<Node, ParseError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Sym("(") => {
                self.next();
                let e = self.expr(0)?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Sym("{") => {
                self.next();
                self.expect("}")?;
                Ok(Node::Empty)
            }
            Tok::Str(s) => {
                self.next();
                Ok(Node::Literal(Value::String(s)))
            }
            Tok::Number(n) => {
                self.next();
                self.number(pos, &n)
            }
            Tok::Long(n) => {
                self.next();
                n.parse()
                    .map(|i| Node::Literal(Value::Integer(i)))
                    .map_err(|_| ParseError::new(pos, "invalid long literal"))
            }
            Tok::DateTime(t) => {
                self.next();
                date_literal(&t)
                    .map(Node::Literal)
                    .ok_or_else(|| ParseError::new(pos, format!("invalid date/time literal @{t}")))
            }
            Tok::Env(name) => {
                self.next();
                Ok(Node::Env(name))
            }
            Tok::Ident(ref s, false) if s == "true" || s == "false" => {
                self.next();
                Ok(Node::Literal(Value::Boolean(s == "true")))
            }
            Tok::Ident(..) | Tok::Special(_) => self.invocation(None),
            _ => Err(self.err("expected an expression")),
        }
    }

    /// A number, possibly followed by a unit making it a quantity.
    fn number(&mut self, pos: usize, n: &str) -> Result<Node, ParseError> {
        let unit = match self.peek().clone() {
            Tok::Str(u) => Some(u),
            Tok::Ident(w, false) if crate::eval::quantity::is_calendar_word(&w) => Some(w),
            _ => None,
        };
        let bad = || ParseError::new(pos, "invalid number");
        if let Some(u) = unit {
            self.next();
            let d = Decimal::from_str(n).map_err(|_| bad())?;
            return Ok(Node::Literal(Value::Quantity(d, u)));
        }
        if n.contains('.') {
            Decimal::from_str(n)
                .map(|d| Node::Literal(Value::Decimal(d)))
                .map_err(|_| bad())
        } else {
            n.parse::<i32>()
                .map(|i| Node::Literal(Value::Integer(i as i64)))
                .map_err(|_| ParseError::new(pos, "integer literal out of range"))
        }
    }
}

/// Parses the text of an `@` literal.
pub(crate) fn date_literal(t: &str) -> Option<Value> {
    if let Some(time) = t.strip_prefix('T') {
        return DateTime::parse_time(time).map(Value::Time);
    }
    let (d, had_t) = DateTime::parse_date_time(t)?;
    Some(if had_t || d.prec > 3 {
        Value::DateTime(d)
    } else {
        Value::Date(d)
    })
}

fn check_call(pos: usize, name: &str, args: &[Node]) -> Result<(), ParseError> {
    match arity(name) {
        None => Err(ParseError::new(pos, format!("unknown function '{name}'"))),
        Some((lo, hi)) if args.len() < lo || args.len() > hi => Err(ParseError::new(
            pos,
            format!(
                "function '{name}' takes {lo} to {hi} arguments, got {}",
                args.len()
            ),
        )),
        _ => Ok(()),
    }
}
