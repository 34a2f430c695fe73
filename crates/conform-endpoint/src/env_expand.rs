//! `${NAME}` in a regions file is replaced by the environment variable NAME
//! before it is parsed, so a committed file can point at servers whose
//! addresses CI decides (`base_url: ${REGION_A_URL}`). An unset variable is
//! an error naming it; secrets still come only from the `*_env`/`*_file`
//! fields, never from here.

/// Replaces `${NAME}` (letters, digits, `_`) using `lookup`; YAML comments
/// are left alone.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let (code, comment) = match line.find(" #") {
            Some(i) => line.split_at(i),
            None if line.trim_start().starts_with('#') => ("", line),
            None => (line, ""),
        };
        let mut rest = code;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("line {}: unclosed '${{'", n + 1))?;
            let name = &after[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "line {}: '${{{name}}}' is not an environment variable name",
                    n + 1
                ));
            }
            let value = lookup(name)
                .ok_or_else(|| format!("line {}: environment variable {name} is not set", n + 1))?;
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out.push_str(comment);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn expands_set_variables_and_names_unset_ones() {
        let text = "# ${NOT_THIS}\nregions:\n  - name: a\n    base_url: ${A_URL} # ${NOR_THIS}\n";
        let got = expand_env(text, |n| {
            (n == "A_URL").then(|| "http://127.0.0.1:1/fhir".to_string())
        })
        .unwrap();
        assert!(
            got.contains("base_url: http://127.0.0.1:1/fhir # ${NOR_THIS}"),
            "{got}"
        );
        let err = expand_env("x: ${B_URL}\n", |_| None).unwrap_err();
        assert_eq!(err, "line 1: environment variable B_URL is not set");
    }
}
