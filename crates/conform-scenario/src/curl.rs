//! A step's request as a curl command line, for replaying by hand. The
//! caller redacts it; the access token is always shown as `[REDACTED]`.

/// `method`, absolute `url`, headers sent, body, and whether the region
/// adds an `Authorization` header of its own.
pub fn curl_line(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    authenticated: bool,
) -> String {
    let mut parts = vec!["curl -sS".to_string()];
    if method != "GET" {
        parts.push(format!("-X {method}"));
    }
    parts.push(quote(url));
    for (k, v) in headers {
        parts.push(format!("-H {}", quote(&format!("{k}: {v}"))));
    }
    if authenticated {
        parts.push(format!(
            "-H {}",
            quote(&format!(
                "Authorization: Bearer {}",
                conform_endpoint::REDACTED
            ))
        ));
    }
    if let Some(b) = body {
        parts.push(format!("--data-binary {}", quote(b)));
    }
    parts.join(" ")
}

/// POSIX shell single quotes.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_for_the_shell() {
        let c = super::curl_line(
            "POST",
            "http://h/fhir/Patient",
            &[("Content-Type".into(), "application/fhir+json".into())],
            Some(r#"{"name":"O'Brien"}"#),
            true,
        );
        assert_eq!(
            c,
            r#"curl -sS -X POST 'http://h/fhir/Patient' -H 'Content-Type: application/fhir+json' -H 'Authorization: Bearer [REDACTED]' --data-binary '{"name":"O'\''Brien"}'"#
        );
    }
}
