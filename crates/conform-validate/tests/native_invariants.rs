//! `dom-3`, checked natively in the walk, agrees with its FHIRPath
//! definition on every official R4 example that has contained resources.

mod common;

use conform_fhirpath::{evaluate, item_value, parse, Context, Value};

fn fhirpath_says_false(expr: &str, bytes: &[u8]) -> bool {
    let doc = conform_json::parse(bytes).unwrap();
    let expr = parse(expr).unwrap();
    let mut ctx = Context::new();
    ctx.lenient_as = true;
    ctx.resource = Some(doc.root());
    ctx.root_resource = Some(doc.root());
    let r = evaluate(&expr, &doc, doc.root(), &ctx).expect("evaluates");
    matches!(r.as_slice(), [i] if item_value(&doc, i, &ctx) == Some(Value::Boolean(false)))
}

#[test]
fn native_dom_3_agrees_with_its_fhirpath() {
    // The R4 expression, from DomainResource's snapshot.
    let core = conform_testdata::path("r4/examples");
    let dom3 = "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()";
    let mut checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(core)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if !bytes.windows(11).any(|w| w == b"\"contained\"") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        if v.get("contained").is_none() {
            continue; // contained only deeper (Bundle entries)
        }
        checked += 1;
        let expected = fhirpath_says_false(dom3, &bytes);
        // Only the top-level resource's own contained resources.
        let prefix = format!("{}.contained[", v["resourceType"].as_str().unwrap());
        let native = common::r4()
            .validate_bytes(&bytes, 0)
            .findings
            .iter()
            .any(|f| {
                f.rule == "dom-3"
                    && f.expression().starts_with(&prefix)
                    && f.expression().matches('.').count() == 1
            });
        assert_eq!(native, expected, "{}", path.display());
    }
    assert!(
        checked > 20,
        "only {checked} examples with contained resources"
    );
}
