//! Every invariant (`constraint.expression`) in the FHIR R4 core package
//! must parse: these are the expressions the validator will run.

use std::io::Read;

/// `(file key, element path, expression)` of every core constraint.
fn core_constraints() -> Vec<(String, String, String)> {
    let path = conform_testdata::packages_dir().join("hl7.fhir.r4.core-4.0.1.tgz");
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("package/StructureDefinition-") {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let sd: serde_json::Value = serde_json::from_str(&text).unwrap();
        for section in ["snapshot", "differential"] {
            let elements = sd[section]["element"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for e in elements {
                for c in e["constraint"].as_array().cloned().unwrap_or_default() {
                    if let Some(x) = c["expression"].as_str() {
                        let path = e["path"].as_str().unwrap_or_default().to_string();
                        out.push((format!("{name} {}", c["key"]), path, x.to_string()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn all_core_invariants_parse() {
    let exprs = core_constraints();
    assert!(exprs.len() > 1000, "found only {} expressions", exprs.len());
    let failures: Vec<String> = exprs
        .iter()
        .filter_map(|(k, _, x)| {
            conform_fhirpath::parse(x)
                .err()
                .map(|e| format!("{k}: `{x}`: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A parsed expression is kept in the plan cache: each core invariant's
/// tree reads back as it was written (its literals too: decimals keep their
/// scale, dates their precision).
#[test]
fn all_core_invariants_survive_the_plan_cache_encoding() {
    let literals = [
        "a = 1.50 and b = 0.000 and c < -2.5",
        "d >= @2015-02 and e = @2015-02-07T13:28:17.239+02:00 and f = @T14:30",
        "g = 5.0 'mg' and h = 3 days and i is System.Decimal and j as FHIR.string",
    ];
    let extra = literals.map(|x| (format!("literals `{x}`"), String::new(), x.to_string()));
    for (k, _, x) in core_constraints().into_iter().chain(extra) {
        let parsed = conform_fhirpath::parse(&x).unwrap();
        let bytes = postcard::to_stdvec(&parsed).unwrap();
        let read: conform_fhirpath::Expr = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(read, parsed, "{k}: `{x}`");
        assert_eq!(
            format!("{:?}", read.root()),
            format!("{:?}", parsed.root()),
            "{k}: `{x}`"
        );
    }
}

/// Runs the invariants of each R4 example's resource type over it. The
/// examples are meant to be valid, so errors point at engine gaps; the test
/// prints a summary and fails on evaluation errors and on invariants that
/// are false where the examples are known to be right.
#[test]
fn core_invariants_run_on_r4_examples() {
    use conform_fhirpath::{evaluate, item_value, parse, Context, Item, Value};
    let mut by_type: std::collections::HashMap<
        String,
        Vec<(String, String, conform_fhirpath::Expr)>,
    > = Default::default();
    for (k, path, x) in core_constraints() {
        // base resource definitions only: profiles legitimately reject
        // examples of other kinds
        let ty = path.split('.').next().unwrap_or_default();
        if path.contains("[x]")
            || !k.starts_with(&format!("package/StructureDefinition-{ty}.json "))
        {
            continue;
        }
        let ty = path.split('.').next().unwrap_or_default().to_string();
        let parsed = parse(&x).unwrap();
        let list = by_type.entry(ty).or_default();
        if !list.iter().any(|(p, kk, _)| *p == path && *kk == k) {
            list.push((path, k, parsed));
        }
    }
    let dir = conform_testdata::path("r4/examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut ok, mut falses, mut errors) = (0, Vec::new(), Vec::new());
    let mut ctx = Context::new();
    ctx.lenient_as = true;
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let text = std::fs::read(f).unwrap();
        let Ok(doc) = conform_json::parse(&text) else {
            continue;
        };
        let Some(rt) = doc.get_str(doc.root(), "resourceType") else {
            continue;
        };
        for (path, key, expr) in by_type.get(rt.as_ref()).into_iter().flatten() {
            let focus = parse(path).unwrap();
            let Ok(nodes) = evaluate(&focus, &doc, doc.root(), &ctx) else {
                continue;
            };
            for n in nodes {
                let Item::Node(conform_fhirpath::NodeRef { node: Some(id), .. }) = n else {
                    continue;
                };
                match evaluate(expr, &doc, id, &ctx) {
                    Ok(r) => match r.as_slice() {
                        [i] if item_value(&doc, i, &ctx) == Some(Value::Boolean(false)) => {
                            falses.push(format!("{} {key}", f.display()))
                        }
                        _ => ok += 1,
                    },
                    Err(e) => errors.push(format!("{} {key} at {path}: {e}", f.display())),
                }
            }
        }
    }
    println!(
        "invariants: {ok} true/empty, {} false, {} errors",
        falses.len(),
        errors.len()
    );
    for x in falses.iter().take(40) {
        println!("false: {x}");
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // the spec's own examples break these (lower-case names, no narrative)
    let expected_false = ["\"pdf-0\"", "\"tst-0\"", "\"dom-6\""];
    let unexpected: Vec<&String> = falses
        .iter()
        .filter(|f| !expected_false.iter().any(|k| f.ends_with(k)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "invariants false on valid examples: {unexpected:#?}"
    );
}
