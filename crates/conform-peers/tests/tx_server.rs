//! The terminology test server answers the FHIR R4 terminology operations
//! as the terminology client's tests assume.

use conform_peers::{TxFault, TxServer, TxServerOptions};
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SCT: &str = "http://snomed.info/sct";
const SCT_VERSION: &str = "http://snomed.info/sct/83821000000107/version/20241120";
const FINDINGS: &str = "https://conform.test/fhir/ValueSet/test-clinical-findings";
const GENDER_VS: &str = "http://hl7.org/fhir/ValueSet/administrative-gender";
const GENDER_CS: &str = "http://hl7.org/fhir/administrative-gender";

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One server with the three packages, shared by the read-only tests.
fn shared() -> &'static TxServer {
    static S: OnceLock<TxServer> = OnceLock::new();
    S.get_or_init(|| TxServer::start(TxServerOptions::with_test_packages()).expect("tx server"))
}

/// A server with only our fixtures (fast), for auth and fault tests.
fn small(options: TxServerOptions) -> TxServer {
    TxServer::start(options).expect("tx server")
}

fn get(s: &TxServer, path_query: &str) -> (u16, Value) {
    let r = http()
        .get(format!("{}/{path_query}", s.base_url()))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn post(s: &TxServer, path: &str, body: &Value) -> (u16, Value) {
    let r = http()
        .post(format!("{}/{path}", s.base_url()))
        .header("Content-Type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn param<'a>(p: &'a Value, name: &str) -> Option<&'a Value> {
    p["parameter"]
        .as_array()?
        .iter()
        .find(|x| x["name"] == name)
        .and_then(|x| {
            x.as_object()?
                .iter()
                .find(|(k, _)| k.starts_with("value") || *k == "resource")
                .map(|(_, v)| v)
        })
}

fn result(p: &Value) -> bool {
    param(p, "result").and_then(Value::as_bool).expect("result")
}

/// The tx-issue-type codes of the `issues` parameter.
fn issue_types(p: &Value) -> Vec<String> {
    param(p, "issues")
        .and_then(|oo| oo["issue"].as_array())
        .into_iter()
        .flatten()
        .map(|i| {
            i["details"]["coding"][0]["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn q(s: &str) -> String {
    s.replace('|', "%7C")
        .replace('#', "%23")
        .replace(' ', "%20")
}

#[test]
fn metadata_in_both_modes() {
    let s = shared();
    let (st, cap) = get(s, "metadata");
    assert_eq!(st, 200);
    assert_eq!(cap["resourceType"], "CapabilityStatement");
    assert_eq!(cap["fhirVersion"], "4.0.1");
    assert_eq!(cap["kind"], "instance");
    assert_eq!(cap["software"]["name"], "conform tx test server");
    let ops: Vec<&str> = cap["rest"][0]["operation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"expand") && ops.contains(&"lookup") && ops.contains(&"validate-code"));
    let (st, tc) = get(s, "metadata?mode=terminology");
    assert_eq!(st, 200);
    assert_eq!(tc["resourceType"], "TerminologyCapabilities");
    let systems = tc["codeSystem"].as_array().unwrap();
    let sct = systems.iter().find(|c| c["uri"] == SCT).expect("snomed");
    assert_eq!(sct["version"][0]["code"], SCT_VERSION);
    assert!(systems.iter().any(|c| c["uri"] == GENDER_CS));
    assert!(systems.len() > 500, "{} systems", systems.len());
}

#[test]
fn validate_code_on_a_core_required_value_set() {
    let s = shared();
    let vc = |extra: &str| {
        let (st, p) = get(
            s,
            &format!(
                "ValueSet/$validate-code?url={}&system={}&{extra}",
                q(GENDER_VS),
                q(GENDER_CS)
            ),
        );
        assert_eq!(st, 200, "{p}");
        p
    };
    let p = vc("code=female");
    assert!(result(&p));
    assert_eq!(param(&p, "display").unwrap(), "Female");
    assert_eq!(param(&p, "version").unwrap(), "4.0.1");
    assert!(param(&p, "issues").is_none());

    let p = vc("code=female&display=FEMALE");
    assert!(result(&p), "case-insensitive display is accepted");

    let p = vc("code=female&display=Woman");
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["invalid-display"]);
    let msg = param(&p, "message").unwrap().as_str().unwrap();
    assert!(
        msg.contains("Wrong Display Name 'Woman'") && msg.contains("'Female'"),
        "{msg}"
    );

    let p = vc("code=intersex");
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["invalid-code", "not-in-vs"]);

    // Valid in its system, not in the value set.
    let (_, p) = get(
        s,
        &format!(
            "ValueSet/$validate-code?url={}&system={}&code=home",
            q(GENDER_VS),
            q("http://hl7.org/fhir/address-use")
        ),
    );
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["not-in-vs"]);
    assert_eq!(param(&p, "display").unwrap(), "Home");

    // Unknown system.
    let (_, p) = get(
        s,
        &format!(
            "ValueSet/$validate-code?url={}&system=http://example.org/nope&code=x",
            q(GENDER_VS)
        ),
    );
    assert!(!result(&p));
    assert_eq!(
        param(&p, "x-caused-by-unknown-system").unwrap(),
        "http://example.org/nope"
    );
    assert_eq!(issue_types(&p), ["not-found"]);

    // Unknown value set.
    let (st, oo) = get(
        s,
        "ValueSet/$validate-code?url=http://example.org/vs&system=x&code=y",
    );
    assert_eq!(st, 404);
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["code"], "not-found");
}

#[test]
fn validate_code_against_the_ecl_value_set_by_post() {
    let s = shared();
    let vc = |coding: Value| {
        let body = json!({"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": FINDINGS},
            {"name": "coding", "valueCoding": coding}
        ]});
        let (st, p) = post(s, "ValueSet/$validate-code", &body);
        assert_eq!(st, 200, "{p}");
        p
    };
    // A descendant of 404684003 (via Disease > Heart disease > IHD).
    let p = vc(json!({"system": SCT, "code": "22298006", "display": "Heart attack"}));
    assert!(result(&p), "{p}");
    assert_eq!(param(&p, "display").unwrap(), "Myocardial infarction");
    assert_eq!(param(&p, "version").unwrap(), SCT_VERSION);
    // A procedure is not a finding.
    let p = vc(json!({"system": SCT, "code": "73761001"}));
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["not-in-vs"]);
    let issues = param(&p, "issues").unwrap();
    assert_eq!(issues["issue"][0]["expression"][0], "Coding.code");
    // Not a code of the (complete) test edition.
    let p = vc(json!({"system": SCT, "code": "999999999"}));
    assert!(!result(&p));
    assert_eq!(issue_types(&p)[0], "invalid-code");
    // An unknown SNOMED version.
    let p = vc(
        json!({"system": SCT, "version": "http://snomed.info/sct/900000000000207008/version/20200131", "code": "22298006"}),
    );
    assert!(!result(&p));
    assert_eq!(
        param(&p, "x-caused-by-unknown-system").unwrap(),
        "http://snomed.info/sct|http://snomed.info/sct/900000000000207008/version/20200131"
    );
    // The edition's module URI alone names the edition.
    let p = vc(
        json!({"system": SCT, "version": "http://snomed.info/sct/83821000000107", "code": "44054006"}),
    );
    assert!(result(&p), "{p}");

    // CodeableConcept: true when any coding is in.
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": FINDINGS},
        {"name": "codeableConcept", "valueCodeableConcept": {"coding": [
            {"system": SCT, "code": "73761001"},
            {"system": SCT, "code": "195967001", "display": "Asthma"}
        ]}}
    ]});
    let (_, p) = post(s, "ValueSet/$validate-code", &body);
    assert!(result(&p), "{p}");
    assert_eq!(param(&p, "code").unwrap(), "195967001");
}

