//! Compiled invariant checks (`conform_fhirpath::compile`) against the
//! evaluator, with types from the R4 definitions: each shape compiles, and
//! on every payload the check either answers as the evaluator does or
//! defers to it. (Debug builds also compare the two on every invariant the
//! validator runs, so every other test that validates cross-checks too.)

mod common;

use conform_fhirpath::{compile, evaluate_item, item_value, Focus, Item, NodeRef, Value};

/// The evaluator's answer, read as the validator reads it: one `false`
/// fails, any other single item holds, and anything else is empty.
fn evaluated(
    expr: &conform_fhirpath::Expr,
    doc: &conform_json::Document,
    focus: &NodeRef,
) -> Option<bool> {
    let model = common::r4().fhirpath_model();
    let mut ctx = conform_fhirpath::Context::with_model(model);
    ctx.lenient_as = true;
    let items = evaluate_item(expr, doc, &Item::Node(focus.clone()), &ctx).expect("evaluates");
    match items.as_slice() {
        [i] => match item_value(doc, i, &ctx) {
            Some(Value::Boolean(b)) => Some(b),
            _ => Some(true),
        },
        _ => None,
    }
}

/// Compiles `expression` for `ty`, then checks it on each payload: the
/// expected answer (`Err(())`: the check defers), which must also be the
/// evaluator's whenever the check answers, and the answer of the same check
/// read back from the plan cache's encoding.
fn check(ty: &str, expression: &str, cases: &[(&str, Result<Option<bool>, ()>)]) {
    let (expr, compiled) = compiled_and_stored(ty, expression);
    for (json, expected) in cases {
        let doc = conform_json::parse(json.as_bytes()).expect("json");
        let focus = NodeRef {
            node: Some(doc.root()),
            companion: None,
            ty: Some(ty.into()),
        };
        let got = answer(&compiled, expression, json, |c| {
            c.holds(
                &doc,
                &Focus::new(doc.root()),
                Some(doc.root()),
                Some(doc.root()),
                conform_fhirpath::DEFAULT_MAX_STEPS,
            )
        });
        assert_eq!(&got, expected, "{expression} on {json}");
        if let Ok(answer) = got {
            let fails = |t: Option<bool>| t == Some(false);
            assert_eq!(
                fails(answer),
                fails(evaluated(&expr, &doc, &focus)),
                "{expression} on {json}: the evaluator disagrees"
            );
        }
    }
}

/// `expression` parsed, and compiled for `ty`: as compiled, and as read
/// back from the plan cache's encoding (which must print the same, before
/// either runs: a pattern's regex is built on first use).
fn compiled_and_stored(
    ty: &str,
    expression: &str,
) -> (conform_fhirpath::Expr, [conform_fhirpath::Compiled; 2]) {
    let model = common::r4().fhirpath_model();
    let expr = conform_fhirpath::parse(expression).expect("parses");
    let compiled =
        compile(&expr, ty, model).unwrap_or_else(|| panic!("{expression} does not compile"));
    assert_eq!(compiled.focus_type(), ty);
    let bytes = postcard::to_stdvec(&compiled).expect("encodes");
    let stored: conform_fhirpath::Compiled = postcard::from_bytes(&bytes).expect("decodes");
    assert_eq!(
        format!("{stored:?}"),
        format!("{compiled:?}"),
        "{expression}: read back"
    );
    (expr, [compiled, stored])
}

/// The answer of both checks, which must be the same (`Err(())`: they defer).
fn answer(
    checks: &[conform_fhirpath::Compiled; 2],
    expression: &str,
    json: &str,
    holds: impl Fn(&conform_fhirpath::Compiled) -> Result<Option<bool>, conform_fhirpath::Defer>,
) -> Result<Option<bool>, ()> {
    let [compiled, stored] = checks.each_ref().map(|c| holds(c).map_err(|_| ()));
    assert_eq!(stored, compiled, "{expression} on {json}: read back");
    compiled
}

/// [`check`] on payloads made by the test.
fn check_made(ty: &str, expression: &str, cases: &[(String, Result<Option<bool>, ()>)]) {
    let cases: Vec<(&str, Result<Option<bool>, ()>)> =
        cases.iter().map(|(j, e)| (j.as_str(), *e)).collect();
    check(ty, expression, &cases);
}

