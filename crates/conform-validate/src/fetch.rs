//! Resources a reference names outside the document being validated: what
//! the HL7 validator asks its resource fetcher for when its reference
//! policy checks existence (`CHECK_EXISTS_AND_TYPE`, `CHECK_VALID`) and a
//! reference resolves neither to a contained resource nor to an entry of
//! the enclosing Bundle.
//!
//! A [`ResourceFetcher`] answers a literal reference with the resource's
//! JSON text. conform's own is [`ResourceFolder`] (`--resolve-from`): the
//! resources of some files and folders, by type and id. conform never
//! fetches over the network: a FHIR server is what `conform probe` talks
//! to, and a validation run stays offline.
//!
//! With a fetcher, a reference that resolves there counts as resolved (no
//! `reference-not-resolved`), its resource's type is checked against the
//! element's target types, and under `check-valid` a profile's target
//! profiles are tried on it, as on a contained resource or Bundle entry.
//! A fetched resource is judged on its own (it has no container or
//! Bundle), so each answer about it is kept for the validator's life.

use crate::reference::{parse, Reference};
use conform_json::files::JsonFile;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Finds the resource a literal reference names, outside the document.
pub trait ResourceFetcher: Send + Sync {
    /// The resource `reference` (a literal reference as written: `Type/id`,
    /// an absolute URL, a `urn:`) names, as FHIR JSON text: `Ok(None)` when
    /// the fetcher knows no such resource, `Err` (why) when it knows one
    /// but cannot give it.
    fn fetch(&self, reference: &str) -> Result<Option<Arc<str>>, String>;
}

/// A fetched resource, read.
pub(crate) struct Fetched {
    pub(crate) text: Arc<str>,
    pub(crate) resource_type: String,
}

/// Texts kept at most, then forgotten all at once: a run over many
/// resources that name few others fetches each once, and one that names
/// many keeps memory bounded.
const KEPT_TEXTS: usize = 4096;

/// Answers about fetched resources against profiles kept at most, then
/// forgotten all at once.
const KEPT_ANSWERS: usize = 65536;

/// What a fetch gave: the resource, nothing, or why it cannot be used.
type FetchAnswer = Result<Option<Arc<Fetched>>, String>;

/// A validator's fetcher, with what it has learned: the texts fetched
/// (bounded) and each fetched resource's conformance to profiles.
pub(crate) struct External {
    fetcher: Arc<dyn ResourceFetcher>,
    texts: Mutex<FxHashMap<String, FetchAnswer>>,
    /// (reference, the profile plan's address) → conforms.
    conformances: Mutex<FxHashMap<(String, usize), bool>>,
}

impl External {
    pub(crate) fn new(fetcher: Arc<dyn ResourceFetcher>) -> External {
        External {
            fetcher,
            texts: Default::default(),
            conformances: Default::default(),
        }
    }

    /// The same fetcher, having learned nothing: for a validator whose
    /// options or definitions differ, so earlier answers may not hold.
    pub(crate) fn fresh(&self) -> External {
        External::new(self.fetcher.clone())
    }

    /// The resource `reference` names, read far enough to know its type.
    /// `Err` says why a resource the fetcher knows cannot be used.
    pub(crate) fn fetch(&self, reference: &str, limits: conform_json::Limits) -> FetchAnswer {
        if let Some(known) = lock(&self.texts).get(reference) {
            return known.clone();
        }
        let found = self.fetcher.fetch(reference).and_then(|text| {
            text.map(|text| {
                let resource_type = {
                    let doc = conform_json::parse_with_limits(text.as_bytes(), limits)
                        .map_err(|e| format!("it is not valid JSON: {}", e.message))?;
                    doc.get_str(doc.root(), "resourceType")
                        .ok_or("it has no resourceType")?
                        .to_string()
                };
                Ok(Arc::new(Fetched {
                    text,
                    resource_type,
                }))
            })
            .transpose()
        });
        let mut texts = lock(&self.texts);
        if texts.len() >= KEPT_TEXTS {
            texts.clear();
        }
        texts.insert(reference.to_string(), found.clone());
        found
    }

    /// What an earlier trial found of `reference` against a profile.
    pub(crate) fn known(&self, key: &(String, usize)) -> Option<bool> {
        lock(&self.conformances).get(key).copied()
    }

    pub(crate) fn remember(&self, key: (String, usize), conforms: bool) {
        let mut conformances = lock(&self.conformances);
        // bounded as the texts are: forgetting only costs a trial again
        if conformances.len() >= KEPT_ANSWERS {
            conformances.clear();
        }
        conformances.insert(key, conforms);
    }
}

/// A poisoned lock only means another thread panicked mid-insert into a
/// cache: what is in it is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The resources of some files and folders (`--resolve-from`), found by
/// type and id: a reference `Type/id` (or `Type/id/_history/v`, when the
/// resource's `meta.versionId` is `v` or absent) resolves to the resource
/// of that type and id. Each JSON file is one resource, each NDJSON line
/// one, each XML file one (read into JSON with the validator's
/// definitions). Absolute URLs and `urn:`s name resources on a server or in
/// a Bundle, not in files, and resolve to nothing here.
pub struct ResourceFolder {
    plans: Arc<crate::plan::Plans>,
    found: FxHashMap<String, Place>,
    /// The run's limits on what is read: a larger file or longer line
    /// resolves nothing (docs/limits.md).
    max_file_bytes: u64,
    max_line_bytes: u64,
    json_limits: conform_json::Limits,
}

