//! Robustness: no input may panic the parser, and no expression may panic
//! the evaluator.

use conform_fhirpath::{evaluate, parse, Context};
use proptest::prelude::*;

const SAMPLE: &str = r##"{"resourceType":"Patient","id":"p1","active":true,
 "name":[{"use":"official","family":"Chalmers","given":["Peter","James"]},{"given":["Jim"]}],
 "_birthDate":{"extension":[{"url":"http://x","valueString":"y"}]},"birthDate":"1974-12-25",
 "deceasedBoolean":false,"multipleBirthInteger":2,
 "contained":[{"resourceType":"Organization","id":"o1","name":"Org"}],
 "managingOrganization":{"reference":"#o1"},
 "extension":[{"url":"http://e","valueQuantity":{"value":1.50,"unit":"mg","code":"mg"}}]}"##;

const TOKENS: &[&str] = &[
    "name",
    "given",
    "family",
    "birthDate",
    "Patient",
    "extension",
    "value",
    "contained",
    "id",
    "active",
    ".",
    ".",
    "(",
    ")",
    "[",
    "]",
    "0",
    "1",
    "2.5",
    "-",
    "+",
    "*",
    "/",
    " div ",
    " mod ",
    "&",
    "|",
    "=",
    "!=",
    "~",
    "!~",
    "<",
    ">=",
    " and ",
    " or ",
    " xor ",
    " implies ",
    " in ",
    " contains ",
    " is ",
    " as ",
    "String",
    "Integer",
    "'a'",
    "'mg'",
    "@2014-01",
    "@T10:00",
    "@2014-01-01T10:00:00Z",
    "$this",
    "$index",
    "$total",
    "%resource",
    "%context",
    "{}",
    ",",
    "where(",
    "select(",
    "exists(",
    "all(",
    "repeat(",
    "ofType(",
    "first()",
    "last()",
    "count()",
    "distinct()",
    "children()",
    "descendants()",
    "not()",
    "empty()",
    "iif(",
    "substring(",
    "indexOf(",
    "matches(",
    "replaceMatches(",
    "toString()",
    "toInteger()",
    "toDecimal()",
    "toDate()",
    "toQuantity(",
    "round(",
    "power(",
    "sqrt()",
    "ln()",
    "resolve()",
    "hasValue()",
    "getValue()",
    "aggregate(",
    "sort(",
    "split(",
    "join(",
    "lowBoundary(",
    "precision()",
    "type()",
    "trace(",
    " year",
    " 'cm'",
    "1 year",
    "skip(",
    "take(",
    "combine(",
    "union(",
];

fn expr_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 1..24).prop_map(|v| v.concat())
}

/// Grammatical expressions: terms combined by operators, paths and calls,
/// so the evaluator (not just the parser) is exercised.
fn valid_expr() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(
        &[
            "name",
            "given",
            "birthDate",
            "Patient",
            "extension",
            "value",
            "contained",
            "active",
            "id",
            "0",
            "1",
            "-3",
            "2.50",
            "'a'",
            "'Peter'",
            "@2014-01",
            "@2014-01-01T10:00:00Z",
            "@T10:00",
            "1 year",
            "3 'mg'",
            "$this",
            "$index",
            "$total",
            "%resource",
            "%context",
            "{}",
            "true",
            "false",
            "deceased",
            "multipleBirth",
        ][..],
    )
    .prop_map(str::to_string);
    leaf.prop_recursive(5, 64, 3, |inner| {
        let bin = prop::sample::select(
            &[
                "+",
                "-",
                "*",
                "/",
                " div ",
                " mod ",
                "&",
                "|",
                "=",
                "!=",
                "~",
                "!~",
                "<",
                ">=",
                " and ",
                " or ",
                " xor ",
                " implies ",
                " in ",
                " contains ",
            ][..],
        );
        let fun0 = prop::sample::select(
            &[
                "first()",
                "last()",
                "count()",
                "distinct()",
                "children()",
                "descendants()",
                "not()",
                "empty()",
                "toString()",
                "toInteger()",
                "toDecimal()",
                "toDate()",
                "toDateTime()",
                "toQuantity()",
                "sqrt()",
                "ln()",
                "exp()",
                "abs()",
                "ceiling()",
                "resolve()",
                "hasValue()",
                "getValue()",
                "sort()",
                "precision()",
                "lowBoundary()",
                "type()",
                "single()",
                "tail()",
                "upper()",
                "length()",
                "toChars()",
                "trim()",
                "allTrue()",
                "isDistinct()",
                "convertsToQuantity()",
            ][..],
        );
        let fun1 = prop::sample::select(
            &[
                "where",
                "select",
                "exists",
                "all",
                "repeat",
                "skip",
                "take",
                "combine",
                "union",
                "intersect",
                "exclude",
                "subsetOf",
                "indexOf",
                "substring",
                "startsWith",
                "matches",
                "power",
                "log",
                "round",
                "aggregate",
                "sort",
                "split",
                "join",
                "extension",
                "trace",
                "lowBoundary",
                "highBoundary",
                "contains",
                "toQuantity",
            ][..],
        );
        prop_oneof![
            (inner.clone(), bin, inner.clone()).prop_map(|(a, o, b)| format!("({a}){o}({b})")),
            (inner.clone(), fun0).prop_map(|(a, f)| format!("({a}).{f}")),
            (inner.clone(), fun1, inner.clone()).prop_map(|(a, f, b)| format!("({a}).{f}({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})[{b}]")),
            (
                inner.clone(),
                prop::sample::select(
                    &["String", "Integer", "Patient", "FHIR.string", "Quantity"][..]
                )
            )
                .prop_map(|(a, t)| format!("({a}) is {t}")),
            (
                inner.clone(),
                prop::sample::select(&["name", "given", "value", "url", "family"][..])
            )
                .prop_map(|(a, n)| format!("({a}).{n}")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, b, c)| format!("iif({a}, {b}, {c})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parser_never_panics(s in ".{0,80}") {
        let _ = parse(&s);
    }

    #[test]
    fn parser_never_panics_on_token_soup(s in expr_strategy()) {
        let _ = parse(&s);
    }

    #[test]
    fn evaluator_never_panics_on_valid_expressions(s in valid_expr()) {
        let doc = conform_json::parse(SAMPLE.as_bytes()).unwrap();
        let e = parse(&s).unwrap_or_else(|e| panic!("generated expression did not parse: {s}: {e}"));
        let _ = evaluate(&e, &doc, doc.root(), &Context::new());
    }

    #[test]
    fn evaluator_never_panics(s in expr_strategy()) {
        let doc = conform_json::parse(SAMPLE.as_bytes()).unwrap();
        if let Ok(e) = parse(&s) {
            let _ = evaluate(&e, &doc, doc.root(), &Context::new());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for s in [
        "-".repeat(100_000) + "1",
        "(".repeat(100_000),
        "a".to_string() + &".a".repeat(100_000),
        "1".to_string() + &"+1".repeat(100_000),
    ] {
        assert!(parse(&s).is_err());
    }
}
