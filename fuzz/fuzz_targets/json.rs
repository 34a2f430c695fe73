//! The JSON parser: any bytes parse or fail with an error inside the
//! input; a parsed document can be walked and its strings decoded.
#![no_main]
use conform_json::{Kind, LineIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match conform_json::parse(data) {
        Ok(doc) => {
            let text = doc.source();
            let lines = LineIndex::new(text);
            let _ = doc.to_json_string(doc.root());
            let mut todo = vec![doc.root()];
            while let Some(n) = todo.pop() {
                match doc.kind(n) {
                    Kind::Object => {
                        for m in doc.members(n) {
                            let _ = doc.key(m);
                            todo.push(m.value);
                        }
                    }
                    Kind::Array => todo.extend(doc.elements(n).iter().copied()),
                    Kind::String => {
                        let _ = doc.str(n);
                    }
                    _ => {}
                }
                let _ = lines.line_col(text, doc.offset(n));
            }
        }
        Err(e) => assert!(e.offset <= data.len(), "error offset past the end: {e}"),
    }
});
