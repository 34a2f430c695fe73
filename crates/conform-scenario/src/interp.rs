//! `${...}` in scenario strings: variables (`${nhs}`, `${patient.nhs}`)
//! and generators (`${uuid()}`, `${nhsNumber()}`, `${today()}`,
//! `${date(-3d)}` with d, w, m or y, `${now()}`). An unknown variable is
//! an error, never an empty string.

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

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
        "today" => Ok(date_string(days_today())),
        "date" => Ok(date_string(days_today() + offset_days(arg)?)),
        "now" => Ok(now_string()),
        other => Err(format!("unknown generator '{other}()'")),
    }
}

/// `-3d`, `+2w`, `1m` (30 days), `-18y` (365 days each).
fn offset_days(arg: &str) -> Result<i64, String> {
    let bad = || format!("bad date offset '{arg}' (use e.g. -3d, +2w, -1m, -18y)");
    let unit = arg.chars().last().ok_or_else(bad)?;
    let n: i64 = arg[..arg.len() - 1]
        .trim_start_matches('+')
        .parse()
        .map_err(|_| bad())?;
    Ok(n * match unit {
        'd' => 1,
        'w' => 7,
        'm' => 30,
        'y' => 365,
        _ => return Err(bad()),
    })
}

fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn days_today() -> i64 {
    unix_secs().div_euclid(86_400)
}

/// `YYYY-MM-DD` for days since 1970-01-01 (H. Hinnant's civil_from_days).
pub fn date_string(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Now as a FHIR instant in UTC, e.g. `2026-11-29T13:45:07Z`.
pub fn now_string() -> String {
    let s = unix_secs();
    let (y, m, d) = civil(s.div_euclid(86_400));
    let t = s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
        assert_eq!(date_string(0), "1970-01-01");
        assert_eq!(date_string(20_000), "2024-10-04");
    }
}
