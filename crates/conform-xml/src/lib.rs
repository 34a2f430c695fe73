//! FHIR XML, read into the same tree the JSON parser builds.
//!
//! The validator's rules, FHIRPath invariants and renderers all work on a
//! [`conform_json::Document`]. Rather than teach each of them a second
//! format, [`read`] turns a FHIR XML resource into FHIR JSON text following
//! the specification's XML↔JSON mapping, keeps a map from each JSON value's
//! byte offset back to the XML element it came from ([`Positions`]), and
//! reports what only XML can get wrong (namespaces, `value` attributes,
//! unknown attributes, empty elements, element order) as [`XmlIssue`]s.
//! [`write`] goes the other way, for `conform convert`.
//!
//! What the mapping needs from the definitions (which elements repeat,
//! which primitives are JSON booleans or numbers, where a resource sits
//! inside an element, the order of elements) comes through [`Model`], so
//! nothing here knows an R4 or STU3 element list.

mod pretty;
mod read;
mod tree;
mod write;

pub use pretty::to_pretty_json;
pub use read::{read, read_with_limits, Converted, Positions, XmlIssue};
pub use tree::{Limits, XmlError};
pub use write::to_xml;

/// The FHIR namespace every FHIR element is in.
pub const FHIR_NS: &str = "http://hl7.org/fhir";
/// The namespace of the narrative's `div`.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Stable ids of the XML rules, reported beside the JSON ones.
pub mod rules {
    /// Not well-formed XML, a DOCTYPE, an entity, or not UTF-8.
    pub const XML_SYNTAX: &str = "xml-syntax";
    /// An element outside the FHIR namespace, or without one.
    pub const XML_NAMESPACE: &str = "xml-namespace";
    /// A primitive without its `value` attribute (text or other content
    /// instead), or a `value` attribute on an element that is not primitive.
    pub const XML_VALUE_ATTRIBUTE: &str = "xml-value-attribute";
    /// An attribute FHIR does not define on that element.
    pub const XML_UNKNOWN_ATTRIBUTE: &str = "xml-unknown-attribute";
    /// An element with no value, attributes or children.
    pub const XML_EMPTY_ELEMENT: &str = "xml-empty-element";
    /// Elements not in the order their definition gives.
    pub const XML_ELEMENT_ORDER: &str = "xml-element-order";
    /// The narrative `div` outside the XHTML namespace.
    pub const XML_XHTML_NAMESPACE: &str = "xml-xhtml-namespace";
}

/// A type in the caller's model (for the validator, a plan id).
pub type TypeRef = u32;

/// How an element's value is written in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A primitive (its type, for the `id` and `extension` of its `_name`
    /// twin): its `value` attribute becomes this JSON scalar.
    Scalar(Scalar, TypeRef),
    /// The narrative's XHTML `div`, a JSON string of the markup.
    Xhtml,
    /// A complex type or backbone element: a JSON object.
    Complex(TypeRef),
    /// A resource: in XML wrapped in an element named by its type, in JSON
    /// an object with `resourceType`.
    Resource,
}

/// The JSON scalar a primitive's value becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    Number,
    String,
}

/// What the definitions say about one element of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Child {
    /// Position in the definition, for XML's element order.
    pub order: u32,
    /// More than one allowed: a JSON array.
    pub array: bool,
    pub shape: Shape,
}

/// The definitions, as far as the XML↔JSON mapping needs them.
pub trait Model {
    /// A resource type by name.
    fn resource(&self, name: &str) -> Option<TypeRef>;
    /// The element of `parent` with this JSON name (choice elements by
    /// their typed name, `valueQuantity`).
    fn child(&self, parent: TypeRef, name: &str) -> Option<Child>;
    /// Whether the type is a resource (its `id` is an element, not an
    /// attribute).
    fn is_resource(&self, t: TypeRef) -> bool;
    /// Whether the type is Extension (its `url` is an attribute).
    fn is_extension(&self, t: TypeRef) -> bool;
}

/// Whether the first non-blank byte opens markup: XML rather than JSON.
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}
