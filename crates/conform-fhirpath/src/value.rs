//! Collection items: either references into the JSON document (with the FHIR
//! type when known) or computed System values.

use crate::eval::dates::DateTime;
use conform_json::NodeId;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A computed System value. (Stored, as a literal of a parsed or compiled
/// expression, with its decimals as text: [`decimal_text`].)
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Boolean(bool),
    String(String),
    Integer(i64),
    Decimal(#[serde(with = "decimal_text")] Decimal),
    Date(DateTime),
    DateTime(DateTime),
    Time(DateTime),
    /// Value and unit (UCUM code or calendar word).
    Quantity(#[serde(with = "decimal_text")] Decimal, String),
    /// The result of `type()`: a `SimpleTypeInfo` with `namespace` and `name`.
    TypeInfo {
        namespace: String,
        name: String,
    },
}

/// A decimal stored as its text, which keeps its scale (`1.50` stays
/// `1.50`, as FHIRPath's precision needs) in any serde format.
mod decimal_text {
    use rust_decimal::Decimal;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(D::Error::custom)
    }
}

impl Value {
    /// The System type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Boolean(_) => "Boolean",
            Value::String(_) => "String",
            Value::Integer(_) => "Integer",
            Value::Decimal(_) => "Decimal",
            Value::Date(_) => "Date",
            Value::DateTime(_) => "DateTime",
            Value::Time(_) => "Time",
            Value::Quantity(..) => "Quantity",
            Value::TypeInfo { .. } => "SimpleTypeInfo",
        }
    }
}

/// A reference to a document node. Primitives may have a `_name` companion
/// (id/extension) and no value, so both parts are optional.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRef {
    pub node: Option<NodeId>,
    pub companion: Option<NodeId>,
    /// FHIR type name when the model (or the JSON) tells it.
    pub ty: Option<Arc<str>>,
}

/// A FHIRPath collection. Most results hold one item or none, so one is
/// kept inline: evaluating a path step or a comparison allocates nothing.
pub type Items = smallvec::SmallVec<[Item; 1]>;

/// One item of a FHIRPath collection.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Node(NodeRef),
    Value(Value),
}

impl Item {
    pub(crate) fn node(node: NodeId, ty: Option<Arc<str>>) -> Item {
        Item::Node(NodeRef {
            node: Some(node),
            companion: None,
            ty,
        })
    }
}
