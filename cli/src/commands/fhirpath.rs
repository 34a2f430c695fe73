//! `conform fhirpath EXPR [FILE|-]`: evaluates an expression against a
//! resource and prints the result collection with its types, for people
//! writing scenario assertions and profiles.

use crate::exit::{Code, Failure, Outcome};
use conform_fhirpath::{item_value, value_to_string, Context, Item, Value};
use conform_json::Document;
use conform_setup::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// The FHIRPath expression.
    expression: String,
    /// The resource (JSON file), or - for standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Output format: text (one `type: value` line an item) or json.
    #[arg(long, short = 'f', default_value = "text")]
    format: String,
}

pub fn run(settings: &Settings, args: &Args) -> Outcome {
    if !matches!(args.format.as_str(), "text" | "json") {
        return Err(Failure::usage(format!(
            "unknown format '{}' (use text or json)",
            args.format
        )));
    }
    let expr = conform_fhirpath::parse(&args.expression).map_err(|e| {
        Failure::usage(format!(
            "the expression does not parse at position {}: {}",
            e.position, e.message
        ))
    })?;
    let bytes = super::read_input(&args.file)?;
    let doc = conform_json::parse(&bytes)
        .map_err(|e| Failure::usage(format!("{} is not valid JSON: {e}", args.file)))?;
    // Types and FHIR functions (memberOf, resolve in Bundles...) from the
    // loaded definitions; without them, types are inferred from the JSON.
    let validator = match settings.definitions(&conform_setup::LoadOptions::default()) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!(
                "conform: no FHIR definitions loaded ({e}); types are inferred from the JSON"
            );
            None
        }
    };
    let evaluate = |ctx: &Context| {
        conform_fhirpath::evaluate(&expr, &doc, doc.root(), ctx).map(|items| {
            items
                .iter()
                .map(|i| describe(&doc, i, ctx))
                .collect::<Vec<(String, serde_json::Value)>>()
        })
    };
    let result = match &validator {
        Some(v) => v.with_fhirpath_context(&doc, evaluate),
        None => {
            let mut ctx = Context::new();
            ctx.resource = Some(doc.root());
            ctx.root_resource = Some(doc.root());
            evaluate(&ctx)
        }
    };
    let typed = result.map_err(|e| Failure {
        code: Code::Findings,
        message: format!("evaluation failed: {e}"),
    })?;
    if args.format == "json" {
        let out: Vec<serde_json::Value> = typed
            .into_iter()
            .map(|(t, v)| serde_json::json!({ "type": t, "value": v }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("JSON values serialise")
        );
    } else {
        for (t, v) in typed {
            let shown = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            println!("{t}: {shown}");
        }
    }
    Ok(Code::Pass)
}

/// An item's type name (FHIR type, or System type for computed values) and
/// its value as JSON: primitives as their FHIRPath text (dates without `@`),
/// Quantities as `{value, unit}`, complex nodes as their JSON.
fn describe(doc: &Document<'_>, item: &Item, ctx: &Context) -> (String, serde_json::Value) {
    let value = item_value(doc, item, ctx);
    let type_name = match item {
        Item::Node(n) => {
            n.ty.as_deref()
                .map(|t| public_type(t, ctx))
                .unwrap_or_else(|| {
                    value
                        .as_ref()
                        .map_or("Element", |v| v.type_name())
                        .to_string()
                })
        }
        Item::Value(v) => v.type_name().to_string(),
    };
    let json = match (&value, item) {
        (Some(Value::Quantity(v, unit)), _) => {
            let number = serde_json::from_str(&v.to_string()).unwrap_or(serde_json::Value::Null);
            serde_json::json!({ "value": number, "unit": unit })
        }
        (Some(Value::Boolean(b)), _) => serde_json::Value::Bool(*b),
        (Some(v), _) => serde_json::Value::String(value_to_string(v)),
        (None, Item::Node(n)) => n
            .node
            .and_then(|id| serde_json::from_str(&doc.to_json_string(id)).ok())
            .unwrap_or(serde_json::Value::Null),
        (None, Item::Value(_)) => serde_json::Value::Null,
    };
    (type_name, json)
}

/// A backbone element's model type is its path (`Patient.contact`); users
/// see the FHIR type it has (`BackboneElement`, or `Element` inside data
/// types).
fn public_type(t: &str, ctx: &Context) -> String {
    if !t.contains('.') {
        t.to_string()
    } else if ctx.model.is_subtype(t, "BackboneElement") {
        "BackboneElement".to_string()
    } else {
        "Element".to_string()
    }
}