#[test]
fn inactive_concepts_are_flagged() {
    let s = shared();
    let (_, p) = get(
        s,
        &format!("CodeSystem/$validate-code?url={}&code=324252006", q(SCT)),
    );
    assert!(result(&p));
    assert_eq!(param(&p, "inactive").unwrap(), true);
    assert_eq!(issue_types(&p), ["status-check"]);
    let oo = param(&p, "issues").unwrap();
    assert_eq!(oo["issue"][0]["severity"], "warning");
}

#[test]
fn uk_core_condition_codes_expand_from_the_test_edition() {
    let s = shared();
    let vs = "https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCode";
    let (_, p) = get(
        s,
        &format!("ValueSet/$validate-code?url={}&system={}&code=44054006&display=Diabetes%20mellitus%20type%202", q(vs), q(SCT)),
    );
    assert!(result(&p), "{p}");
    let (_, p) = get(
        s,
        &format!(
            "ValueSet/$validate-code?url={}&system={}&code=73761001",
            q(vs),
            q(SCT)
        ),
    );
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["not-in-vs"]);
    // memberOf (reference sets) is not supported: no wrong answer.
    let (st, oo) = get(
        s,
        &format!(
            "ValueSet/$expand?url={}",
            q("https://fhir.hl7.org.uk/ValueSet/UKCore-CareSettingType")
        ),
    );
    assert_eq!(st, 422);
    assert_eq!(oo["issue"][0]["code"], "not-supported");
}

