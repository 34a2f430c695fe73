//! The terminology cache: every answer a server gave, on disk in an
//! embedded store (redb), keyed by server, value set (with its version),
//! code system and version, code and display, and stamped with the server's
//! software version and the time. A CI job can commit or restore the
//! folder; `--tx-replay` answers from it alone, so anyone without the
//! server's secrets reproduces the same terminology verdicts. Only what a
//! server said is kept — never a time-out or an HTTP error, which say
//! nothing about the code.

use conform_outcome::terminology::{CodeAnswer, CodeQuestion, Verdict};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

const ANSWERS: TableDefinition<&str, &[u8]> = TableDefinition::new("answers");
const SERVERS: TableDefinition<&str, &[u8]> = TableDefinition::new("servers");
pub const FILE_NAME: &str = "terminology.redb";

/// One stored answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Stored {
    pub answer: CodeAnswer,
    /// The server's software version when it answered (from `metadata`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// Seconds since the Unix epoch.
    pub stored_at: i64,
}

/// What the cache knows of a server (from `metadata` and
/// `metadata?mode=terminology`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerInfo {
    pub fhir_version: Option<String>,
    pub software: Option<String>,
    pub software_version: Option<String>,
    /// Code systems the server says it holds, with their versions.
    pub code_systems: BTreeMap<String, Vec<String>>,
    pub fetched_at: i64,
}

/// The key of a question put to `server` in code system `version`.
pub fn key(server: &str, q: &CodeQuestion, version: Option<&str>) -> String {
    const SEP: char = '\u{1f}';
    [
        server.trim_end_matches('/'),
        q.value_set.as_deref().unwrap_or("-"),
        &q.system,
        version.unwrap_or("-"),
        &q.code,
        q.display.as_deref().unwrap_or("-"),
    ]
    .join(&SEP.to_string())
}

fn split_key(k: &str) -> Vec<&str> {
    k.split('\u{1f}').collect()
}

pub struct TxCache {
    db: Database,
    path: PathBuf,
}

/// One line of `conform tx cache export`.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub server: String,
    #[serde(flatten)]
    pub question: CodeQuestion,
    #[serde(flatten)]
    pub stored: Stored,
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub file: String,
    pub bytes: u64,
    pub answers: u64,
    pub by_server: BTreeMap<String, u64>,
    pub by_verdict: BTreeMap<String, u64>,
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
    pub servers: BTreeMap<String, ServerInfo>,
}

fn err(what: &str, path: &Path, e: impl std::fmt::Display) -> String {
    format!("terminology cache {}: {what}: {e}", path.display())
}

