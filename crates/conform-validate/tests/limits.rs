//! Every validator limit of docs/limits.md hit: each gives a clear finding
//! or file failure naming the limit, never a panic or a hang, and the
//! other files and lines are still validated. Each test would fail if its
//! limit were not enforced.

mod common;

use conform_validate::{
    rules, validate_inputs, Collector, Input, Options, ResourceResult, Severity, Validator,
};

fn with(options: Options) -> Validator {
    common::r4().with_options(options)
}

fn rules_of(r: &ResourceResult) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// A Patient with `n` unknown elements: one error each.
fn patient_with_unknown_elements(n: usize) -> String {
    let members: Vec<String> = (0..n).map(|i| format!("\"bogus{i}\":1")).collect();
    format!("{{\"resourceType\":\"Patient\",{}}}", members.join(","))
}

#[test]
fn findings_past_the_limit_become_one_truncated_finding() {
    let text = patient_with_unknown_elements(1500);
    let all = with(Options {
        max_findings: usize::MAX,
        ..Options::default()
    })
    .validate_bytes(text.as_bytes(), 0);
    // One error per unknown element, and what else base R4 says.
    let total = all.findings.len();
    assert!(total > 1500, "{total}");
    let errors = all.errors();

    let r = common::r4().validate_bytes(text.as_bytes(), 0);
    let max = conform_validate::DEFAULT_MAX_FINDINGS;
    assert_eq!(r.findings.len(), max + 1);
    assert_eq!(r.findings[..max], all.findings[..max]);
    let last = r.findings.last().unwrap();
    assert_eq!(last.rule, rules::FINDINGS_TRUNCATED);
    // Hidden errors make the stand-in an error: the resource fails as it
    // would have with every finding listed.
    assert_eq!(last.severity, Severity::Error);
    let hidden = format!(
        "{} more findings on this resource ({} of them errors)",
        total - max,
        errors - max
    );
    assert!(last.message.starts_with(&hidden), "{}", last.message);
    assert!(last.message.contains("--max-findings"), "{}", last.message);

    let r = with(Options {
        max_findings: 5,
        ..Options::default()
    })
    .validate_bytes(text.as_bytes(), 0);
    assert_eq!(r.findings.len(), 6);
    assert_eq!(rules_of(&r)[..5], [rules::UNKNOWN_ELEMENT; 5]);
    assert_eq!(r.findings[5].rule, rules::FINDINGS_TRUNCATED);

    // At the limit: nothing is cut.
    let r = with(Options {
        max_findings: total,
        ..Options::default()
    })
    .validate_bytes(text.as_bytes(), 0);
    assert_eq!(r.findings, all.findings);
}

/// Extensions nested `levels` deep: legitimate FHIR structure, two JSON
/// levels (object, array) per extension.
fn nested_extensions(levels: usize) -> String {
    let open = "{\"url\":\"http://example.org/x\",\"extension\":[".repeat(levels);
    let close = "]}".repeat(levels);
    format!(
        "{{\"resourceType\":\"Patient\",\"extension\":[{open}{{\"url\":\"http://example.org/x\",\"valueString\":\"v\"}}{close}]}}"
    )
}

#[test]
fn nesting_past_the_depth_limit_is_one_fatal_finding() {
    // 255 extension levels: 512 JSON levels in all, inside the default.
    let fits = nested_extensions(254);
    let r = common::r4().validate_bytes(fits.as_bytes(), 0);
    assert!(
        !rules_of(&r).contains(&rules::LIMIT_EXCEEDED),
        "{:?}",
        rules_of(&r)
    );
    let deep = nested_extensions(300);
    let r = common::r4().validate_bytes(deep.as_bytes(), 0);
    assert_eq!(rules_of(&r), [rules::LIMIT_EXCEEDED]);
    assert_eq!(r.findings[0].severity, Severity::Fatal);
    let m = &r.findings[0].message;
    assert!(m.contains("nested deeper than the limit of 512"), "{m}");
    assert!(m.contains("--max-depth"), "{m}");
    // Raised, it validates.
    let r = with(Options {
        max_depth: 1024,
        ..Options::default()
    })
    .validate_bytes(deep.as_bytes(), 0);
    assert!(!rules_of(&r).contains(&rules::LIMIT_EXCEEDED));
}

#[test]
fn the_highest_depth_allowed_does_not_overflow_a_worker_stack() {
    // conform_setup::MAX_DEPTH_CEILING levels, validated on a thread with
    // rayon's default 2 MiB stack.
    let text = nested_extensions(1022);
    let v = with(Options {
        max_depth: 2048,
        ..Options::default()
    });
    let r = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || v.validate_bytes(text.as_bytes(), 0))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(!rules_of(&r).contains(&rules::LIMIT_EXCEEDED));
}

#[test]
fn xml_nesting_past_the_depth_limit_is_one_fatal_finding() {
    let levels = 600;
    let xml = format!(
        "<Patient xmlns=\"http://hl7.org/fhir\">{}{}</Patient>",
        "<extension url=\"http://example.org/x\">".repeat(levels),
        "</extension>".repeat(levels)
    );
    let r = common::r4().validate_payload(xml.as_bytes());
    assert_eq!(rules_of(&r), [rules::LIMIT_EXCEEDED]);
    assert!(r.findings[0].message.contains("--max-depth"));
    let r = with(Options {
        max_depth: 1024,
        ..Options::default()
    })
    .validate_payload(xml.as_bytes());
    assert!(!rules_of(&r).contains(&rules::LIMIT_EXCEEDED));
}

