//! The public API as the validator uses it: parse once, evaluate over
//! documents, custom models and callbacks.

use conform_fhirpath::{
    evaluate, evaluate_item, item_value, parse, ChildInfo, Context, Item, Model, NodeRef, Value,
};

const OBS: &str = r##"{"resourceType":"Observation","id":"o","status":"final",
 "valueQuantity":{"value":185,"unit":"lbs","code":"[lb_av]"},
 "subject":{"reference":"#p"},
 "contained":[{"resourceType":"Patient","id":"p","birthDate":"1974-12-25"}],
 "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]}}"##;

fn eval_with(expr: &str, ctx: &Context) -> Vec<Value> {
    let doc = conform_json::parse(OBS.as_bytes()).unwrap();
    let e = parse(expr).unwrap();
    evaluate(&e, &doc, doc.root(), ctx)
        .unwrap()
        .iter()
        .map(|i| item_value(&doc, i, ctx).unwrap_or(Value::String("<complex>".into())))
        .collect()
}

fn eval(expr: &str) -> Vec<Value> {
    eval_with(expr, &Context::new())
}

#[test]
fn expressions_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<conform_fhirpath::Expr>();
}

#[test]
fn parse_errors_carry_positions() {
    let e = parse("name.where(").unwrap_err();
    assert_eq!(e.position, 11);
    let e = parse("name.nosuchfunction()").unwrap_err();
    assert!(e.message.contains("nosuchfunction"), "{}", e.message);
}

#[test]
fn choice_elements_and_resolve() {
    assert_eq!(
        eval("Observation.value.unit"),
        vec![Value::String("lbs".into())]
    );
    assert_eq!(
        eval("Observation.value is Quantity"),
        vec![Value::Boolean(true)]
    );
    assert_eq!(
        eval("subject.resolve().birthDate < @2000-01-01"),
        vec![Value::Boolean(true)]
    );
    assert_eq!(
        eval("code.coding.code = '29463-7'"),
        vec![Value::Boolean(true)]
    );
}

#[test]
fn short_circuit_hides_errors_on_the_right() {
    assert_eq!(eval("false and (1 | 2) = 1"), vec![Value::Boolean(false)]);
    assert_eq!(eval("true or (1 | 2) = 1"), vec![Value::Boolean(true)]);
}

#[test]
fn callbacks_answer_member_of() {
    let cb = |_: &conform_json::Document, _: &Item, url: &str| Some(url.ends_with("/ok"));
    let mut ctx = Context::new();
    ctx.member_of = Some(&cb);
    assert_eq!(
        eval_with("status.memberOf('http://x/ok')", &ctx),
        vec![Value::Boolean(true)]
    );
    assert_eq!(eval("status.memberOf('http://x/ok')"), vec![]);
}

/// A model that knows `Observation.status` is a `code`.
struct Tiny {
    code: [std::sync::Arc<str>; 1],
}
impl Model for Tiny {
    fn child_type(&self, parent: &str, name: &str) -> Option<ChildInfo<'_>> {
        (parent == "Observation" && name == "status").then_some(ChildInfo {
            types: &self.code,
            is_choice: false,
        })
    }
    fn is_subtype(&self, t: &str, of: &str) -> bool {
        t == of || (t == "code" && of == "string")
    }
}

#[test]
fn pluggable_model_drives_types() {
    let tiny = Tiny {
        code: ["code".into()],
    };
    let ctx = Context::with_model(&tiny);
    assert_eq!(
        eval_with("status.type().name", &ctx),
        vec![Value::String("code".into())]
    );
    assert_eq!(
        eval_with("status is FHIR.string", &ctx),
        vec![Value::Boolean(true)]
    );
    assert_eq!(eval_with("status.ofType(FHIR.string)", &ctx), vec![]);
}

#[test]
fn element_invariants_see_primitive_companions() {
    let src = br#"{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://x","valueCode":"unknown"}]}}"#;
    let doc = conform_json::parse(src).unwrap();
    let focus = Item::Node(NodeRef {
        node: None,
        companion: doc.get(doc.root(), "_birthDate"),
        ty: Some("date".into()),
    });
    let ele1 = parse("hasValue() or (children().count() > id.count())").unwrap();
    let ctx = Context::new();
    let r = evaluate_item(&ele1, &doc, &focus, &ctx).unwrap();
    assert_eq!(item_value(&doc, &r[0], &ctx), Some(Value::Boolean(true)));
    let t = parse("children().value.type().name").unwrap();
    let r = evaluate_item(&t, &doc, &focus, &ctx).unwrap();
    assert_eq!(
        item_value(&doc, &r[0], &ctx),
        Some(Value::String("code".into()))
    );
}

#[test]
fn quantities_compare_across_ucum_units() {
    let t = vec![Value::Boolean(true)];
    let f = vec![Value::Boolean(false)];
    assert_eq!(eval("1 'mg/dL' = 10 'mg/L'"), t);
    assert_eq!(eval("1 '[in_i]' > 2 'cm'"), t);
    assert_eq!(eval("120 'mm[Hg]' > 15 'kPa'"), t);
    assert_eq!(eval("5 '10*3/uL' = 5000 '/uL'"), t);
    assert_eq!(eval("1 'kg' = 1 'm'"), f);
    assert_eq!(eval("(1 'kg' > 1 'm').empty()"), t);
}