#[test]
fn codesystem_validate_code_and_lookup() {
    let s = shared();
    let (_, p) = get(
        s,
        &format!(
            "CodeSystem/$validate-code?url={}&code=male&display=Male",
            q(GENDER_CS)
        ),
    );
    assert!(result(&p));
    let (_, p) = get(
        s,
        &format!("CodeSystem/$validate-code?url={}&code=boy", q(GENDER_CS)),
    );
    assert!(!result(&p));
    assert_eq!(issue_types(&p), ["invalid-code"]);

    let (st, p) = get(
        s,
        &format!("CodeSystem/$lookup?system={}&code=22298006", q(SCT)),
    );
    assert_eq!(st, 200);
    assert_eq!(param(&p, "display").unwrap(), "Myocardial infarction");
    assert_eq!(param(&p, "version").unwrap(), SCT_VERSION);
    let designations: Vec<&str> = p["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["name"] == "designation")
        .map(|d| {
            d["part"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == "value")
                .unwrap()["valueString"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(designations.contains(&"Heart attack"), "{designations:?}");
    let props: Vec<(String, String)> = p["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["name"] == "property")
        .map(|x| {
            let parts = x["part"].as_array().unwrap();
            let v = &parts[1];
            let value = v.get("valueCode").map(|c| c.as_str().unwrap().to_string());
            (
                parts[0]["valueCode"].as_str().unwrap().to_string(),
                value.unwrap_or_else(|| v["valueBoolean"].to_string()),
            )
        })
        .collect();
    assert!(props.contains(&("inactive".into(), "false".into())));
    assert!(props.contains(&("parent".into(), "414545008".into())));

    let (_, p) = get(
        s,
        &format!("CodeSystem/$lookup?system={}&code=324252006", q(SCT)),
    );
    assert!(p["parameter"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["name"] == "property"
            && x["part"][0]["valueCode"] == "inactive"
            && x["part"][1]["valueBoolean"] == true));

    let (st, oo) = get(s, &format!("CodeSystem/$lookup?system={}&code=1", q(SCT)));
    assert_eq!(st, 404);
    assert_eq!(oo["issue"][0]["code"], "not-found");
}

#[test]
fn expand_pages_filters_and_refuses_huge_expansions() {
    let s = shared();
    let (st, vs) = get(s, &format!("ValueSet/$expand?url={}", q(FINDINGS)));
    assert_eq!(st, 200);
    let total = vs["expansion"]["total"].as_u64().unwrap();
    assert!(total >= 20, "{total}");
    let (_, page) = get(
        s,
        &format!("ValueSet/$expand?url={}&count=5&offset=2", q(FINDINGS)),
    );
    assert_eq!(page["expansion"]["total"].as_u64().unwrap(), total);
    assert_eq!(page["expansion"]["offset"], 2);
    assert_eq!(page["expansion"]["contains"].as_array().unwrap().len(), 5);
    assert_eq!(
        page["expansion"]["contains"][0],
        vs["expansion"]["contains"][2]
    );

    let (_, f) = get(
        s,
        &format!("ValueSet/$expand?url={}&filter=DIABETES", q(FINDINGS)),
    );
    let codes: Vec<&str> = f["expansion"]["contains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["73211009", "44054006", "46635009"]);

    let (_, d) = get(
        s,
        "ValueSet/$expand?url=https://conform.test/fhir/ValueSet/test-diabetes",
    );
    assert_eq!(d["expansion"]["total"], 3);

    let big = "http://terminology.hl7.org/ValueSet/v3-ActCode";
    let (st, oo) = get(s, &format!("ValueSet/$expand?url={}", q(big)));
    assert_eq!(st, 422, "{oo}");
    assert_eq!(oo["issue"][0]["code"], "too-costly");
    let (st, vs) = get(s, &format!("ValueSet/$expand?url={}&count=10", q(big)));
    assert_eq!(st, 200);
    assert!(vs["expansion"]["total"].as_u64().unwrap() > 1000);
    assert_eq!(vs["expansion"]["contains"].as_array().unwrap().len(), 10);
}

#[test]
fn batches_answer_each_entry_in_order_and_count() {
    let s = small(TxServerOptions::default());
    let entries = json!([
        {"request": {"method": "GET", "url": format!("ValueSet/$validate-code?url={}&system={}&code=195967001", q(FINDINGS), q(SCT))}},
        {"request": {"method": "POST", "url": "ValueSet/$validate-code"}, "resource": {"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": FINDINGS},
            {"name": "coding", "valueCoding": {"system": SCT, "code": "73761001"}}]}},
        {"request": {"method": "GET", "url": "ValueSet/$validate-code?url=http://example.org/none&system=x&code=y"}},
        {"request": {"method": "POST", "url": "CodeSystem/$lookup"}, "resource": {"resourceType": "Parameters", "parameter": [
            {"name": "system", "valueUri": SCT}, {"name": "code", "valueCode": "71388002"}]}}
    ]);
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
    let (st, b) = post(&s, "", &bundle);
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["type"], "batch-response");
    let e = b["entry"].as_array().unwrap();
    assert_eq!(e.len(), 4);
    assert_eq!(e[0]["response"]["status"], "200 OK");
    assert!(result(&e[0]["resource"]));
    assert!(!result(&e[1]["resource"]));
    assert_eq!(e[2]["response"]["status"], "404 Not Found");
    assert_eq!(e[2]["resource"]["resourceType"], "OperationOutcome");
    assert_eq!(param(&e[3]["resource"], "display").unwrap(), "Procedure");
    assert_eq!(s.requests(), 1);
    assert_eq!(s.batch_entries(), 4);
    assert_eq!(s.count("ValueSet/$validate-code"), 3);
    assert_eq!(s.count("CodeSystem/$lookup"), 1);
    assert_eq!(s.count("batch"), 1);

    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"request": {"method": "GET", "url": "metadata"}}))
        .collect();
    let (st, oo) = post(
        &s,
        "",
        &json!({"resourceType": "Bundle", "type": "batch", "entry": too_many}),
    );
    assert_eq!(st, 413);
    assert_eq!(oo["issue"][0]["code"], "too-costly");
}

