//! The one way an error becomes a message: the error and its causes,
//! `a: b: c`. Libraries such as reqwest put the useful part in a cause
//! ("error sending request" hides "Connection refused"), so every message
//! conform shows from a foreign error goes through here.

/// An error with its causes, `a: b: c`; a cause whose text the message
/// already contains (wrappers often repeat it) is not repeated.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn causes_follow_the_message_once() {
        let e = Layer(
            "error sending request",
            Some(Box::new(Layer(
                "connect failed: Connection refused",
                Some(Box::new(Layer("Connection refused", None))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "error sending request: connect failed: Connection refused"
        );
    }

    #[test]
    fn an_error_without_causes_is_its_message() {
        assert_eq!(error_chain(&Layer("timed out", None)), "timed out");
    }
}
