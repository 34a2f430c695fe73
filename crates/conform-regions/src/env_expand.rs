//! `${NAME}` in a regions file is replaced by the environment variable NAME,
//! so a committed file can point at servers whose addresses CI decides
//! (`base_url: ${REGION_A_URL}`). It works on the parsed YAML, string values
//! only: a value can never change the file's structure, and comments are
//! gone before it runs. An unset variable is an error naming it and where it
//! was used; secrets still come only from the `*_env`/`*_file` fields.

use serde_yaml_ng::Value;

/// Replaces `${NAME}` (letters, digits, `_`) in one string using `lookup`.
pub fn expand_env(text: &str, lookup: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').ok_or("unclosed '${'")?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("'${{{name}}}' is not an environment variable name"));
        }
        let value =
            lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Expands every string value inside `value` in place; an error names the
/// value's place (`regions[0].base_url`).
pub fn expand_env_in(
    value: &mut Value,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    expand_at(value, &mut String::new(), lookup)
}

fn expand_at(
    value: &mut Value,
    place: &mut String,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let here = place.len();
    match value {
        Value::String(s) if s.contains("${") => {
            *s = expand_env(s, lookup).map_err(|e| format!("{place}: {e}"))?;
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                place.push_str(&format!("[{i}]"));
                expand_at(item, place, lookup)?;
                place.truncate(here);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.as_str().unwrap_or("?");
                if !place.is_empty() {
                    place.push('.');
                }
                place.push_str(key);
                expand_at(item, place, lookup)?;
                place.truncate(here);
            }
        }
        Value::Tagged(tagged) => expand_at(&mut tagged.value, place, lookup)?,
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "A_URL").then(|| "http://127.0.0.1:1/fhir # not a comment".to_string())
    }

    #[test]
    fn expands_string_values_and_names_the_place_of_an_unset_one() {
        let text = "# ${NOT_THIS}\nregions:\n  - name: a\n    base_url: ${A_URL} # ${NOR_THIS}\n";
        let mut value: Value = serde_yaml_ng::from_str(text).unwrap();
        expand_env_in(&mut value, &lookup).unwrap();
        // The value arrives whole: a `#` in it is data, not a comment.
        assert_eq!(
            value["regions"][0]["base_url"].as_str(),
            Some("http://127.0.0.1:1/fhir # not a comment")
        );
        let mut unset: Value =
            serde_yaml_ng::from_str("regions:\n  - {name: a, base_url: 'x${B_URL}'}\n").unwrap();
        assert_eq!(
            expand_env_in(&mut unset, &lookup).unwrap_err(),
            "regions[0].base_url: environment variable B_URL is not set"
        );
        assert_eq!(
            expand_env("${a-b}", &lookup).unwrap_err(),
            "'${a-b}' is not an environment variable name"
        );
        assert_eq!(expand_env("${A", &lookup).unwrap_err(), "unclosed '${'");
    }
}
