//! FHIR XML inputs: the compiled plans as the model `conform_xml` maps XML
//! to JSON with, and the validation of an XML resource through the one JSON
//! walk, its findings placed at XML lines and columns.

use crate::finding::{rules, IssueCode, Location, Outcome, Severity};
use crate::plan::{Plans, TypeId, TypeKind};
use crate::primitive::{JsonType, Primitive};
use crate::{ResourceResult, Validator};
use conform_xml::{Child, Model, Scalar, Shape, TypeRef, XmlError};

/// The plans, as far as the XML↔JSON mapping needs them: every element of
/// every type (base definitions of the loaded FHIR version, R4 or STU3).
pub struct PlansModel<'a>(pub &'a Plans);

impl Model for PlansModel<'_> {
    fn resource(&self, name: &str) -> Option<TypeRef> {
        self.0.resource(name)
    }

    fn child(&self, parent: TypeRef, name: &str) -> Option<Child> {
        let t = self.0.types.get(parent as usize)?;
        let key = t.keys.get(name).filter(|k| !k.underscore)?;
        let element = &t.elements[key.element as usize];
        let ty = element.types.get(key.choice as usize)?;
        let shape = match self.0.get(ty.plan).kind {
            TypeKind::Resource => Shape::Resource,
            TypeKind::Primitive(Primitive::Xhtml) => Shape::Xhtml,
            TypeKind::Primitive(p) => Shape::Scalar(
                match p.json_type() {
                    JsonType::Bool => Scalar::Bool,
                    JsonType::Number => Scalar::Number,
                    JsonType::String => Scalar::String,
                },
                ty.plan,
            ),
            TypeKind::Complex | TypeKind::Backbone => Shape::Complex(ty.plan),
        };
        Some(Child {
            order: key.element as u32,
            array: element.array,
            shape,
        })
    }

    fn is_resource(&self, t: TypeRef) -> bool {
        self.0.get(t as TypeId).kind == TypeKind::Resource
    }

    fn is_extension(&self, t: TypeRef) -> bool {
        self.0.get(t as TypeId).role == crate::plan::Role::Extension
    }
}

/// Reads a FHIR XML resource outside the inputs (a loose definition given
/// to `--ig`, for [`conform_packages::DefinitionSet::load_with`]; a
/// resource to resolve references from) into its JSON text, with `plans`
/// as the model; `Err` says why, with the line and column.
pub(crate) fn resource_to_json(plans: &Plans, xml: &[u8]) -> Result<String, String> {
    if plans.resource("StructureDefinition").is_none() {
        return Err("FHIR XML is read with the core definitions, and none are loaded".into());
    }
    conform_xml::read(xml, &PlansModel(plans))
        .map(|c| c.json)
        .map_err(|e| {
            let text = String::from_utf8_lossy(xml);
            let (line, column) = conform_json::LineIndex::new(&text).line_col(&text, e.offset);
            format!("{} (line {line}, column {column})", e.message)
        })
}

impl Validator {
    /// The XML↔JSON model of this validator's definitions.
    pub fn xml_model(&self) -> PlansModel<'_> {
        PlansModel(&self.plans)
    }

    /// Validates one resource, XML when its first non-blank byte is `<`
    /// and JSON otherwise.
    pub fn validate_payload(&self, bytes: &[u8]) -> ResourceResult {
        let mut result = self.payload_unsettled(bytes);
        self.settle(std::slice::from_mut(&mut result));
        result
    }

    /// [`Self::validate_payload`] with its terminology questions left for
    /// the caller to settle (with others of its batch).
    pub(crate) fn payload_unsettled(&self, bytes: &[u8]) -> ResourceResult {
        if conform_xml::looks_like_xml(bytes) {
            self.xml_unsettled(bytes)
        } else {
            self.bytes_unsettled(bytes, 0)
        }
    }

    /// Validates one FHIR XML text holding one resource: read into the JSON
    /// tree, walked like JSON, findings at XML lines and columns, and the
    /// XML rules' findings first.
    pub fn validate_xml(&self, bytes: &[u8]) -> ResourceResult {
        let mut result = self.xml_unsettled(bytes);
        self.settle(std::slice::from_mut(&mut result));
        result
    }

    fn xml_unsettled(&self, bytes: &[u8]) -> ResourceResult {
        let limits = conform_xml::Limits {
            max_depth: self.options.max_depth,
        };
        let converted = match conform_xml::read_with_limits(bytes, &self.xml_model(), limits) {
            Ok(c) => c,
            Err(e) => return xml_failure(bytes, &e),
        };
        // An XML element may become an object in an array: twice as deep.
        let json_limits = conform_json::Limits {
            max_depth: self.options.max_depth.saturating_mul(2).saturating_add(2),
            ..self.options.json_limits()
        };
        let doc = match conform_json::parse_with_limits(converted.json.as_bytes(), json_limits) {
            Ok(doc) => doc,
            Err(e) if e.over_limit.is_some() => {
                return xml_failure(
                    bytes,
                    &XmlError {
                        offset: converted.positions.xml_offset(e.offset),
                        message: e.message,
                        over_limit: e.over_limit,
                    },
                )
            }
            // The reader writes JSON text only; failing here is a bug in it,
            // reported as a finding rather than a panic.
            Err(e) => {
                return xml_failure(
                    bytes,
                    &XmlError {
                        offset: converted.positions.xml_offset(e.offset),
                        message: format!(
                            "internal error: the XML was read into invalid JSON ({e})"
                        ),
                        over_limit: None,
                    },
                )
            }
        };
        let mut result = self.validate_document_at(&doc, 0, Some(&converted.positions));
        let xml_findings = converted.issues.into_iter().map(|i| {
            let (line, column) = converted.positions.xml_line_col(i.offset);
            Outcome::finding(
                Severity::Error,
                IssueCode::Structure,
                i.rule,
                Location::payload(i.path, line, column),
                i.message,
            )
        });
        result.findings.splice(0..0, xml_findings);
        result
    }
}

/// The result for bytes that are not FHIR-readable XML: one fatal finding
/// where reading stopped.
fn xml_failure(bytes: &[u8], e: &XmlError) -> ResourceResult {
    let text = String::from_utf8_lossy(bytes);
    let (line, column) = conform_json::LineIndex::new(&text).line_col(&text, e.offset);
    if let Some(limit) = e.over_limit {
        return crate::run::over_limit(limit, &e.message, 0, line, column);
    }
    crate::run::unread(
        0,
        Outcome::finding(
            Severity::Fatal,
            IssueCode::Invalid,
            rules::XML_SYNTAX,
            Location::payload(String::new(), line, column),
            format!("The content is not valid FHIR XML: {}", e.message),
        ),
    )
}
