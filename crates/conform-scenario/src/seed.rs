//! `conform seed`: stores every resource of a folder's JSON, NDJSON and JSONL
//! files (subfolders included, path order) in a region with its own id
//! (`PUT Type/id`), so scenarios can rely on known ids. Bundles are stored
//! as Bundles (a document Bundle is a record in its own right).

use conform_endpoint::{Endpoint, Request};
use conform_json::files::JsonFile;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Seeded {
    pub resource_type: String,
    pub id: String,
    pub status: u16,
}

/// Every resource under `dir`, with the file it came from.
pub fn resources(dir: &Path) -> Result<Vec<(PathBuf, Value)>, String> {
    let files = conform_json::files::json_files_or_error(dir).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        if JsonFile::of(&f) == Some(JsonFile::Lines) {
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v = serde_json::from_str(line)
                    .map_err(|e| format!("{}:{}: {e}", f.display(), i + 1))?;
                out.push((f.clone(), v));
            }
        } else {
            let v = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            out.push((f, v));
        }
    }
    Ok(out)
}

/// Why seeding stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedError {
    /// The folder or a file in it is not usable (exit 2).
    Input(String),
    /// The server refused a resource (exit 1).
    Refused(String),
    /// The server did not answer (exit 3).
    Unreachable(String),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Input(m) | SeedError::Refused(m) | SeedError::Unreachable(m) => {
                f.write_str(m)
            }
        }
    }
}

/// PUTs every resource of `dir` (all checked before the first is sent);
/// stops at the first one refused.
pub fn seed(endpoint: &Endpoint, dir: &Path) -> Result<Vec<Seeded>, SeedError> {
    let all = resources(dir).map_err(SeedError::Input)?;
    let mut targets = Vec::new();
    for (file, r) in &all {
        let (Some(t), Some(id)) = (r["resourceType"].as_str(), r["id"].as_str()) else {
            return Err(SeedError::Input(format!(
                "{}: a seed resource needs resourceType and id",
                file.display()
            )));
        };
        targets.push((t.to_string(), id.to_string()));
    }
    let mut done = Vec::new();
    for ((file, r), (t, id)) in all.iter().zip(targets) {
        let resp = endpoint
            .send(&Request::new("PUT", &format!("{t}/{id}")).json(r))
            .map_err(|e| {
                SeedError::Unreachable(endpoint.redactor().redact(&format!("{t}/{id}: {e}")))
            })?;
        if !(200..300).contains(&resp.status) {
            return Err(SeedError::Refused(format!(
                "{t}/{id} ({}): the server answered {} {}",
                file.display(),
                resp.status,
                String::from_utf8_lossy(&resp.body)
                    .chars()
                    .take(400)
                    .collect::<String>()
            )));
        }
        done.push(Seeded {
            resource_type: t,
            id,
            status: resp.status,
        });
    }
    Ok(done)
}
