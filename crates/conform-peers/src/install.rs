//! Finding (or installing once) the peer programs: SEKMET in a venv under
//! `target/peers`, nginx from Debian. A lock file keeps concurrent test
//! binaries from installing twice.

use crate::process::run;
use crate::PeerResult;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned SEKMET release.
pub const SEKMET_REQUIREMENT: &str = "sekmet-fhir==0.1.1";

/// `$CARGO_TARGET_DIR/peers` (default `target/peers` in the workspace).
pub fn peers_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("peers")
}

/// The `sekmet` program: `$CONFORM_SEKMET`, else the venv's, installed
/// into `target/peers/venv` on first use.
pub fn sekmet_binary() -> PeerResult<PathBuf> {
    if let Some(p) = std::env::var_os("CONFORM_SEKMET") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("CONFORM_SEKMET={} is not a file", p.display()))
        };
    }
    let dir = peers_dir();
    let bin = dir.join("venv/bin/sekmet");
    let marker = dir.join("venv/.sekmet-installed");
    if marker.is_file() && bin.is_file() {
        return Ok(bin);
    }
    with_lock(&dir, "sekmet", || {
        if marker.is_file() && bin.is_file() {
            return Ok(());
        }
        let venv = dir.join("venv");
        if !venv.join("bin/pip").is_file() {
            run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        }
        run(Command::new(venv.join("bin/pip")).args(["install", "-q", SEKMET_REQUIREMENT]))?;
        std::fs::write(&marker, SEKMET_REQUIREMENT).map_err(|e| e.to_string())
    })?;
    Ok(bin)
}

/// nginx: `$CONFORM_NGINX`, `/usr/sbin/nginx`, or on `PATH`; installed with
/// `apt-get install -y nginx-light` when missing and we are root.
pub fn nginx_binary() -> PeerResult<PathBuf> {
    if let Some(p) = std::env::var_os("CONFORM_NGINX") {
        return Ok(PathBuf::from(p));
    }
    let find = || {
        std::iter::once(PathBuf::from("/usr/sbin/nginx"))
            .chain(
                std::env::var_os("PATH")
                    .map(|p| {
                        std::env::split_paths(&p)
                            .map(|d| d.join("nginx"))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            )
            .find(|p| p.is_file())
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    with_lock(&peers_dir(), "nginx", || {
        if find().is_some() {
            return Ok(());
        }
        run(Command::new("apt-get").args(["install", "-y", "-q", "nginx-light"]))
            .or_else(|_| {
                run(Command::new("apt-get").args(["update", "-q"]))?;
                run(Command::new("apt-get").args(["install", "-y", "-q", "nginx-light"]))
            })
            .map(|_| ())
    })?;
    find().ok_or_else(|| "nginx is not installed (apt-get install nginx-light)".into())
}

fn with_lock(dir: &Path, name: &str, f: impl FnOnce() -> PeerResult<()>) -> PeerResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lock = std::fs::File::create(dir.join(format!("{name}.lock")))
        .map_err(|e| format!("lock file: {e}"))?;
    lock.lock().map_err(|e| format!("lock: {e}"))?;
    let r = f();
    let _ = lock.unlock();
    r
}
