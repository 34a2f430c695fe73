//! A pretty-printed JSON document with one array written item by item:
//! the same bytes `serde_json::to_string_pretty` writes for the whole
//! document, without the whole array in memory. The SARIF writer streams
//! `results` this way and the OperationOutcome writer a Bundle's `entry`.

use serde::Serialize;
use serde_json::Value;

/// Stands for the streamed array while the rest of the document is
/// printed; never seen in output.
const MARK: &str = "\u{1}conform streamed array\u{1}";

pub(crate) struct PrettyArray {
    /// The document up to and including the array's `[`.
    head: String,
    /// The indentation of the array's items.
    indent: String,
    /// After the array's last item: its closing line and the rest.
    tail: String,
    items: usize,
}

impl PrettyArray {
    /// `doc` with the array at `pointer` (a JSON pointer to a value `doc`
    /// already has, such as `/runs/0/results`) to be streamed.
    pub(crate) fn new(mut doc: Value, pointer: &str) -> PrettyArray {
        *doc.pointer_mut(pointer)
            .expect("the streamed array's place is in the document") = Value::from(vec![MARK]);
        let text = serde_json::to_string_pretty(&doc).expect("JSON values always serialise");
        // serde_json escapes the mark's control characters.
        let mark = serde_json::to_string(MARK).expect("a string serialises");
        let at = text.find(&mark).expect("the mark is printed");
        let line_start = text[..at].rfind('\n').expect("an array item starts a line");
        PrettyArray {
            head: text[..line_start].to_string(),
            indent: text[line_start + 1..at].to_string(),
            tail: text[at + mark.len()..].to_string(),
            items: 0,
        }
    }

    /// What comes before the first item.
    pub(crate) fn head(&self) -> &str {
        &self.head
    }

    /// The text of the next item, laid out at its depth.
    pub(crate) fn item(&mut self, item: &impl Serialize) -> String {
        let text = serde_json::to_string_pretty(item).expect("JSON values always serialise");
        let sep = if self.items > 0 { "," } else { "" };
        self.items += 1;
        // A raw newline is only ever layout: newlines in strings are escaped.
        let text = text.replace('\n', &format!("\n{}", self.indent));
        format!("{sep}\n{}{text}", self.indent)
    }

    /// What comes after the last item (an empty array prints as `[]`).
    pub(crate) fn end(&self) -> &str {
        if self.items > 0 {
            &self.tail
        } else {
            self.tail.trim_start_matches(['\n', ' '])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn streamed(doc: &Value, pointer: &str) -> String {
        let items = doc.pointer(pointer).unwrap().as_array().unwrap().clone();
        let mut array = PrettyArray::new(doc.clone(), pointer);
        let mut text = array.head().to_string();
        for item in &items {
            text.push_str(&array.item(item));
        }
        text + array.end()
    }

    #[test]
    fn writes_what_serde_json_writes_for_the_whole_document() {
        for doc in [
            json!({"a": 1, "runs": [{"tool": {}, "results": [{"x": [1, 2], "y": {}}, "s\nt", []]}], "z": null}),
            json!({"a": 1, "runs": [{"results": []}]}),
            json!({"runs": [{"results": [[]]}]}),
        ] {
            assert_eq!(
                streamed(&doc, "/runs/0/results"),
                serde_json::to_string_pretty(&doc).unwrap()
            );
        }
    }
}