#[test]
fn existence_and_logic_answer_as_the_evaluator() {
    // eld-22, on elements with and without the names
    check(
        "ElementDefinition",
        "sliceIsConstraining.exists() implies sliceName.exists()",
        &[
            (r#"{}"#, Ok(Some(true))),
            (r#"{"sliceIsConstraining":true}"#, Ok(Some(false))),
            (
                r#"{"sliceIsConstraining":true,"sliceName":"a"}"#,
                Ok(Some(true)),
            ),
            // a primitive with only its `_name` twin exists
            (
                r#"{"sliceIsConstraining":true,"_sliceName":{"id":"x"}}"#,
                Ok(Some(true)),
            ),
        ],
    );
    // ext-1: a choice element found by its variants
    check(
        "Extension",
        "extension.exists() != value.exists()",
        &[
            (r#"{"url":"u","valueString":"s"}"#, Ok(Some(true))),
            (r#"{"url":"u"}"#, Ok(Some(false))),
            (
                r#"{"url":"u","extension":[{"url":"v"}],"valueCode":"c"}"#,
                Ok(Some(false)),
            ),
            // not one of the element's types: not found
            (r#"{"url":"u","valueFoo":"s"}"#, Ok(Some(false))),
        ],
    );
    // a variant's twin alone, and a member of the choice's own name, as
    // the evaluator reads them
    for json in [
        r#"{"url":"u","_valueString":{"id":"a"}}"#,
        r#"{"url":"u","valueString":"s","_valueString":{"id":"a"}}"#,
        r#"{"url":"u","value":"s"}"#,
        r#"{"url":"u","valueString":["s","t"]}"#,
    ] {
        let expression = "extension.exists() != value.exists()";
        check(
            "Extension",
            expression,
            &[(json, Ok(evaluated_on("Extension", expression, json)))],
        );
    }
    // eld-18: a path read as a Boolean
    check(
        "ElementDefinition",
        "(isModifier.exists() and isModifier) implies isModifierReason.exists()",
        &[
            (r#"{"isModifier":false}"#, Ok(Some(true))),
            (r#"{"isModifier":true}"#, Ok(Some(false))),
            (
                r#"{"isModifier":true,"isModifierReason":"r"}"#,
                Ok(Some(true)),
            ),
            (r#"{}"#, Ok(Some(true))),
        ],
    );
    // `not()` and an empty operand of `or`
    check(
        "Patient",
        "active.not() or gender.exists()",
        &[
            (r#"{"active":true}"#, Ok(Some(false))),
            (r#"{"active":false}"#, Ok(Some(true))),
            // empty `or` false is empty
            (r#"{}"#, Ok(None)),
            (r#"{"gender":"male"}"#, Ok(Some(true))),
        ],
    );
}

#[test]
fn text_tests_answer_as_the_evaluator_and_defer_on_several_items() {
    check(
        "ElementDefinition",
        "path.matches('^[A-Za-z][A-Za-z0-9]*(\\\\.[a-z][A-Za-z0-9]*(\\\\[x])?)*$')",
        &[
            (r#"{"path":"Patient.name"}"#, Ok(Some(true))),
            (r#"{"path":"Patient..name"}"#, Ok(Some(false))),
            (r#"{}"#, Ok(None)),
            // a path without a value: the evaluator decides
            (r#"{"_path":{"id":"x"}}"#, Err(())),
        ],
    );
    check(
        "ElementDefinition.type",
        "(code='Reference' or code = 'canonical') or targetProfile.empty()",
        &[
            (
                r#"{"code":"Reference","targetProfile":["x"]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"code":"string","targetProfile":["x"]}"#,
                Ok(Some(false)),
            ),
            (r#"{"code":"string"}"#, Ok(Some(true))),
        ],
    );
    check(
        "ElementDefinition.binding",
        "valueSet.exists() implies (valueSet.startsWith('http:') or valueSet.startsWith('urn:'))",
        &[
            (r#"{"valueSet":"http://x"}"#, Ok(Some(true))),
            (r#"{"valueSet":"ftp://x"}"#, Ok(Some(false))),
        ],
    );
    // several names where one is needed: the evaluator fails, so defer
    check(
        "Patient",
        "name.family.matches('^A')",
        &[
            (r#"{"name":[{"family":"Ab"}]}"#, Ok(Some(true))),
            (r#"{"name":[{"family":"Ab"},{"family":"Ac"}]}"#, Err(())),
        ],
    );
    // an equality with several items on one side is false, not an error
    check(
        "Patient",
        "name.family = 'A'",
        &[
            (
                r#"{"name":[{"family":"A"},{"family":"A"}]}"#,
                Ok(Some(false)),
            ),
            (r#"{"name":[{"family":"A"}]}"#, Ok(Some(true))),
            (r#"{"name":[{"given":["A"]}]}"#, Ok(None)),
        ],
    );
}

#[test]
fn counts_distinct_all_and_where_answer_as_the_evaluator() {
    check(
        "ElementDefinition",
        "fixed.empty() or (type.count() <= 1)",
        &[
            (
                r#"{"fixedString":"a","type":[{"code":"a"},{"code":"b"}]}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"fixedString":"a","type":[{"code":"a"}]}"#,
                Ok(Some(true)),
            ),
            (r#"{"type":[{"code":"a"},{"code":"b"}]}"#, Ok(Some(true))),
        ],
    );
    check(
        "ElementDefinition",
        "type.select(code).isDistinct()",
        &[
            (r#"{"type":[{"code":"a"},{"code":"b"}]}"#, Ok(Some(true))),
            (r#"{"type":[{"code":"a"},{"code":"a"}]}"#, Ok(Some(false))),
            (r#"{}"#, Ok(Some(true))),
        ],
    );
    check(
        "StructureDefinition",
        "snapshot.element.all(definition.exists() and min.exists() and max.exists())",
        &[
            (r#"{}"#, Ok(Some(true))),
            (
                r#"{"snapshot":{"element":[{"definition":"d","min":0,"max":"1"}]}}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"snapshot":{"element":[{"definition":"d","min":0,"max":"1"},{"min":0}]}}"#,
                Ok(Some(false)),
            ),
        ],
    );
    check(
        "Patient",
        "contact.where(name.exists()).empty()",
        &[
            (r#"{"contact":[{"gender":"male"}]}"#, Ok(Some(true))),
            (
                r#"{"contact":[{"gender":"male"},{"name":{"family":"A"}}]}"#,
                Ok(Some(false)),
            ),
        ],
    );
}

#[test]
fn select_trace_booleans_and_all_over_primitives_answer_as_the_evaluator() {
    // eld-11: `select()` of a Boolean adds `false` too, so `exists()` is
    // true whenever there is a type
    check(
        "ElementDefinition",
        "binding.empty() or type.code.empty() or type.select((code = 'code') or (code = 'Coding')).exists()",
        &[
            (r#"{"binding":{"strength":"required"},"type":[{"code":"Reference"}]}"#, Ok(Some(true))),
            (r#"{"binding":{"strength":"required"},"type":[{"code":"code"}]}"#, Ok(Some(true))),
            (r#"{"binding":{"strength":"required"}}"#, Ok(Some(true))),
        ],
    );
    // sdf-16: trace() passes its input on
    check(
        "StructureDefinition",
        "snapshot.element.all(id.exists()) and snapshot.element.id.trace('ids').isDistinct()",
        &[
            (
                r#"{"snapshot":{"element":[{"id":"a"},{"id":"b"}]}}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"snapshot":{"element":[{"id":"a"},{"id":"a"}]}}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"snapshot":{"element":[{"id":"a"},{"path":"b"}]}}"#,
                Ok(Some(false)),
            ),
        ],
    );
    // sdf-4: a Boolean compared with a literal
    check(
        "StructureDefinition",
        "abstract = true or baseDefinition.exists()",
        &[
            (r#"{"abstract":true}"#, Ok(Some(true))),
            (r#"{"abstract":false}"#, Ok(Some(false))),
            (r#"{"abstract":false,"baseDefinition":"x"}"#, Ok(Some(true))),
            (r#"{"baseDefinition":"x"}"#, Ok(Some(true))),
            (r#"{}"#, Ok(None)),
        ],
    );
    // sdf-19's inner part: all() over primitives, each tested on `$this`
    check(
        "StructureDefinition",
        "differential.element.type.code.all(matches('^[a-zA-Z0-9]+$') or matches('^http:'))",
        &[
            (
                r#"{"differential":{"element":[{"type":[{"code":"string"},{"code":"http:x"}]}]}}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"differential":{"element":[{"type":[{"code":"a-b"}]}]}}"#,
                Ok(Some(false)),
            ),
        ],
    );
}

#[test]
fn where_first_and_tail_in_a_path_answer_as_the_evaluator() {
    // sdf-20
    check(
        "StructureDefinition.differential",
        "element.where(path.contains('.').not()).slicing.empty()",
        &[
            (
                r#"{"element":[{"path":"A"},{"path":"A.b","slicing":{"rules":"open"}}]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"element":[{"path":"A","slicing":{"rules":"open"}}]}"#,
                Ok(Some(false)),
            ),
            // a criterion the check cannot answer, on a later item: defers
            // although the first item already decides
            (
                r#"{"element":[{"path":"A","slicing":{"rules":"open"}},{"_path":{"id":"x"}}]}"#,
                Err(()),
            ),
        ],
    );
    // sdf-15 and a tail()
    check(
        "StructureDefinition",
        "kind!='logical' implies snapshot.element.first().type.empty()",
        &[
            (
                r#"{"kind":"resource","snapshot":{"element":[{"path":"A"},{"path":"A.b","type":[{"code":"x"}]}]}}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"kind":"resource","snapshot":{"element":[{"path":"A","type":[{"code":"x"}]}]}}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"kind":"logical","snapshot":{"element":[{"path":"A","type":[{"code":"x"}]}]}}"#,
                Ok(Some(true)),
            ),
        ],
    );
    check(
        "StructureDefinition.snapshot",
        "element.tail().all(path.contains('.'))",
        &[
            (
                r#"{"element":[{"path":"A"},{"path":"A.b"}]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"element":[{"path":"A"},{"path":"B"}]}"#,
                Ok(Some(false)),
            ),
            (r#"{"element":[{"path":"A"}]}"#, Ok(Some(true))),
        ],
    );
}

#[test]
fn a_union_under_all_or_exists_answers_as_the_evaluator() {
    // sdf-23
    check(
        "StructureDefinition",
        "(snapshot | differential).element.all(path.contains('.').not() implies sliceName.empty())",
        &[
            (
                r#"{"snapshot":{"element":[{"path":"A"}]},"differential":{"element":[{"path":"A"}]}}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"snapshot":{"element":[{"path":"A"}]},"differential":{"element":[{"path":"A","sliceName":"s"}]}}"#,
                Ok(Some(false)),
            ),
            (r#"{}"#, Ok(Some(true))),
        ],
    );
    check(
        "StructureDefinition",
        "(snapshot | differential).element.where(path = 'A').empty()",
        &[
            (
                r#"{"differential":{"element":[{"path":"A"}]}}"#,
                Ok(Some(false)),
            ),
            (r#"{"snapshot":{"element":[{"path":"B"}]}}"#, Ok(Some(true))),
        ],
    );
}

#[test]
fn steps_into_a_resource_go_on_with_what_every_resource_has() {
    // dom-2 and dom-4: `contained` holds resources whose type is read from
    // the data; what every resource has is found on any of them
    check(
        "Patient",
        "contained.contained.empty()",
        &[
            (r#"{}"#, Ok(Some(true))),
            (
                r#"{"contained":[{"resourceType":"Patient"}]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"contained":[{"resourceType":"Bundle","contained":[{"resourceType":"Patient"}]}]}"#,
                Ok(Some(false)),
            ),
        ],
    );
    check(
        "Patient",
        "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
        &[
            (
                r#"{"contained":[{"resourceType":"Patient","meta":{"source":"x"}}]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"contained":[{"resourceType":"Patient","meta":{"versionId":"1"}}]}"#,
                Ok(Some(false)),
            ),
        ],
    );
    // what only some resources define is not looked into
    check(
        "Patient",
        "contained.name.exists()",
        &[
            (r#"{}"#, Ok(Some(false))),
            (
                r#"{"contained":[{"resourceType":"Patient","name":[{"family":"A"}]}]}"#,
                Err(()),
            ),
        ],
    );
}

#[test]
fn dates_decimals_sums_and_literal_sets_answer_as_the_evaluator() {
    // per-1
    check(
        "Period",
        "start.hasValue().not() or end.hasValue().not() or (start <= end)",
        &[
            (
                r#"{"start":"2020-01-01","end":"2021-01-01T10:00:00Z"}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"start":"2022-01-01","end":"2021-01-01"}"#,
                Ok(Some(false)),
            ),
            // precisions that cannot be ordered: empty
            (
                r#"{"start":"2021-01-01T10:00:00Z","end":"2021-01-01"}"#,
                Ok(None),
            ),
            (
                r#"{"start":"2022-01-01","_end":{"id":"x"}}"#,
                Ok(Some(true)),
            ),
        ],
    );
    // tim-5: a decimal against an integer literal
    check(
        "Timing.repeat",
        "period.exists() implies period >= 0",
        &[
            (r#"{"period":1.5}"#, Ok(Some(true))),
            (r#"{"period":-0.5}"#, Ok(Some(false))),
            (r#"{}"#, Ok(Some(true))),
        ],
    );
    // org-1 and tst-6's shape: sums of counts
    check(
        "Organization",
        "(identifier.count() + name.count()) > 0",
        &[
            (r#"{"name":"A"}"#, Ok(Some(true))),
            (r#"{}"#, Ok(Some(false))),
        ],
    );
    check(
        "Organization",
        "(identifier.count() + alias.count()) = 1",
        &[
            (r#"{"alias":["A"]}"#, Ok(Some(true))),
            (r#"{"alias":["A","B"]}"#, Ok(Some(false))),
        ],
    );
    // drt-1: a fixed name stands for its text
    check(
        "Duration",
        "code.exists() implies ((system = %ucum) and value.exists())",
        &[
            (
                r#"{"code":"s","system":"http://unitsofmeasure.org","value":1}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"code":"s","system":"http://example.org","value":1}"#,
                Ok(Some(false)),
            ),
        ],
    );
    // que-10: `in` a literal set
    check(
        "Questionnaire.item",
        "(type in ('boolean' | 'decimal' | 'integer')) or maxLength.empty()",
        &[
            (r#"{"type":"boolean","maxLength":3}"#, Ok(Some(true))),
            (r#"{"type":"group","maxLength":3}"#, Ok(Some(false))),
            (r#"{"maxLength":3}"#, Ok(None)),
        ],
    );
    // dom-6 on a contained resource: never its root
    let model = common::r4().fhirpath_model();
    let expr =
        conform_fhirpath::parse("(%rootResource != $this) or text.`div`.exists()").expect("parses");
    let compiled = compile(&expr, "Patient", model).expect("compiles");
    let doc = conform_json::parse(
        br#"{"resourceType":"Patient","contained":[{"resourceType":"Patient"}]}"#,
    )
    .expect("json");
    let inner = doc.elements(doc.get(doc.root(), "contained").expect("contained"))[0];
    let focus = NodeRef {
        node: Some(inner),
        companion: None,
        ty: Some("Patient".into()),
    };
    assert_eq!(
        compiled.holds(
            &doc,
            &Focus::new(inner),
            Some(doc.root()),
            Some(doc.root()),
            100
        ),
        Ok(Some(true))
    );
    let mut ctx = conform_fhirpath::Context::with_model(model);
    ctx.root_resource = Some(doc.root());
    ctx.resource = Some(inner);
    let items = evaluate_item(&expr, &doc, &Item::Node(focus), &ctx).expect("evaluates");
    assert_eq!(
        items.first().and_then(|i| item_value(&doc, i, &ctx)),
        Some(Value::Boolean(true))
    );
}

#[test]
fn comparisons_iif_this_and_the_root_answer_as_the_evaluator() {
    // eld-2: iif with integer comparisons, one side converted from text
    check(
        "ElementDefinition",
        "min.empty() or max.empty() or (max = '*') or iif(max != '*', min <= max.toInteger())",
        &[
            (r#"{"min":0,"max":"1"}"#, Ok(Some(true))),
            (r#"{"min":2,"max":"1"}"#, Ok(Some(false))),
            (r#"{"min":2,"max":"*"}"#, Ok(Some(true))),
            (r#"{"min":1}"#, Ok(Some(true))),
            // not an integer: empty, so the iif is empty
            (r#"{"min":1,"max":"x"}"#, Ok(None)),
            // a decimal where an integer is expected compares as a decimal
            (r#"{"min":1.5,"max":"2"}"#, Ok(Some(true))),
            (r#"{"min":2.5,"max":"2"}"#, Ok(Some(false))),
        ],
    );
    // eld-3 on `max` itself, a primitive focus
    let model = common::r4().fhirpath_model();
    let expr =
        conform_fhirpath::parse("empty() or ($this = '*') or (toInteger() >= 0)").expect("parses");
    let compiled = compile(&expr, "string", model).expect("compiles");
    for (json, expected) in [
        (r#"{"max":"*"}"#, Some(true)),
        (r#"{"max":"-1"}"#, Some(false)),
        (r#"{"max":"2"}"#, Some(true)),
    ] {
        let doc = conform_json::parse(json.as_bytes()).expect("json");
        let max = doc.get(doc.root(), "max").expect("max");
        let focus = NodeRef {
            node: Some(max),
            companion: None,
            ty: Some("string".into()),
        };
        let got = compiled.holds(
            &doc,
            &Focus::new(max),
            None,
            None,
            conform_fhirpath::DEFAULT_MAX_STEPS,
        );
        assert_eq!(got, Ok(expected), "{json}");
        assert_eq!(evaluated(&expr, &doc, &focus), expected, "{json}");
    }
    // dom-6 on the root resource; a contained one defers
    check(
        "Patient",
        "(%rootResource != $this) or text.`div`.exists()",
        &[
            (r#"{"resourceType":"Patient"}"#, Ok(Some(false))),
            (
                r#"{"resourceType":"Patient","text":{"div":"<div/>"}}"#,
                Ok(Some(true)),
            ),
        ],
    );
    let doc = conform_json::parse(br#"{"resourceType":"Patient"}"#).expect("json");
    let expr =
        conform_fhirpath::parse("(%rootResource != $this) or text.`div`.exists()").expect("parses");
    let compiled = compile(&expr, "Patient", model).expect("compiles");
    let focus = Focus::new(doc.root());
    assert!(compiled.holds(&doc, &focus, None, None, 100).is_err());
}

#[test]
fn shapes_outside_the_compiled_set_are_left_to_the_evaluator() {
    let model = common::r4().fhirpath_model();
    for (ty, e) in [
        // descendants() other than a last `.name`, or of a choice's name
        ("Questionnaire", "descendants().item.linkId.exists()"),
        ("Observation", "descendants().value.exists()"),
        // children in order
        ("StructureDefinition", "children().element.first().exists()"),
        ("Patient", "Patient.name.exists()"),
        // a choice element in the middle of a path
        ("Observation", "value.unit.exists()"),
    ] {
        let expr = conform_fhirpath::parse(e).expect("parses");
        assert!(compile(&expr, ty, model).is_none(), "{e} compiled");
    }
}

#[test]
fn a_check_past_the_step_limit_defers() {
    let model = common::r4().fhirpath_model();
    let expr = conform_fhirpath::parse("name.exists() or telecom.exists()").expect("parses");
    let compiled = compile(&expr, "Patient", model).expect("compiles");
    let doc = conform_json::parse(br#"{"telecom":[{"value":"1"}]}"#).expect("json");
    let focus = Focus::new(doc.root());
    assert_eq!(
        compiled.holds(&doc, &focus, None, None, 100),
        Ok(Some(true))
    );
    assert!(compiled.holds(&doc, &focus, None, None, 2).is_err());
    // a member's absence decides this one, but not below the step limit
    let expr = conform_fhirpath::parse("name.empty() or telecom.exists()").expect("parses");
    let compiled = compile(&expr, "Patient", model).expect("compiles");
    let doc = conform_json::parse(br#"{}"#).expect("json");
    let focus = Focus::new(doc.root());
    assert_eq!(
        compiled.holds(&doc, &focus, None, None, 100),
        Ok(Some(true))
    );
    assert!(compiled.holds(&doc, &focus, None, None, 1).is_err());
}

#[test]
fn a_check_decided_by_an_absent_member_answers_as_the_evaluator() {
    // the first condition decides when `contained` is absent
    check(
        "Patient",
        "contained.contained.empty()",
        &[
            (r#"{}"#, Ok(Some(true))),
            (r#"{"active":true,"gender":"male"}"#, Ok(Some(true))),
            (
                r#"{"contained":[{"resourceType":"Basic"}]}"#,
                Ok(Some(true)),
            ),
        ],
    );
    check(
        "ElementDefinition",
        "contentReference.empty() or (type.empty() and defaultValue.empty())",
        &[
            (r#"{"path":"a","type":[{"code":"string"}]}"#, Ok(Some(true))),
            (
                r#"{"contentReference":"x","type":[{"code":"string"}]}"#,
                Ok(Some(false)),
            ),
            (r#"{"contentReference":"x"}"#, Ok(Some(true))),
            // its `_name` twin is the member too
            (
                r#"{"_contentReference":{"id":"i"},"type":[{"code":"string"}]}"#,
                Ok(Some(false)),
            ),
        ],
    );
    // `and`, `implies`, `not()`, `hasValue()`, `isDistinct()` and `all()`
    // of a path that reaches nothing
    check(
        "Patient",
        "name.exists() and name.all(given.exists())",
        &[
            (r#"{}"#, Ok(Some(false))),
            (r#"{"name":[{"given":["a"]}]}"#, Ok(Some(true))),
        ],
    );
    check(
        "Patient",
        "(active.hasValue()).not() implies gender.exists()",
        &[
            (r#"{}"#, Ok(Some(false))),
            (r#"{"active":true}"#, Ok(Some(true))),
        ],
    );
    check(
        "ElementDefinition",
        "constraint.select(key).isDistinct()",
        &[
            (r#"{"path":"a"}"#, Ok(Some(true))),
            (
                r#"{"constraint":[{"key":"a"},{"key":"a"}]}"#,
                Ok(Some(false)),
            ),
        ],
    );
    check(
        "ElementDefinition",
        "type.all(code.exists())",
        &[
            (r#"{"path":"a"}"#, Ok(Some(true))),
            (r#"{"type":[{}]}"#, Ok(Some(false))),
        ],
    );
    // both sides decided by absent members, when the left alone does not
    // decide: `and` of two truths, `or` of two falsehoods, `xor`, `implies`
    let both = [
        (
            "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
            Some(true),
        ),
        ("active.exists() or gender.exists()", Some(false)),
        ("active.empty() xor gender.empty()", Some(false)),
        ("active.empty() implies gender.exists()", Some(false)),
        ("active.exists().not() and gender.empty()", Some(true)),
    ];
    for (expression, on_empty) in both {
        check(
            "Patient",
            expression,
            &[
                (r#"{}"#, Ok(on_empty)),
                (r#"{"birthDate":"2000"}"#, Ok(on_empty)),
                (
                    r#"{"active":true}"#,
                    Ok(evaluated_on("Patient", expression, r#"{"active":true}"#)),
                ),
                (
                    r#"{"gender":"male"}"#,
                    Ok(evaluated_on("Patient", expression, r#"{"gender":"male"}"#)),
                ),
                (
                    r#"{"contained":[{"resourceType":"Basic","meta":{"versionId":"1"}}]}"#,
                    Ok(evaluated_on(
                        "Patient",
                        expression,
                        r#"{"contained":[{"resourceType":"Basic","meta":{"versionId":"1"}}]}"#,
                    )),
                ),
            ],
        );
        // and the guard, not the check, decides (on an object with no
        // members: with some, the key summary may say "perhaps")
        let (_, [compiled, _]) = compiled_and_stored("Patient", expression);
        let doc = conform_json::parse(b"{}").expect("json");
        let guard = compiled
            .guard()
            .unwrap_or_else(|| panic!("{expression}: no guard"));
        assert_eq!(
            guard.answer(&doc, doc.root(), conform_fhirpath::DEFAULT_MAX_STEPS),
            Some(on_empty),
            "{expression}"
        );
    }
}

/// The evaluator's answer to `expression` on `json`, a `ty`.
fn evaluated_on(ty: &str, expression: &str, json: &str) -> Option<bool> {
    let expr = conform_fhirpath::parse(expression).expect("parses");
    let doc = conform_json::parse(json.as_bytes()).expect("json");
    let focus = NodeRef {
        node: Some(doc.root()),
        companion: None,
        ty: Some(ty.into()),
    };
    evaluated(&expr, &doc, &focus)
}

/// Compiles `expression` for `ty`, the type of the member `member` of
/// each payload (`None`: the payload itself), with `%resource` the
/// payload; then checks it there as [`check`] does.
fn check_in_resource(
    ty: &str,
    member: Option<&str>,
    expression: &str,
    cases: &[(&str, Result<Option<bool>, ()>)],
) {
    let model = common::r4().fhirpath_model();
    let (expr, compiled) = compiled_and_stored(ty, expression);
    for (json, expected) in cases {
        let doc = conform_json::parse(json.as_bytes()).expect("json");
        let root = doc.root();
        let node = member.map_or(root, |m| doc.get(root, m).expect("member"));
        let focus = NodeRef {
            node: Some(node),
            companion: None,
            ty: Some(ty.into()),
        };
        let got = answer(&compiled, expression, json, |c| {
            c.holds(&doc, &Focus::new(node), Some(root), Some(root), 1000)
        });
        assert_eq!(&got, expected, "{expression} on {json}");
        let mut ctx = conform_fhirpath::Context::with_model(model);
        ctx.lenient_as = true;
        ctx.resource = Some(root);
        ctx.root_resource = Some(root);
        let items = evaluate_item(&expr, &doc, &Item::Node(focus.clone()), &ctx);
        let evaluated = items.map(|items| match items.as_slice() {
            [i] => match item_value(&doc, i, &ctx) {
                Some(Value::Boolean(b)) => Some(b),
                _ => Some(true),
            },
            _ => None,
        });
        // a check defers where the evaluator may fail
        if let Ok(answer) = got {
            assert_eq!(
                Ok(answer),
                evaluated.map_err(|_| ()),
                "{expression} on {json}: the evaluator disagrees"
            );
        }
    }
}

#[test]
fn texts_from_resource_and_text_expressions_answer_as_the_evaluator() {
    let sd = |kind: &str, ty: &str, paths: &[&str]| {
        let elements: Vec<String> = paths
            .iter()
            .map(|p| format!(r#"{{"path":"{p}"}}"#))
            .collect();
        format!(
            r#"{{"resourceType":"StructureDefinition","kind":"{kind}","type":"{ty}","snapshot":{{"element":[{0}]}},"differential":{{"element":[{0}]}}}}"#,
            elements.join(",")
        )
    };
    let good = sd("resource", "Patient", &["Patient", "Patient.name"]);
    let bad_root = sd("resource", "Patient", &["Person", "Person.name"]);
    let bad_child = sd("resource", "Patient", &["Patient", "Person.name"]);
    let logical = sd("logical", "http://x/L", &["L", "L.a"]);
    let dotted = sd("resource", "Patient", &["Patient.x", "Patient.y"]);
    let none = sd("resource", "Patient", &[]);
    // sdf-8, on the snapshot
    check_in_resource(
        "StructureDefinition.snapshot",
        Some("snapshot"),
        "(%resource.kind = 'logical' or element.first().path = %resource.type) and \
         element.tail().all(path.startsWith(%resource.snapshot.element.first().path&'.'))",
        &[
            (&good, Ok(Some(true))),
            (&bad_root, Ok(Some(false))),
            (&bad_child, Ok(Some(false))),
            (&logical, Ok(Some(true))),
            (&dotted, Ok(Some(false))),
            // no first path: empty, and so the whole
            (&none, Ok(None)),
        ],
    );
    // sdf-8a, on the differential: the first path up to its first dot
    check_in_resource(
        "StructureDefinition.differential",
        Some("differential"),
        "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and \
         (element.tail().empty() or element.tail().all(path.startsWith(\
         %resource.differential.element.first().path.replaceMatches('\\\\..*','')&'.')))",
        &[
            (&good, Ok(Some(true))),
            (&bad_root, Ok(Some(false))),
            (&bad_child, Ok(Some(false))),
            (&logical, Ok(Some(true))),
            (&dotted, Ok(Some(true))),
            (&none, Ok(None)),
        ],
    );
    // sdf-11, on the resource: a path compared with a path
    check_in_resource(
        "StructureDefinition",
        None,
        "kind != 'logical' implies snapshot.empty() or snapshot.element.first().path = type",
        &[
            (&good, Ok(Some(true))),
            (&bad_root, Ok(Some(false))),
            (&logical, Ok(Some(true))),
            // a snapshot without elements: empty
            (&none, Ok(None)),
            // several types: the evaluator's to answer
            (
                r#"{"kind":"resource","type":["A","B"],"snapshot":{"element":[{"path":"A"}]}}"#,
                Err(()),
            ),
        ],
    );
    // a data type may be in any resource: `%resource` is not compiled there
    let expr = conform_fhirpath::parse("%resource.id.exists()").expect("parses");
    assert!(compile(&expr, "HumanName", common::r4().fhirpath_model()).is_none());
}

#[test]
fn children_of_a_type_answer_as_the_evaluator() {
    let sdf_9 = "children().element.where(path.contains('.').not()).label.empty() and \
                 children().element.where(path.contains('.').not()).code.empty() and \
                 children().element.where(path.contains('.').not()).requirements.empty()";
    let root = |extra: &str| {
        format!(
            r#"{{"resourceType":"StructureDefinition","url":"http://x","snapshot":{{"element":[{{"path":"Patient"{extra}}},{{"path":"Patient.name","label":"n"}}]}}}}"#
        )
    };
    check_in_resource(
        "StructureDefinition",
        None,
        sdf_9,
        &[
            (&root(""), Ok(Some(true))),
            (&root(r#","label":"p""#), Ok(Some(false))),
            (&root(r#","requirements":"r""#), Ok(Some(false))),
            // in the differential as well
            (
                r#"{"differential":{"element":[{"path":"Patient","code":[{"code":"c"}]}]}}"#,
                Ok(Some(false)),
            ),
            (r#"{"url":"http://x"}"#, Ok(Some(true))),
            // walked once for the three members (compiled as one `all()`):
            // each root element counts, whichever member it holds
            (
                r#"{"snapshot":{"element":[{"path":"A"},{"path":"A.b"},{"path":"B","code":[{"code":"c"}]}]},"differential":{"element":[{"path":"A","_label":{"extension":[{"url":"http://e","valueString":"x"}]}}]}}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"snapshot":{"element":[{"path":"A","label":"l"}]},"differential":{"element":[{"path":"A.b","label":"l"}]}}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"snapshot":{"element":[{"path":"A.b","label":"l","code":[{"code":"c"}]},{"path":"A"}]}}"#,
                Ok(Some(true)),
            ),
            // a criterion the check cannot read (several paths): deferred
            (
                r#"{"snapshot":{"element":[{"path":["A","B"],"label":"l"}]}}"#,
                Err(()),
            ),
            // another child holding `element` (not one of the type's):
            // the evaluator's to read
            (
                r#"{"mapping":[{"identity":"m","element":[{"path":"X","label":"l"}]}]}"#,
                Err(()),
            ),
            (
                r#"{"extension":[{"url":"http://e","elementX":1}]}"#,
                Err(()),
            ),
        ],
    );
    // one walk of the root elements, not three
    let expr = conform_fhirpath::parse(sdf_9).expect("parses");
    let compiled =
        compile(&expr, "StructureDefinition", common::r4().fhirpath_model()).expect("compiles");
    let form = format!("{compiled:?}");
    assert_eq!(form.matches("Children(Children").count(), 1, "{form}");
    assert!(
        form.starts_with("Compiled { focus_type: \"StructureDefinition\", root: All"),
        "{form}"
    );
}

#[test]
fn a_selection_of_texts_is_distinct_as_the_evaluator_finds() {
    let bdl_7 = "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()";
    let entry = |url: Option<&str>, version: Option<&str>| {
        let url = url.map_or(String::new(), |u| format!(r#""fullUrl":"{u}","#));
        let meta = version.map_or(String::new(), |v| {
            format!(r#","meta":{{"versionId":"{v}"}}"#)
        });
        format!(r#"{{{url}"resource":{{"resourceType":"Patient"{meta}}}}}"#)
    };
    let bundle = |ty: &str, entries: &[String]| {
        format!(
            r#"{{"resourceType":"Bundle","type":"{ty}","entry":[{}]}}"#,
            entries.join(",")
        )
    };
    let a = entry(Some("urn:a"), None);
    let a1 = entry(Some("urn:a"), Some("1"));
    let a2 = entry(Some("urn:a"), Some("2"));
    let b = entry(Some("urn:b"), None);
    let anonymous = entry(None, None);
    // `n` entries with their own URLs, and again the one at `again`
    let many = |n: usize, again: Option<usize>| {
        let urls: Vec<String> = (0..n)
            .chain(again)
            .map(|i| entry(Some(&format!("urn:e{i}")), None))
            .collect();
        bundle("collection", &urls)
    };
    check(
        "Bundle",
        bdl_7,
        &[
            (&bundle("collection", &[]), Ok(Some(true))),
            (
                &bundle("collection", &[a.clone(), b.clone()]),
                Ok(Some(true)),
            ),
            (
                &bundle("collection", &[a.clone(), a.clone()]),
                Ok(Some(false)),
            ),
            (
                &bundle("collection", &[a1.clone(), a2.clone()]),
                Ok(Some(true)),
            ),
            (
                &bundle("collection", &[a1.clone(), a1.clone()]),
                Ok(Some(false)),
            ),
            (
                &bundle("collection", &[anonymous.clone(), anonymous.clone()]),
                Ok(Some(true)),
            ),
            (&bundle("history", &[a.clone(), a.clone()]), Ok(Some(true))),
            // past the short list: a duplicate found among many
            (&many(20, None), Ok(Some(true))),
            (&many(20, Some(3)), Ok(Some(false))),
            // several versions on one entry: the evaluator's to answer
            (
                r#"{"type":"collection","entry":[{"fullUrl":"urn:a","resource":{"resourceType":"Patient","meta":{"versionId":["1","2"]}}}]}"#,
                Err(()),
            ),
        ],
    );
}

#[test]
fn descendants_reach_what_the_evaluator_reaches() {
    // que-2: link ids are unique at every depth
    check(
        "Questionnaire",
        "descendants().linkId.isDistinct()",
        &[
            (r#"{"resourceType":"Questionnaire"}"#, Ok(Some(true))),
            (
                r#"{"item":[{"linkId":"1","item":[{"linkId":"1.1"},{"linkId":"1.2","item":[{"linkId":"1.2.1"}]}]},{"linkId":"2"}]}"#,
                Ok(Some(true)),
            ),
            (
                r#"{"item":[{"linkId":"1","item":[{"linkId":"1.1"},{"linkId":"1.2","item":[{"linkId":"1"}]}]}]}"#,
                Ok(Some(false)),
            ),
            // below a primitive, its twin's extensions are descendants too
            (
                r#"{"item":[{"linkId":"a","text":"t","_text":{"extension":[{"url":"u","linkId":"a"}]}}]}"#,
                Ok(Some(false)),
            ),
            (
                r#"{"item":[{"linkId":"a","_text":{"extension":[{"url":"u","linkId":"b"}]}}]}"#,
                Ok(Some(true)),
            ),
            // and so are contained resources
            (
                r#"{"contained":[{"resourceType":"Questionnaire","item":[{"linkId":"a"}]}],"item":[{"linkId":"a"}]}"#,
                Ok(Some(false)),
            ),
            // of duplicate keys the first is read
            (
                r#"{"item":[{"linkId":"a"}],"item":[{"linkId":"a"},{"linkId":"a"}]}"#,
                Ok(Some(true)),
            ),
            // a link id with a twin, not a text, or a text a date-typed
            // element would read as a date: the evaluator's
            (
                r#"{"item":[{"linkId":"a","_linkId":{"id":"x"}},{"linkId":"b"}]}"#,
                Err(()),
            ),
            (r#"{"item":[{"linkId":1},{"linkId":2}]}"#, Err(())),
            (
                r#"{"item":[{"linkId":"2020-01-01"},{"linkId":"b"}]}"#,
                Err(()),
            ),
        ],
    );
}

#[test]
fn intersections_answer_as_the_evaluator() {
    // obs-7 as R4 writes it: no component has a Coding of the
    // observation's own code
    let obs = |code: &str, components: &str| {
        format!(
            r#"{{"resourceType":"Observation","valueString":"v","code":{{"coding":[{code}]}},"component":[{components}]}}"#
        )
    };
    let a = r#"{"system":"s","code":"a"}"#;
    let b = r#"{"system":"s","code":"b"}"#;
    let comp = |codings: &str| format!(r#"{{"code":{{"coding":[{codings}]}}}}"#);
    let cases = [
        (
            r#"{"resourceType":"Observation","code":{"coding":[{"code":"a"}]},"component":[{"code":{"coding":[{"code":"a"}]}}]}"#.to_string(),
            Ok(Some(true)),
        ),
        (obs(a, &comp(b)), Ok(Some(true))),
        (obs(a, &comp(a)), Ok(Some(false))),
        (obs(&format!("{a},{b}"), &format!("{},{}", comp(r#"{"code":"x"}"#), comp(b))), Ok(Some(false))),
        // the same code from another system, or with a display, is another Coding
        (obs(a, &comp(r#"{"system":"t","code":"a"}"#)), Ok(Some(true))),
        (obs(a, &comp(r#"{"system":"s","code":"a","display":"A"}"#)), Ok(Some(true))),
        (obs(a, ""), Ok(Some(true))),
        // a Coding that is not an object: the evaluator's
        (obs(a, &comp(r#""a""#)), Err(())),
    ];
    check_made(
        "Observation",
        "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()",
        &cases,
    );
    // texts: equal when their texts are
    let texts = [
        (obs(a, &comp(a)), Ok(Some(true))),
        (obs(a, &comp(b)), Ok(Some(false))),
        (obs(r#"{"code":1}"#, &comp(a)), Err(())),
    ];
    check_made(
        "Observation",
        "code.coding.code.intersect(component.code.coding.code).exists()",
        &texts,
    );
}

/// The checks of one expression for many focus types are stored with each
/// distinct form once: `dom-2` compiled for three resource types is one
/// form, read back as three checks that answer as the evaluator does.
#[test]
fn checks_of_one_expression_store_each_form_once() {
    use conform_validate::plan::Ready;
    use std::sync::Arc;
    let model = common::r4().fhirpath_model();
    let expression = "contained.contained.empty()";
    let expr = conform_fhirpath::parse(expression).expect("parses");
    let types = ["Patient", "Observation", "Condition"];
    let ready = |types: &[&str]| Ready {
        expr: Some(expr.clone()),
        checks: types
            .iter()
            .map(|&t| {
                let c = compile(&expr, t, model).map(Arc::new);
                (Arc::<str>::from(t), c)
            })
            .collect(),
    };
    let three = postcard::to_stdvec(&ready(&types)).expect("encodes");
    let one = postcard::to_stdvec(&ready(&types[..1])).expect("encodes");
    // two more focus types add their names and an index, not a form
    let names: usize = types[1..].iter().map(|t| t.len() + 3).sum();
    assert!(
        three.len() <= one.len() + names,
        "{} against {}",
        three.len(),
        one.len()
    );

    let read: Ready = postcard::from_bytes(&three).expect("decodes");
    assert_eq!(read.checks.len(), 3);
    let doc = conform_json::parse(br#"{"contained":[{"resourceType":"Basic","contained":[]}]}"#)
        .expect("json");
    for ((ty, check), want) in read.checks.iter().zip(types) {
        let check = check.as_ref().expect("compiled");
        assert_eq!((&**ty, check.focus_type()), (want, want));
        let focus = conform_fhirpath::Focus::new(doc.root());
        let root = Some(doc.root());
        let answer = check.holds(
            &doc,
            &focus,
            root,
            root,
            conform_fhirpath::DEFAULT_MAX_STEPS,
        );
        let node = NodeRef {
            node: Some(doc.root()),
            companion: None,
            ty: Some(want.into()),
        };
        assert_eq!(answer, Ok(evaluated(&expr, &doc, &node)), "{want}");
    }
}
