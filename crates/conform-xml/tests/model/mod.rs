//! A small hand-written model (a corner of Patient) so the reader's and
//! writer's tests need no FHIR package; the full definitions are tested in
//! conform-validate against every R4 and STU3 example.

use conform_xml::{Child, Model, Scalar, Shape, TypeRef};

pub const PATIENT: TypeRef = 0;
const HUMAN_NAME: TypeRef = 1;
const EXTENSION: TypeRef = 2;
const STRING: TypeRef = 3;
const BOOLEAN: TypeRef = 4;
const INTEGER: TypeRef = 5;
const DECIMAL: TypeRef = 6;
const NARRATIVE: TypeRef = 7;

pub struct Mini;

fn child(order: u32, array: bool, shape: Shape) -> Option<Child> {
    Some(Child {
        order,
        array,
        shape,
    })
}

fn string() -> Shape {
    Shape::Scalar(Scalar::String, STRING)
}

impl Model for Mini {
    fn resource(&self, name: &str) -> Option<TypeRef> {
        (name == "Patient").then_some(PATIENT)
    }

    fn child(&self, parent: TypeRef, name: &str) -> Option<Child> {
        // Every type starts id, extension (resources: id only).
        match (parent, name) {
            (_, "id") => child(0, false, string()),
            (PATIENT, "text") => child(1, false, Shape::Complex(NARRATIVE)),
            (PATIENT, "contained") => child(2, true, Shape::Resource),
            (_, "extension") => child(3, true, Shape::Complex(EXTENSION)),
            (PATIENT, "active") => child(4, false, Shape::Scalar(Scalar::Bool, BOOLEAN)),
            (PATIENT, "name") => child(5, true, Shape::Complex(HUMAN_NAME)),
            (PATIENT, "gender") => child(6, false, string()),
            (PATIENT, "multipleBirthInteger") => {
                child(7, false, Shape::Scalar(Scalar::Number, INTEGER))
            }
            (HUMAN_NAME, "family") => child(4, false, string()),
            (HUMAN_NAME, "given") => child(5, true, string()),
            (EXTENSION, "url") => child(4, false, string()),
            (EXTENSION, "valueString") => child(5, false, string()),
            (EXTENSION, "valueDecimal") => child(5, false, Shape::Scalar(Scalar::Number, DECIMAL)),
            (NARRATIVE, "status") => child(4, false, string()),
            (NARRATIVE, "div") => child(5, false, Shape::Xhtml),
            _ => None,
        }
    }

    fn is_resource(&self, t: TypeRef) -> bool {
        t == PATIENT
    }

    fn is_extension(&self, t: TypeRef) -> bool {
        t == EXTENSION
    }
}
