//! `${...}` in scenario strings: variables (`${nhs}`, `${patient.nhs}`)
//! and generators (`${uuid()}`, `${nhsNumber()}`, `${today()}`,
//! `${date(-3d)}` with d, w, m or y, `${now()}`). An unknown variable is
//! an error, never an empty string.

use serde_json::Value;
use std::collections::BTreeMap;

/// Variable values by name (matrix objects are flattened: `patient.nhs`).
pub type Vars = BTreeMap<String, String>;

/// Replaces every `${...}` in `text`.
pub fn interpolate(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed '${{' in '{text}'"))?;
        out.push_str(&resolve(after[..end].trim(), vars)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Interpolates every string inside a JSON value.
pub fn interpolate_json(value: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(interpolate(s, vars)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| interpolate_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut m = serde_json::Map::new();
            for (k, v) in o {
                m.insert(k.clone(), interpolate_json(v, vars)?);
            }
            Value::Object(m)
        }
        other => other.clone(),
    })
}

/// Replaces `${name}` for the given names only (include parameters),
/// leaving every other `${...}` for run time. A string that is exactly
/// `${name}` takes the parameter's value with its type (`equals: ${n}`).
pub fn substitute_params(value: &mut Value, params: &serde_json::Map<String, Value>) {
    match value {
        Value::String(s) => {
            let whole = s
                .strip_prefix("${")
                .and_then(|x| x.strip_suffix('}'))
                .and_then(|name| params.get(name));
            if let Some(v) = whole {
                *value = v.clone();
                return;
            }
            for (k, v) in params {
                let pat = format!("${{{k}}}");
                if s.contains(&pat) {
                    let text = match v {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    };
                    *s = s.replace(&pat, &text);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| substitute_params(v, params)),
        Value::Object(o) => o.values_mut().for_each(|v| substitute_params(v, params)),
        _ => {}
    }
}

/// Binds a value to a name: strings as they are, objects flattened.
pub fn bind(vars: &mut Vars, name: &str, value: &Value) {
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                bind(vars, &format!("{name}.{k}"), v);
            }
        }
        Value::String(s) => {
            vars.insert(name.to_string(), s.clone());
        }
        other => {
            vars.insert(name.to_string(), other.to_string());
        }
    }
}

/// Whether a variable or generator name is known (for `scenario check`).
pub fn is_generator(expr: &str) -> bool {
    let name = expr.split('(').next().unwrap_or("");
    expr.ends_with(')') && ["uuid", "nhsNumber", "today", "date", "now"].contains(&name)
}

fn resolve(expr: &str, vars: &Vars) -> Result<String, String> {
    if let Some(v) = vars.get(expr) {
        return Ok(v.clone());
    }
    let Some((name, arg)) = expr.strip_suffix(')').and_then(|e| e.split_once('(')) else {
        return Err(format!("unknown variable '{expr}'"));
    };
    let arg = arg.trim();
    match name.trim() {
        "uuid" => Ok(uuid::Uuid::new_v4().to_string()),
        "nhsNumber" => Ok(crate::nhs::test_nhs_number()),
        "today" => Ok(today_string()),
        "date" => fhirpath_value(&format!("@{} {}", today_string(), offset(arg)?)),
        "now" => Ok(now_string()),
        other => Err(format!("unknown generator '{other}()'")),
    }
}

/// `-3d`, `+2w`, `-1m`, `18y` → a FHIRPath calendar-duration term
/// (`- 3 days`): months and years are calendar ones, as FHIRPath adds them.
fn offset(arg: &str) -> Result<String, String> {
    let bad = || format!("bad date offset '{arg}' (use e.g. -3d, +2w, -1m, -18y)");
    let unit = match arg.chars().last().ok_or_else(bad)? {
        'd' => "days",
        'w' => "weeks",
        'm' => "months",
        'y' => "years",
        _ => return Err(bad()),
    };
    let n: i64 = arg[..arg.len() - 1]
        .trim_start_matches('+')
        .parse()
        .map_err(|_| bad())?;
    Ok(format!(
        "{} {} {unit}",
        if n < 0 { '-' } else { '+' },
        n.abs()
    ))
}

/// Date offsets are FHIRPath's calendar arithmetic (`@2026-01-31 + 1
/// months`), so a generated date and an assertion computing the same date
/// agree; only the clock (today) comes from jiff.
fn fhirpath_value(expr: &str) -> Result<String, String> {
    let parsed = conform_fhirpath::parse(expr).map_err(|e| e.to_string())?;
    let doc = conform_json::parse(b"{}").map_err(|e| e.to_string())?;
    let ctx = conform_fhirpath::Context::new();
    let items = conform_fhirpath::evaluate(&parsed, &doc, doc.root(), &ctx)
        .map_err(|e| format!("{expr}: {e}"))?;
    items
        .first()
        .and_then(|i| conform_fhirpath::item_value(&doc, i, &ctx))
        .map(|v| conform_fhirpath::value_to_string(&v))
        .ok_or_else(|| format!("{expr} gave nothing"))
}

/// Now as a FHIR instant in UTC to the millisecond, as FHIRPath's `now()`
/// writes it (`2026-11-29T10:00:00.000Z`); jiff is the clock, as for a
/// run's `started`.
pub fn now_string() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

/// Today in UTC as a FHIR date (`2026-11-29`), as FHIRPath's `today()`
/// gives it.
fn today_string() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_generators_and_errors() {
        let mut vars = Vars::new();
        bind(
            &mut vars,
            "patient",
            &serde_json::json!({"nhs": "9449305552", "age": 3}),
        );
        assert_eq!(
            interpolate(
                "Patient?identifier=x|${patient.nhs}&a=${patient.age}",
                &vars
            )
            .unwrap(),
            "Patient?identifier=x|9449305552&a=3"
        );
        assert_eq!(
            interpolate("${nope}", &vars).unwrap_err(),
            "unknown variable 'nope'"
        );
        assert!(interpolate("${bogus()}", &vars).is_err());
        assert_eq!(interpolate("${uuid()}", &vars).unwrap().len(), 36);
        assert!(interpolate("${nhsNumber()}", &vars)
            .unwrap()
            .starts_with("999"));
        let today = interpolate("${today()}", &vars).unwrap();
        assert_eq!(interpolate("${date(+0d)}", &vars).unwrap(), today);
        assert_ne!(interpolate("${date(-1d)}", &vars).unwrap(), today);
        assert!(interpolate("${date(3x)}", &vars).is_err());
        assert!(interpolate("${date(-1m)}", &vars).unwrap() < today);
        let now = now_string();
        assert!(now.starts_with(&today) && now.contains('T'), "{now}");
        // The form FHIRPath's now() writes: milliseconds, UTC as Z.
        assert_eq!(
            (now.len(), &now[19..20], &now[23..]),
            (24, ".", "Z"),
            "{now}"
        );
        assert_eq!(today, fhirpath_value("today()").unwrap(), "one calendar");
        assert_eq!(
            fhirpath_value("@2026-01-31 + 1 months").unwrap(),
            "2026-02-28",
            "FHIRPath's month arithmetic"
        );
    }
}