fn token(s: &TxServer, id: &str, secret: &str) -> reqwest::blocking::Response {
    http()
        .post(s.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .unwrap()
}

fn access_token(s: &TxServer) -> String {
    let r = token(s, "conform", "s3cret");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

fn authed_metadata(s: &TxServer, token: &str) -> u16 {
    http()
        .get(format!("{}/metadata", s.base_url()))
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn tokens_are_required_issued_and_expire() {
    let s = small(
        TxServerOptions::default()
            .client("conform", "s3cret")
            .token_lifetime(Duration::from_secs(1)),
    );
    let anon = http()
        .get(format!("{}/metadata", s.base_url()))
        .send()
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    assert!(anon.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    assert_eq!(token(&s, "conform", "wrong").status().as_u16(), 401);
    // HTTP Basic works too.
    let basic = http()
        .post(s.token_url())
        .basic_auth("conform", Some("s3cret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(basic.status().as_u16(), 200);
    let v: Value = basic.json().unwrap();
    assert_eq!(v["expires_in"], 1);
    assert_eq!(v["token_type"], "Bearer");

    let t = access_token(&s);
    assert_eq!(authed_metadata(&s, &t), 200);
    assert_eq!(authed_metadata(&s, "made-up"), 401);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(authed_metadata(&s, &t), 401, "expired");
    assert_eq!(s.tokens_issued(), 2);
    assert_eq!(s.requests(), 4);
    assert_eq!(s.count("metadata"), 1);
}

#[test]
fn expire_tokens_forces_a_refresh() {
    let s = small(
        TxServerOptions::default()
            .client("conform", "s3cret")
            .fault(TxFault::ExpireTokens),
    );
    let t1 = access_token(&s);
    assert_eq!(authed_metadata(&s, &t1), 200);
    assert_eq!(authed_metadata(&s, &t1), 401);
    let t2 = access_token(&s);
    assert_eq!(authed_metadata(&s, &t2), 200);
    s.set_fault(None);
    assert_eq!(authed_metadata(&s, &t2), 200);
    assert_eq!(s.tokens_issued(), 2);

    s.set_fault(Some(TxFault::TokenStatus(503)));
    assert_eq!(token(&s, "conform", "s3cret").status().as_u16(), 503);
}

#[test]
fn each_fault_breaks_fhir_requests() {
    let s = small(TxServerOptions::default().fault(TxFault::Slow(Duration::from_millis(600))));
    let started = Instant::now();
    assert_eq!(get(&s, "metadata").0, 200);
    assert!(started.elapsed() >= Duration::from_millis(600));

    for status in [401u16, 429, 500, 503] {
        s.set_fault(Some(TxFault::Status(status)));
        let r = http()
            .get(format!("{}/metadata", s.base_url()))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), status);
        match status {
            401 => assert!(r.headers().contains_key("www-authenticate")),
            429 | 503 => assert_eq!(r.headers()["retry-after"], "1"),
            _ => {}
        }
        let oo: Value = r.json().unwrap();
        assert_eq!(oo["resourceType"], "OperationOutcome");
    }

    s.set_fault(Some(TxFault::WrongContentType));
    let r = http()
        .get(format!("{}/metadata", s.base_url()))
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/html");
    let v: Value = r.json().unwrap();
    assert_eq!(v["resourceType"], "CapabilityStatement");

    s.set_fault(Some(TxFault::NotJson));
    let r = http()
        .get(format!("{}/metadata", s.base_url()))
        .send()
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/fhir+json"));
    assert!(r.text().unwrap().starts_with("<html>"));

    s.set_fault(None);
    assert_eq!(get(&s, "metadata").0, 200);
    assert_eq!(s.requests(), 8);
    assert_eq!(
        s.count("metadata"),
        4,
        "faulted Status answers are not operations"
    );
    assert_eq!(get(&s, "Patient/1").0, 404);
}

#[test]
fn a_fragment_cannot_say_a_code_is_wrong() {
    let s = shared();
    let cs = "http://terminology.hl7.org/CodeSystem/insurance-plan-type";
    let (_, p) = get(
        s,
        &format!("CodeSystem/$validate-code?url={}&code=zzz", q(cs)),
    );
    assert!(result(&p), "{p}");
    assert_eq!(issue_types(&p), ["invalid-code"]);
    let oo = param(&p, "issues").unwrap();
    assert_eq!(oo["issue"][0]["severity"], "warning");
    let text = oo["issue"][0]["details"]["text"].as_str().unwrap();
    assert!(text.contains("labeled as a fragment"), "{text}");
    let (_, p) = get(
        s,
        &format!("CodeSystem/$validate-code?url={}&code=dental", q(cs)),
    );
    assert!(result(&p));
    assert!(param(&p, "issues").is_none());
    // The same through a value set (given inline) including the whole
    // (fragment) system.
    let body = json!({"resourceType": "Parameters", "parameter": [
        {"name": "valueSet", "resource": {"resourceType": "ValueSet", "url": "https://conform.test/vs/plans",
            "status": "active", "compose": {"include": [{"system": cs}]}}},
        {"name": "coding", "valueCoding": {"system": cs, "code": "zzz"}}
    ]});
    let (st, p) = post(s, "ValueSet/$validate-code", &body);
    assert_eq!(st, 200, "{p}");
    assert!(result(&p), "{p}");
    assert_eq!(issue_types(&p), ["invalid-code"]);
}

#[test]
fn concurrent_requests_are_all_answered() {
    let s = small(TxServerOptions::default());
    let base = s.base_url();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let code = if i % 2 == 0 { "44054006" } else { "73761001" };
                let url = format!(
                    "{base}/ValueSet/$validate-code?url={}&system={}&code={code}",
                    q(FINDINGS),
                    q(SCT)
                );
                let p: Value = http().get(url).send().unwrap().json().unwrap();
                (i, result(&p))
            })
        })
        .collect();
    for h in handles {
        let (i, r) = h.join().unwrap();
        assert_eq!(r, i % 2 == 0);
    }
    assert_eq!(s.count("ValueSet/$validate-code"), 16);
}