/// Where one resource is, and its version.
#[derive(Clone, Debug)]
struct Place {
    file: PathBuf,
    /// Its byte range in an NDJSON file; `None`: the whole file.
    range: Option<(u64, u64)>,
    version: Option<String>,
    /// Another file has a resource of the same type and id.
    also: Option<PathBuf>,
}

/// A `--resolve-from` path that cannot be used.
#[derive(Debug)]
pub struct FolderError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for FolderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot resolve references from {}: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for FolderError {}

impl ResourceFolder {
    /// Indexes the resources of `paths` (files, or folders walked as
    /// validation walks them). A path that does not exist or a folder that
    /// cannot be listed is an error; a file that holds no resource (not
    /// FHIR, broken JSON) is skipped, as it resolves nothing.
    pub fn index(v: &crate::Validator, paths: &[PathBuf]) -> Result<ResourceFolder, FolderError> {
        let options = v.options();
        let mut folder = ResourceFolder {
            plans: v.plans.clone(),
            found: FxHashMap::default(),
            max_file_bytes: options.max_file_bytes,
            max_line_bytes: options.max_line_bytes,
            json_limits: options.json_limits(),
        };
        for path in paths {
            let files = crate::input::payload_paths(path).map_err(|e| FolderError {
                path: path.clone(),
                message: e.to_string(),
            })?;
            for file in files {
                let file = file.map_err(|e| FolderError {
                    path: e.path,
                    message: e.message,
                })?;
                folder.add_file(&file);
            }
        }
        Ok(folder)
    }

    /// How many resources were found.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    fn add_file(&mut self, file: &Path) {
        if JsonFile::of(file) == Some(JsonFile::Lines) {
            self.add_lines(file);
            return;
        }
        let too_large = std::fs::metadata(file).map_or(true, |m| m.len() > self.max_file_bytes);
        if too_large {
            return;
        }
        let Ok(bytes) = std::fs::read(file) else {
            return;
        };
        if conform_xml::looks_like_xml(&bytes) {
            if let Ok(json) = crate::xml::resource_to_json(&self.plans, &bytes) {
                self.add(file, None, json.as_bytes());
            }
        } else {
            self.add(file, None, &bytes);
        }
    }

    /// An NDJSON file's resources, a line at a time: memory stays within
    /// one line however large the file.
    fn add_lines(&mut self, file: &Path) {
        use std::io::{BufRead, Read};
        let Ok(f) = std::fs::File::open(file) else {
            return;
        };
        let mut reader = std::io::BufReader::new(f);
        let mut line = Vec::new();
        let mut start = 0u64;
        loop {
            line.clear();
            let limit = self.max_line_bytes.saturating_add(1);
            let Ok(n) = (&mut reader).take(limit).read_until(b'\n', &mut line) else {
                return;
            };
            if n == 0 {
                return;
            }
            let ended = line.last() == Some(&b'\n');
            let mut next = start + n as u64;
            if !ended && n as u64 >= limit {
                // longer than a line may be: skipped unread, as validation skips it
                match reader.skip_until(b'\n') {
                    Ok(rest) => next += rest as u64,
                    Err(_) => return,
                }
            } else {
                let content = line.strip_suffix(b"\n").unwrap_or(&line);
                let end = start + content.len() as u64;
                self.add(file, Some((start, end)), content);
            }
            start = next;
        }
    }

    fn add(&mut self, file: &Path, range: Option<(u64, u64)>, json: &[u8]) {
        let Ok(doc) = conform_json::parse_with_limits(json, self.json_limits) else {
            return;
        };
        let root = doc.root();
        let (Some(ty), Some(id)) = (doc.get_str(root, "resourceType"), doc.get_str(root, "id"))
        else {
            return;
        };
        let version = doc
            .get(root, "meta")
            .and_then(|m| doc.get_str(m, "versionId"))
            .map(|v| v.to_string());
        let place = Place {
            file: file.to_path_buf(),
            range,
            version,
            also: None,
        };
        self.found
            .entry(format!("{ty}/{id}"))
            .and_modify(|first| {
                first.also.get_or_insert_with(|| file.to_path_buf());
            })
            .or_insert(place);
    }

    fn read(&self, place: &Place) -> Result<String, String> {
        let bytes = match place.range {
            None => std::fs::read(&place.file),
            Some((start, end)) => read_range(&place.file, start, end),
        }
        .map_err(|e| format!("{}: {e}", place.file.display()))?;
        if conform_xml::looks_like_xml(&bytes) {
            return crate::xml::resource_to_json(&self.plans, &bytes)
                .map_err(|e| format!("{}: {e}", place.file.display()));
        }
        String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", place.file.display()))
    }
}

fn read_range(file: &Path, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file)?;
    f.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((end - start) as usize);
    f.take(end - start).read_to_end(&mut bytes)?;
    Ok(bytes)
}

impl ResourceFetcher for ResourceFolder {
    fn fetch(&self, reference: &str) -> Result<Option<Arc<str>>, String> {
        let Ok(Reference::Relative(r)) = parse(reference) else {
            return Ok(None);
        };
        let Some(place) = self.found.get(&format!("{}/{}", r.resource_type, r.id)) else {
            return Ok(None);
        };
        if let (Some(wanted), Some(held)) = (&r.version, &place.version) {
            if wanted.as_ref() != held {
                return Ok(None);
            }
        }
        if let Some(also) = &place.also {
            return Err(format!(
                "both {} and {} hold a {} with id '{}'",
                place.file.display(),
                also.display(),
                r.resource_type,
                r.id
            ));
        }
        self.read(place).map(|text| Some(Arc::from(text)))
    }
}
