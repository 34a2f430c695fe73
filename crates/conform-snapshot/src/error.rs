//! Why a snapshot could not be generated. Every variant names the profile
//! (its canonical URL) so that a failure deep inside a dependency (an
//! extension definition, a base profile) still says where to look.

/// A failure to generate a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The input is not a StructureDefinition object.
    #[error("not a StructureDefinition: {0}")]
    NotAStructureDefinition(String),

    /// The StructureDefinition is malformed in a way that prevents any
    /// generation (no type, a differential element without a path, an
    /// illegal path...).
    #[error("{profile}: {reason}")]
    Invalid { profile: String, reason: String },

    /// No `baseDefinition`, so there is nothing to derive a snapshot from.
    #[error("{profile}: has no baseDefinition and no snapshot, so no snapshot can be generated")]
    NoBaseDefinition { profile: String },

    /// The base definition is not among the loaded definitions.
    #[error("{profile}: base definition {base} not found (load the package that defines it)")]
    BaseNotFound { profile: String, base: String },

    /// Generating this snapshot needs itself (directly or through bases and
    /// type profiles).
    #[error("{profile}: circular snapshot references detected (stack: {})", stack.join(" -> "))]
    Circular { profile: String, stack: Vec<String> },

    /// The differential slices the root element, which FHIR forbids (sdf-20).
    #[error("{profile}: the profile has slicing at the root ('{path}'), which is illegal (this usually arises from a problem in the differential)")]
    SlicingAtRoot { profile: String, path: String },

    /// Differential elements that matched nothing in the base: a wrong path,
    /// or elements out of order.
    #[error("{profile}: {} differential element(s) have no match in the base: {}; check that the paths are legal and in the base's order", elements.len(), elements.join(", "))]
    Unmatched {
        profile: String,
        elements: Vec<String>,
    },

    /// A problem with one element (an illegal type constraint, slicing that
    /// cannot be applied, a type that cannot be found...).
    #[error("{profile}: {element}: {message}")]
    Element {
        profile: String,
        element: String,
        message: String,
    },

    /// The nesting (of paths, type expansions or base definitions) is deeper
    /// than any real profile needs; generation stops instead of exhausting
    /// the stack.
    #[error("{profile}: nesting too deep at {element} (more than {limit} levels)")]
    TooDeep {
        profile: String,
        element: String,
        limit: usize,
    },
}
