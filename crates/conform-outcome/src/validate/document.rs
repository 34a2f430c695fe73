//! The `conform.validate/1` JSON document (docs: `conform validate -f
//! json`), as types: the JSON writer serialises it and the scorecard reads
//! it back, so the layout is defined once.

use super::{MissingPackage, PackageSubstitution, Summary, ValidationReport};
use crate::Outcome;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The document's schema name and version.
pub const SCHEMA: &str = "conform.validate/1";

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Document {
    pub schema: String,
    pub tool: Tool,
    /// The packages the plans came from (`id#version`).
    pub packages: Vec<String>,
    /// Packages loaded in place of the version asked for (docs/packages.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitutions: Vec<PackageSubstitution>,
    /// Dependencies found nowhere and left out (`--allow-missing-deps`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_packages: Vec<MissingPackage>,
    pub summary: Summary,
    pub files: Vec<FileDocument>,
    /// Which shard of a run this is (`--shard K/N`); `conform report merge`
    /// joins the shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::ShardInfo>,
    /// Must-Support population per profile over the run's payloads
    /// (`--must-support`; docs/must-support.md). Shards' tallies add up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_support: Option<super::MustSupportReport>,
}

/// What wrote the document.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FileDocument {
    pub path: String,
    /// The file's place in the run's input list (shards only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<usize>,
    pub resources: Vec<ResourceDocument>,
    /// Why the file could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ResourceDocument {
    /// `null` when the text was not a recognisable resource.
    #[serde(rename = "resourceType")]
    pub resource_type: Option<String>,
    pub id: Option<String>,
    /// Line where the resource starts in its file.
    pub line: u32,
    /// No error or fatal issue.
    pub valid: bool,
    pub issues: Vec<Outcome>,
}

impl ResourceDocument {
    /// A resource's result as the document holds it.
    pub fn of(r: &super::ResourceResult) -> ResourceDocument {
        ResourceDocument {
            resource_type: r.resource_type.clone(),
            id: r.id.clone(),
            line: r.line,
            valid: r.errors() == 0,
            issues: r.findings.clone(),
        }
    }

    /// `Patient/p1`, or the type alone when the resource has no id.
    pub fn reference(&self) -> String {
        let t = self.resource_type.as_deref().unwrap_or("?");
        match &self.id {
            Some(id) => format!("{t}/{id}"),
            None => t.to_string(),
        }
    }
}

impl Document {
    /// The document of a run, written by `tool_version` of conform.
    pub fn of(report: &ValidationReport, tool_version: &str) -> Document {
        let files = report
            .files
            .iter()
            .map(|f| FileDocument {
                path: f.path.clone(),
                order: f.order,
                resources: f.resources.iter().map(ResourceDocument::of).collect(),
                error: f.failure.as_ref().map(|o| o.message.clone()),
            })
            .collect();
        Document {
            schema: SCHEMA.to_string(),
            tool: Tool {
                name: "conform".into(),
                version: tool_version.into(),
            },
            packages: report.packages.clone(),
            substitutions: report.substitutions.clone(),
            missing_packages: report.missing_packages.clone(),
            summary: report.summary,
            files,
            shard: report.shard,
            must_support: report.must_support.clone(),
        }
    }
}
