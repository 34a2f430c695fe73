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
//! | `code-system-count` | a `count` that is not the number of concepts of complete content, or not more than a fragment's or example's; concepts where content is `not-present`; complete content with none (warning) |
//! | `code-system-designation` | a designation with no use, in the system's language, that differs from the display (warning) |
//! | `code-system-property` | a property declared twice (by URI or code), with a URI that is not absolute or that is in HL7's space but not a defined concept property, or whose code or type is not the one its URI defines; a known code without its URI, or with another type (warnings) |
//! | `code-system-concept-property` | a concept property with no value, or a value not of the declared type; one that names a code the system lacks (error for `parent`, `child`, `partOf`, `synonym` by URI, warning for other `code` properties); an undeclared property, or a synonym that is not a code of the system (warnings) |
//! | `value-set-filter` | a ValueSet filter on a property its (held) code system lacks (warning), with an operation the property does not allow, or with a value not of the property's type (a boolean, a code, a code of the system, a date-time, a decimal, an integer, a Coding as `system#code` whose code its held system has) |
//! | `concept-map-code` | a ConceptMap source (target) code not in the map's source (target) value set, or not in the group's source (target) code system, where conform holds them |
//! | `questionnaire-enable-when` | an `enableWhen` question that is no item of the Questionnaire, an item inside the item itself, or the item itself; one that comes after the item (warning) |
//! | `structure-definition-type-profile` | an element type's `profile` that is not a definition of that type, or an extension's that is a modifier where the element is not `modifierExtension` (or the reverse); a `targetProfile` that is not a resource's (Reference) or a canonical resource's (canonical) definition, or on a type that takes none; a profile no loaded package defines (warning) |
//! | `capability-search-param` | a CapabilityStatement search parameter whose type is not its definition's |

mod capability_statement;
mod code_system;
mod code_system_properties;
mod concept_map;
mod operation_definition;
mod paths;
mod questionnaire;
mod search_parameter;
mod structure_definition;
mod value_set;
mod value_set_parameters;

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
