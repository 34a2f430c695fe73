//! Rules particular to conformance resources that other resources lean
//! on, each following the reference validator's check of that resource
//! type: a SearchParameter against the one it is derived from and the
//! types it searches (`SearchParameterValidator`), an OperationDefinition's
//! parameters against its input and output profiles
//! (`OperationDefinitionValidator`), and a CapabilityStatement's search
//! parameters against their definitions. The definitions named come from
//! the loaded packages and `--ig` files.
//!
//! | rule | what |
//! |---|---|
//! | `search-parameter-derivation` | a `derivedFrom` that does not resolve (warning), a base or type the parent does not have, an expression that differs from the parent's (warning) |
//! | `search-parameter-expression` | an expression whose paths do not exist on the parameter's base types |
//! | `search-parameter-code` | a code with `.`, `$` or `\|` in it (warning) |
//! | `search-parameter-components` | a composite parameter with fewer than two components |
//! | `operation-definition-profile` | an `inputProfile`/`outputProfile` that is not a usable Parameters profile, or whose parameter slices disagree with the operation's parameters (cardinality, types, target profiles; a parameter on one side only is a warning) |
//! | `operation-definition-base` | a `base` chain that leads back to the operation itself |
//! | `code-system-supplement` | a supplement whose content is not `supplement`, a `supplement` content that names no supplemented system, or a supplement stating caseSensitive |
//! | `capability-search-param` | a CapabilityStatement search parameter whose type is not its definition's |

mod capability_statement;
mod code_system;
mod operation_definition;
mod paths;
mod search_parameter;

use conform_json::{Document, NodeId};

/// The items of the array `key` of an object (none when it is absent or
/// not an array; the walk reports that).
fn items<'d>(doc: &'d Document<'_>, node: NodeId, key: &str) -> impl Iterator<Item = NodeId> + 'd {
    doc.get(node, key)
        .map_or(&[][..], |a| doc.elements(a))
        .iter()
        .copied()
}

/// The string items of the array `key`.
fn strings(doc: &Document<'_>, node: NodeId, key: &str) -> Vec<String> {
    items(doc, node, key)
        .filter_map(|n| doc.str(n).map(|s| s.into_owned()))
        .collect()
}
