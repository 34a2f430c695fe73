//! Evaluates an expression over a JSON resource and prints the values:
//! `cargo run -p conform-fhirpath --example eval -- file.json "name.given"`.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let text = std::fs::read(&a[1]).unwrap();
    let doc = conform_json::parse(&text).unwrap();
    let ctx = conform_fhirpath::Context::new();
    let e = conform_fhirpath::parse(&a[2]).unwrap();
    let r = conform_fhirpath::evaluate(&e, &doc, doc.root(), &ctx);
    match r {
        Ok(items) => {
            for i in items {
                println!("{:?}", conform_fhirpath::item_value(&doc, &i, &ctx));
            }
        }
        Err(e) => println!("error: {e}"),
    }
}