impl TxCache {
    /// Opens (creating) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<TxCache, String> {
        std::fs::create_dir_all(dir).map_err(|e| err("cannot create the folder", dir, e))?;
        let path = dir.join(FILE_NAME);
        let db = Database::create(&path).map_err(|e| err("cannot open", &path, e))?;
        let cache = TxCache { db, path };
        // Create the tables so readers never meet a missing one.
        let w = cache.db.begin_write().map_err(|e| cache.fail("write", e))?;
        w.open_table(ANSWERS).map_err(|e| cache.fail("table", e))?;
        w.open_table(SERVERS).map_err(|e| cache.fail("table", e))?;
        w.commit().map_err(|e| cache.fail("commit", e))?;
        Ok(cache)
    }

    /// Opens an existing cache read-only in spirit: fails when there is none.
    pub fn open_existing(dir: &Path) -> Result<TxCache, String> {
        if !dir.join(FILE_NAME).is_file() {
            return Err(format!(
                "no terminology cache in {} (expected {FILE_NAME})",
                dir.display()
            ));
        }
        Self::open(dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cache in `dir`, shared by every client of this process (the
    /// store allows one opener per file: two packs' validators, or a probe
    /// and its scenarios, use one cache). `existing`: fail when there is
    /// none rather than create it.
    pub fn shared(dir: &Path, existing: bool) -> Result<Arc<TxCache>, String> {
        static OPEN: Mutex<Vec<(PathBuf, Weak<TxCache>)>> = Mutex::new(Vec::new());
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|(_, w)| w.strong_count() > 0);
        let wanted = dir.join(FILE_NAME);
        let same = |p: &PathBuf| {
            *p == wanted
                || matches!((p.canonicalize(), wanted.canonicalize()), (Ok(a), Ok(b)) if a == b)
        };
        if let Some(cache) = open
            .iter()
            .find(|(p, _)| same(p))
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(cache);
        }
        let cache = Arc::new(if existing {
            Self::open_existing(dir)?
        } else {
            Self::open(dir)?
        });
        open.push((wanted, Arc::downgrade(&cache)));
        Ok(cache)
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> String {
        err(what, &self.path, e)
    }

    /// The stored answers of these keys (`None`: not stored, or unreadable).
    pub fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Stored>>, String> {
        let r = self.db.begin_read().map_err(|e| self.fail("read", e))?;
        let t = r.open_table(ANSWERS).map_err(|e| self.fail("table", e))?;
        keys.iter()
            .map(|k| {
                let v = t.get(k.as_str()).map_err(|e| self.fail("read", e))?;
                Ok(v.and_then(|v| serde_json::from_slice(v.value()).ok()))
            })
            .collect()
    }

    pub fn put_many(&self, items: &[(String, Stored)]) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let w = self.db.begin_write().map_err(|e| self.fail("write", e))?;
        {
            let mut t = w.open_table(ANSWERS).map_err(|e| self.fail("table", e))?;
            for (k, v) in items {
                let bytes = serde_json::to_vec(v).map_err(|e| self.fail("encode", e))?;
                t.insert(k.as_str(), bytes.as_slice())
                    .map_err(|e| self.fail("write", e))?;
            }
        }
        w.commit().map_err(|e| self.fail("commit", e))
    }

    pub fn server(&self, url: &str) -> Option<ServerInfo> {
        let r = self.db.begin_read().ok()?;
        let t = r.open_table(SERVERS).ok()?;
        let v = t.get(url.trim_end_matches('/')).ok()??;
        serde_json::from_slice(v.value()).ok()
    }

    pub fn put_server(&self, url: &str, info: &ServerInfo) -> Result<(), String> {
        let w = self.db.begin_write().map_err(|e| self.fail("write", e))?;
        {
            let mut t = w.open_table(SERVERS).map_err(|e| self.fail("table", e))?;
            let bytes = serde_json::to_vec(info).map_err(|e| self.fail("encode", e))?;
            t.insert(url.trim_end_matches('/'), bytes.as_slice())
                .map_err(|e| self.fail("write", e))?;
        }
        w.commit().map_err(|e| self.fail("commit", e))
    }

    /// Every stored answer, in key order.
    pub fn entries(&self) -> Result<Vec<Entry>, String> {
        let r = self.db.begin_read().map_err(|e| self.fail("read", e))?;
        let t = r.open_table(ANSWERS).map_err(|e| self.fail("table", e))?;
        let mut out = Vec::new();
        for item in t.iter().map_err(|e| self.fail("read", e))? {
            let (k, v) = item.map_err(|e| self.fail("read", e))?;
            let Ok(stored) = serde_json::from_slice::<Stored>(v.value()) else {
                continue;
            };
            let parts = split_key(k.value());
            let [server, vs, system, version, code, display] = parts[..] else {
                continue;
            };
            let opt = |s: &str| (s != "-").then(|| s.to_string());
            out.push(Entry {
                server: server.to_string(),
                question: CodeQuestion {
                    value_set: opt(vs),
                    system: system.to_string(),
                    version: opt(version),
                    code: code.to_string(),
                    display: opt(display),
                },
                stored,
            });
        }
        Ok(out)
    }

    pub fn stats(&self) -> Result<Stats, String> {
        let mut s = Stats {
            file: self.path.display().to_string(),
            bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            ..Stats::default()
        };
        for e in self.entries()? {
            s.answers += 1;
            *s.by_server.entry(e.server.clone()).or_default() += 1;
            *s.by_verdict
                .entry(verdict_name(e.stored.answer.verdict).to_string())
                .or_default() += 1;
            s.oldest = Some(
                s.oldest
                    .map_or(e.stored.stored_at, |o| o.min(e.stored.stored_at)),
            );
            s.newest = Some(
                s.newest
                    .map_or(e.stored.stored_at, |o| o.max(e.stored.stored_at)),
            );
        }
        let r = self.db.begin_read().map_err(|e| self.fail("read", e))?;
        let t = r.open_table(SERVERS).map_err(|e| self.fail("table", e))?;
        for item in t.iter().map_err(|e| self.fail("read", e))? {
            let (k, v) = item.map_err(|e| self.fail("read", e))?;
            if let Ok(info) = serde_json::from_slice(v.value()) {
                s.servers.insert(k.value().to_string(), info);
            }
        }
        Ok(s)
    }

    /// Removes answers stored before `before` (epoch seconds), or from
    /// another server than `keep_server`; returns how many went.
    pub fn prune(&self, before: Option<i64>, keep_server: Option<&str>) -> Result<u64, String> {
        let doomed: Vec<String> = {
            let r = self.db.begin_read().map_err(|e| self.fail("read", e))?;
            let t = r.open_table(ANSWERS).map_err(|e| self.fail("table", e))?;
            let mut doomed = Vec::new();
            for item in t.iter().map_err(|e| self.fail("read", e))? {
                let (k, v) = item.map_err(|e| self.fail("read", e))?;
                let stored: Option<Stored> = serde_json::from_slice(v.value()).ok();
                let old = match (&stored, before) {
                    (Some(s), Some(b)) => s.stored_at < b,
                    (None, _) => true,
                    _ => false,
                };
                let other = keep_server.is_some_and(|keep| {
                    split_key(k.value()).first().copied() != Some(keep.trim_end_matches('/'))
                });
                if old || other {
                    doomed.push(k.value().to_string());
                }
            }
            doomed
        };
        let w = self.db.begin_write().map_err(|e| self.fail("write", e))?;
        {
            let mut t = w.open_table(ANSWERS).map_err(|e| self.fail("table", e))?;
            for k in &doomed {
                t.remove(k.as_str()).map_err(|e| self.fail("write", e))?;
            }
        }
        w.commit().map_err(|e| self.fail("commit", e))?;
        Ok(doomed.len() as u64)
    }

    pub fn len(&self) -> u64 {
        self.db
            .begin_read()
            .ok()
            .and_then(|r| r.open_table(ANSWERS).ok())
            .and_then(|t| t.len().ok())
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::NotInValueSet => "not-in-value-set",
        Verdict::InvalidCode => "invalid-code",
        Verdict::NotChecked => "not-checked",
    }
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An epoch second as an RFC 3339 time.
pub fn format_time(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| epoch.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(code: &str) -> CodeQuestion {
        CodeQuestion {
            value_set: Some("http://vs|1".into()),
            system: "http://snomed.info/sct".into(),
            version: None,
            code: code.into(),
            display: Some("A display".into()),
        }
    }

    fn stored(at: i64) -> Stored {
        Stored {
            answer: CodeAnswer {
                verdict: Verdict::Valid,
                message: None,
                display: Some("A display".into()),
                display_valid: Some(true),
                inactive: false,
                system_version: Some("v1".into()),
                unknown_system: None,
            },
            server_version: Some("1.0".into()),
            stored_at: at,
        }
    }

    #[test]
    fn stores_reads_exports_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TxCache::open(dir.path()).unwrap();
        let (a, b) = (
            key("http://tx", &q("1"), Some("v1")),
            key("http://other/", &q("2"), None),
        );
        cache
            .put_many(&[(a.clone(), stored(100)), (b.clone(), stored(200))])
            .unwrap();
        let got = cache.get_many(&[a.clone(), "nope".into()]).unwrap();
        assert_eq!(got[0], Some(stored(100)));
        assert_eq!(got[1], None);
        let entries = cache.entries().unwrap();
        assert_eq!(entries.len(), 2);
        let first = entries.iter().find(|e| e.question.code == "1").unwrap();
        assert_eq!(first.server, "http://tx");
        assert_eq!(first.question.value_set.as_deref(), Some("http://vs|1"));
        assert_eq!(first.question.version.as_deref(), Some("v1"));
        let stats = cache.stats().unwrap();
        assert_eq!(
            (stats.answers, stats.oldest, stats.newest),
            (2, Some(100), Some(200))
        );
        assert_eq!(stats.by_verdict["valid"], 2);
        // Reopened, the answers are still there.
        drop(cache);
        let cache = TxCache::open_existing(dir.path()).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.prune(None, Some("http://tx")).unwrap(), 1);
        assert_eq!(cache.prune(Some(150), None).unwrap(), 1);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_missing_cache_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = TxCache::open_existing(&dir.path().join("none"))
            .err()
            .unwrap();
        assert!(e.contains("no terminology cache"), "{e}");
    }
}
