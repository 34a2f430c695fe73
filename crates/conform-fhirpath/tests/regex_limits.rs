//! `matches()` and `replaceMatches()` on hostile patterns and input
//! (docs/limits.md): a pattern that compiles too large is an evaluation
//! error, not a hang or an allocation without bound, and the `regex`
//! crate (finite automata, no backtracking) matches in time linear in the
//! input, so a pattern that backtracks catastrophically elsewhere is fast.
//! Also the parser's nesting limit.

use conform_fhirpath::{evaluate, parse, Context};
use std::time::{Duration, Instant};

fn eval(expr: &str, resource: &str) -> Result<usize, String> {
    let doc = conform_json::parse(resource.as_bytes()).unwrap();
    let e = parse(expr).map_err(|e| e.to_string())?;
    evaluate(&e, &doc, doc.root(), &Context::new())
        .map(|v| v.len())
        .map_err(|e| e.to_string())
}

#[test]
fn a_pattern_over_the_regex_size_limit_is_an_error() {
    let patient = r#"{"resourceType":"Patient","id":"aaaa"}"#;
    // Small enough: compiles and runs.
    assert_eq!(eval("id.matches('(a{10}){10}')", patient), Ok(1));
    // A million-state program: over the 1 MiB compiled size limit.
    let e = eval("id.matches('((a{100}){100}){100}')", patient).unwrap_err();
    assert!(e.contains("invalid regex"), "{e}");
    assert!(e.contains("size limit"), "{e}");
    let e = eval("id.replaceMatches('((a{100}){100}){100}', 'b')", patient).unwrap_err();
    assert!(e.contains("size limit"), "{e}");
}

#[test]
fn catastrophic_backtracking_patterns_match_in_linear_time() {
    // (a+)+$ on "aaaa…b" takes exponential time in a backtracking engine.
    let long = format!("{}b", "a".repeat(100_000));
    let patient = format!(r#"{{"resourceType":"Patient","id":"{long}"}}"#);
    for pattern in ["(a+)+$", "(a|aa)+$", "(a*)*c", "^(a|a?)+$"] {
        let start = Instant::now();
        let n = eval(&format!("id.matches('{pattern}')"), &patient).unwrap();
        assert_eq!(n, 1, "{pattern}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{pattern} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn expressions_nested_past_the_parser_limit_are_an_error() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse(&deep).unwrap_err().to_string();
    assert!(e.contains("deep") || e.contains("nest"), "{e}");
    let fits = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&fits).is_ok());
}