#[test]
fn a_string_past_the_length_limit_is_one_fatal_finding() {
    let text = format!(
        "{{\"resourceType\":\"Patient\",\"name\":[{{\"family\":\"{}\"}}]}}",
        "a".repeat(100)
    );
    let small = |n| {
        with(Options {
            max_string_bytes: n,
            ..Options::default()
        })
    };
    assert!(
        !rules_of(&small(100).validate_bytes(text.as_bytes(), 0)).contains(&rules::LIMIT_EXCEEDED)
    );
    let r = small(99).validate_bytes(text.as_bytes(), 0);
    assert_eq!(rules_of(&r), [rules::LIMIT_EXCEEDED]);
    let m = &r.findings[0].message;
    assert!(
        m.contains("a string of 100 bytes, longer than the limit of 99"),
        "{m}"
    );
    assert!(m.contains("--max-string-bytes"), "{m}");
    // Where it starts: line 1, column of the opening quote.
    assert_eq!(r.findings[0].location.column, Some(45));
}

fn run(v: &Validator, files: &[std::path::PathBuf]) -> conform_validate::ValidationReport {
    let inputs: Vec<Input> = files.iter().cloned().map(Input::File).collect();
    let mut sink = Collector {
        report: Default::default(),
    };
    validate_inputs(v, &inputs, &mut sink);
    sink.report
}

#[test]
fn a_file_past_the_size_limit_is_not_read_and_the_others_are() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let small = dir.path().join("small.json");
    std::fs::write(&big, patient_with_unknown_elements(20)).unwrap();
    std::fs::write(&small, "{\"resourceType\":\"Patient\"}").unwrap();
    let v = with(Options {
        max_file_bytes: 100,
        ..Options::default()
    });
    let report = run(&v, &[big.clone(), small.clone()]);
    let failure = report.files[0]
        .failure
        .as_ref()
        .expect("the big file fails");
    assert!(
        failure.message.contains("over the limit of 100"),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("--max-file-bytes"));
    assert_eq!(failure.severity, Severity::Fatal);
    assert!(report.files[0].resources.is_empty());
    assert!(report.files[1].failure.is_none());
    assert_eq!(report.files[1].resources.len(), 1);

    // The default, on a sparse file: refused from its size, before reading.
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(conform_validate::DEFAULT_MAX_FILE_BYTES + 1)
        .unwrap();
    let report = run(common::r4(), &[big]);
    let failure = report.files[0].failure.as_ref().expect("refused");
    assert!(failure.message.contains(&format!(
        "over the limit of {}",
        conform_validate::DEFAULT_MAX_FILE_BYTES
    )));
}

#[test]
fn an_ndjson_line_past_the_limit_is_one_finding_and_the_next_lines_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.ndjson");
    let long = patient_with_unknown_elements(30);
    std::fs::write(
        &file,
        format!("{{\"resourceType\":\"Patient\"}}\n{long}\n{{\"resourceType\":\"Patient\",\"bogus\":1}}\n"),
    )
    .unwrap();
    let v = with(Options {
        max_line_bytes: 200,
        ..Options::default()
    });
    let report = run(&v, &[file]);
    let resources = &report.files[0].resources;
    assert_eq!(resources.len(), 3);
    assert_eq!(resources[1].line, 2);
    assert_eq!(rules_of(&resources[1]), [rules::LIMIT_EXCEEDED]);
    let m = &resources[1].findings[0].message;
    assert!(
        m.contains("NDJSON line longer than the limit of 200 bytes"),
        "{m}"
    );
    assert!(m.contains("--max-line-bytes"), "{m}");
    assert_eq!(resources[2].line, 3);
    assert!(rules_of(&resources[2]).contains(&rules::UNKNOWN_ELEMENT));
    assert!(!rules_of(&resources[2]).contains(&rules::LIMIT_EXCEEDED));
    assert!(!rules_of(&resources[0]).contains(&rules::LIMIT_EXCEEDED));
}

#[test]
fn an_invariant_past_the_fhirpath_step_limit_is_a_warning_naming_the_limit() {
    // pat-1 on the contact: "name.exists() or telecom.exists() or ..."
    let text = br#"{"resourceType":"Patient","contact":[{"gender":"male"}]}"#;
    let r = common::r4().validate_bytes(text, 0);
    let pat1 = |r: &ResourceResult| {
        r.findings
            .iter()
            .filter(|f| f.message.contains("pat-1"))
            .map(|f| (f.rule.clone(), f.severity, f.message.clone()))
            .collect::<Vec<_>>()
    };
    let found = pat1(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_ne!(found[0].0, rules::INVARIANT_NOT_EVALUATED, "{found:?}");

    let r = with(Options {
        max_fhirpath_steps: 2,
        ..Options::default()
    })
    .validate_bytes(text, 0);
    let found = pat1(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    let (rule, severity, message) = &found[0];
    assert_eq!(rule, rules::INVARIANT_NOT_EVALUATED);
    assert_eq!(*severity, Severity::Warning);
    assert!(message.contains("stopped after 2 steps"), "{message}");
    assert!(message.contains("--max-fhirpath-steps"), "{message}");
}
