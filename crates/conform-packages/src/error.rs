//! The one error type of this crate.
//!
//! Every message names the package (or the file, before the package is known)
//! and the file inside it, because the person reading it has to find and fix
//! that file; "invalid JSON" alone is useless when 4,000 files are loaded.

use std::path::PathBuf;

/// Everything that can go wrong while finding, fetching or loading packages.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A package id could not be found anywhere we are allowed to look.
    #[error("{}", not_found_message(package, required_by.as_deref(), searched, *offline))]
    NotFound {
        /// `id#version` (or just `id` when no version was asked for).
        package: String,
        /// The package whose `dependencies` asked for it, if any.
        required_by: Option<String>,
        /// Human-readable list of the places looked at.
        searched: Vec<String>,
        /// True when the registry was not asked because we are offline.
        offline: bool,
    },

    /// The registry could not be reached (DNS, refused, timeout, TLS).
    /// Kept apart from other failures because callers map it to its own exit code.
    #[error("cannot reach the package registry for {package} at {url}: {reason}")]
    Network {
        /// The package being fetched.
        package: String,
        /// The URL that failed.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },

    /// The registry answered, but not with something usable (HTTP 500, bad metadata).
    #[error("package registry answered badly for {package} at {url}: {reason}")]
    Registry {
        /// The package being fetched.
        package: String,
        /// The URL asked.
        url: String,
        /// What was wrong with the answer.
        reason: String,
    },

    /// A downloaded tarball does not match the checksum the registry published.
    #[error("package {package}: download from {url} has sha1 {actual}, but the registry says {expected}; nothing was installed")]
    Checksum {
        /// The package being installed.
        package: String,
        /// Where it was downloaded from.
        url: String,
        /// The sha1 the registry published.
        expected: String,
        /// The sha1 of what we received.
        actual: String,
    },

    /// A package is for another FHIR release than the rest: releases share
    /// canonical URLs, so their definitions must never be mixed.
    #[error("package {package} is for FHIR {declared}, but this run validates {release} ({chosen_by}): the releases define the same canonical URLs, so they cannot be loaded together; use packages of one release (--fhir-version chooses it)")]
    MixedReleases {
        /// The package of the other release.
        package: String,
        /// Its `fhirVersions`.
        declared: String,
        /// The run's release, described.
        release: String,
        /// Why that is the run's release.
        chosen_by: String,
    },

    /// Reading or writing a file or folder failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What we were doing ("reading", "creating folder", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A tarball is not a readable gzip/tar archive, or holds something unsafe.
    #[error("package {package}: {reason}")]
    BadArchive {
        /// The package id or the tarball path.
        package: String,
        /// What is wrong, naming the entry when there is one.
        reason: String,
    },

    /// A package holds no usable `package/package.json`, or it lacks name/version.
    #[error("package {package}: {file}: {reason}")]
    BadManifest {
        /// The package id or its location.
        package: String,
        /// The manifest file (inside the package).
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A JSON file of a package is not valid JSON.
    #[error("package {package}: file {file} is not valid JSON: {source}")]
    BadJson {
        /// The package id or its location.
        package: String,
        /// The file inside the package (or the path, for loose files).
        file: String,
        /// The parser's error, with line and column.
        source: serde_json::Error,
    },

    /// A loose FHIR XML file could not be read into its JSON form (bad
    /// XML, not FHIR, or no core definitions loaded to map it with).
    #[error("package {package}: file {file} is not usable FHIR XML: {reason}")]
    BadXml {
        /// The package id or its location.
        package: String,
        /// The path of the loose file.
        file: String,
        /// Why, with the place in the file where the reader has one.
        reason: String,
    },

    /// The package found is not the one asked for (name or version differ).
    #[error("package {requested}: {location} holds {found} instead")]
    WrongPackage {
        /// What was asked for.
        requested: String,
        /// Where the mismatch was found.
        location: String,
        /// What `package.json` says.
        found: String,
    },

    /// A substitution's package version could not be found: the rule
    /// (`id#version=other`) is named, then why.
    #[error("substitution {rule}: {source}")]
    Substitution {
        /// The rule, as `--substitute` writes it.
        rule: String,
        /// Why its version could not be had (usually [`PackageError::NotFound`]).
        source: Box<PackageError>,
    },

    /// Text that is neither an existing path nor a package id.
    #[error("{input:?} is not a package: {reason}")]
    InvalidSpec {
        /// What the user typed.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl PackageError {
    /// Wraps an I/O error with what we were doing and on which path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        PackageError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Builds the NotFound text: what, where we looked, and how to get it, so the
/// user can act on the message without reading documentation.
fn not_found_message(
    package: &str,
    required_by: Option<&str>,
    searched: &[String],
    offline: bool,
) -> String {
    let mut msg = format!("package {package} not found");
    if let Some(parent) = required_by {
        msg.push_str(&format!(" (required by {parent})"));
    }
    if searched.is_empty() {
        msg.push_str("; nowhere to look");
    } else {
        msg.push_str("; searched ");
        msg.push_str(&searched.join(", "));
    }
    if offline {
        msg.push_str("; offline, so the registry was not asked");
    }
    let tgz = match package.split_once('#') {
        Some((name, version)) => format!("{name}-{version}.tgz"),
        None => format!("{package}-<version>.tgz"),
    };
    msg.push_str(&format!(
        ". To get it: run `conform package install {package}`, \
         or pass `--package-source DIR` for a folder holding {tgz}, \
         or run `conform package import FILE.tgz`"
    ));
    if required_by.is_some() {
        let name = package.split_once('#').map_or(package, |(n, _)| n);
        msg.push_str(&format!(
            ". Or load another version in its place (`--substitute {package}=VERSION`, \
             [packages.substitute] in conform.toml), or load {parent} without it \
             (`--allow-missing-deps`); see `conform package list` for the versions of {name} here",
            parent = required_by.unwrap_or_default()
        ));
    }
    msg
}
