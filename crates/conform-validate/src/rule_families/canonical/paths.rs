//! A static check of a search expression's paths against the types it is
//! meant to search, in the spirit of the reference's FHIRPath type check
//! (`checkOnTypes`): every step the model can judge must name an element
//! of the types reached so far, and a leading type name must be one of the
//! parameter's bases (or a type they derive from). Steps after anything
//! the check cannot type (`resolve()`, a choice without `ofType`, most
//! functions) are left alone, so the check never rejects what it cannot
//! follow.

use conform_fhirpath::{BinOp, Model, Node};

/// Ok, or the first path that does not fit the bases.
pub(super) fn check(model: &dyn Model, expression: &str, bases: &[String]) -> Result<(), String> {
    let expr =
        conform_fhirpath::parse(expression).map_err(|e| format!("it does not parse ({e})"))?;
    let focus = Some(bases.to_vec());
    Types { model, bases }
        .of(expr.root(), &focus, true)
        .map(|_| ())
}

/// The types a step can reach; `None` when the check cannot tell.
type Reach = Option<Vec<String>>;

struct Types<'m> {
    model: &'m dyn Model,
    bases: &'m [String],
}

impl Types<'_> {
    /// The types `n` reaches from `focus`; `root` while `n` starts the
    /// expression (where a type name may lead).
    fn of(&self, n: &Node, focus: &Reach, root: bool) -> Result<Reach, String> {
        Ok(match n {
            Node::Member(name) if root => self.leading(name, focus)?,
            Node::Member(name) => self.child(focus, name)?,
            Node::Path(target, name) => {
                let reached = self.of(target, focus, root)?;
                self.child(&reached, name)?
            }
            Node::Call { target, name, args } => {
                let base = match target {
                    Some(t) => self.of(t, focus, root)?,
                    None => focus.clone(),
                };
                if !matches!(name.as_str(), "ofType" | "as" | "is") {
                    for a in args {
                        self.of(a, &base, false)?;
                    }
                }
                match name.as_str() {
                    "where" | "first" | "last" | "single" | "tail" | "skip" | "take"
                    | "distinct" | "trace" => base,
                    "ofType" | "as" => type_argument(args),
                    "extension" => Some(vec!["Extension".to_string()]),
                    _ => None,
                }
            }
            Node::Binary(BinOp::Union, a, b) => {
                match (self.of(a, focus, root)?, self.of(b, focus, root)?) {
                    (Some(mut x), Some(y)) => {
                        x.extend(y);
                        Some(x)
                    }
                    _ => None,
                }
            }
            Node::Binary(_, a, b) => {
                self.of(a, focus, root)?;
                self.of(b, focus, root)?;
                None
            }
            Node::As(t, spec) => {
                self.of(t, focus, root)?;
                Some(vec![spec.name.clone()])
            }
            Node::Is(t, _) | Node::Negate(t) => {
                self.of(t, focus, root)?;
                None
            }
            Node::Indexer(t, _) => self.of(t, focus, root)?,
            Node::This => focus.clone(),
            _ => None,
        })
    }

    /// The first step: a base type (or a type a base derives from, such as
    /// `Resource`), else an element of the bases.
    fn leading(&self, name: &str, focus: &Reach) -> Result<Reach, String> {
        let matching: Vec<String> = self
            .bases
            .iter()
            .filter(|b| b.as_str() == name || self.model.is_subtype(b, name))
            .cloned()
            .collect();
        if !matching.is_empty() {
            return Ok(Some(matching));
        }
        self.child(focus, name).map_err(|_| {
            if name.starts_with(char::is_uppercase) && self.model.is_type(name) {
                format!("it starts with {name}, which is neither one of the base types nor a type they derive from")
            } else {
                format!("'{name}' is not an element of {}", self.bases.join(" or "))
            }
        })
    }

    /// The element `name` of the types in `focus`: an error when no type
    /// has it and the model knows every one of them.
    fn child(&self, focus: &Reach, name: &str) -> Result<Reach, String> {
        let Some(types) = focus else { return Ok(None) };
        let mut reached = Vec::new();
        let mut judged = true;
        let mut choice = false;
        for t in types {
            match self.model.child_type(t, name) {
                Some(info) => {
                    choice |= info.is_choice;
                    reached.extend(info.types.iter().map(|s| s.to_string()));
                }
                None => judged &= self.model.has_elements(t),
            }
        }
        if reached.is_empty() && !choice {
            return if judged {
                Err(format!(
                    "'{name}' is not an element of {}",
                    types.join(" or ")
                ))
            } else {
                Ok(None)
            };
        }
        // A choice is followed only once `ofType`/`as` names its type.
        Ok((!choice).then_some(reached))
    }
}

/// The type named by `ofType(T)` / `as(T)` (`T` or `FHIR.T`).
fn type_argument(args: &[Node]) -> Reach {
    match args.first() {
        Some(Node::Member(t)) | Some(Node::Path(_, t)) => Some(vec![t.clone()]),
        _ => None,
    }
}

/// An expression reduced for comparison, as the reference compares a
/// derived parameter's expression with its parent's: the union's branches,
/// without white space, less those that lead with a type that is not one
/// of `bases`, sorted.
pub(super) fn canonical(expression: &str, bases: &[String]) -> Vec<String> {
    let mut branches: Vec<String> = conform_fhirpath::split_top_level(expression, '|')
        .into_iter()
        .map(|b| b.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|b| {
            let lead: String = b
                .trim_start_matches('(')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            !lead.starts_with(|c: char| c.is_ascii_uppercase()) || bases.contains(&lead)
        })
        .collect();
    branches.sort();
    branches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_ignore_order_space_and_other_types() {
        let bases = ["Patient".to_string()];
        assert_eq!(
            canonical("Patient.name | Practitioner.name|Patient.alias", &bases),
            canonical("Patient.alias|Patient.name", &bases)
        );
        assert_ne!(
            canonical("Patient.name", &bases),
            canonical("Patient.alias", &bases)
        );
        assert_eq!(
            conform_fhirpath::split_top_level("(a | b) | c.where(x = '|')", '|'),
            ["(a | b) ", " c.where(x = '|')"]
        );
    }
}
