//! Finding (or installing once) the peer programs: SEKMET in a venv under
//! `target/peers`, nginx and chromium from Debian. A lock file keeps concurrent test
//! binaries from installing twice.

use crate::process::run;
use crate::PeerResult;
use std::ffi::OsStr;
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
/// apt-get on first use.
pub fn nginx_binary() -> PeerResult<PathBuf> {
    NGINX.binary()
}

/// Headless chromium (the HTML scorecard test renders its report in it):
/// `$CONFORM_CHROMIUM`, `/usr/bin/chromium`, or on `PATH`; installed with
/// apt-get on first use, so `cargo test --workspace` passes on a fresh
/// Debian machine without `.ci/run` preparing it.
pub fn chromium_binary() -> PeerResult<PathBuf> {
    CHROMIUM.binary()
}

/// A program Debian packages, found where Debian puts it or on `PATH`, and
/// installed with `apt-get` (under a lock, so concurrent test binaries install
/// once) when it is missing.
pub struct DebianProgram {
    /// Environment variable that names the program explicitly.
    pub env: &'static str,
    /// Absolute paths tried first, in order.
    pub paths: &'static [&'static str],
    /// File names looked up on `PATH` after those.
    pub names: &'static [&'static str],
    /// The Debian package that provides it.
    pub package: &'static str,
}

/// nginx for the mTLS front.
pub const NGINX: DebianProgram = DebianProgram {
    env: "CONFORM_NGINX",
    paths: &["/usr/sbin/nginx"],
    names: &["nginx"],
    package: "nginx-light",
};

/// chromium for the HTML scorecard test.
pub const CHROMIUM: DebianProgram = DebianProgram {
    env: "CONFORM_CHROMIUM",
    paths: &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    names: &["chromium", "chromium-browser"],
    package: "chromium",
};

impl DebianProgram {
    /// The program's path, installing its package first if it is missing.
    pub fn binary(&self) -> PeerResult<PathBuf> {
        if let Some(p) = std::env::var_os(self.env) {
            return Ok(PathBuf::from(p));
        }
        self.binary_on(std::env::var_os("PATH").as_deref())
    }

    /// [`Self::binary`] with `search` as `PATH` (for the program and for
    /// `apt-get`), so the install path can be tested without uninstalling.
    pub fn binary_on(&self, search: Option<&OsStr>) -> PeerResult<PathBuf> {
        if let Some(p) = self.find(search) {
            return Ok(p);
        }
        with_lock(&peers_dir(), self.package, || {
            if self.find(search).is_some() {
                return Ok(());
            }
            self.apt_install(search)
        })?;
        self.find(search).ok_or_else(|| {
            format!(
                "{} is not installed although `apt-get install {}` succeeded; {}",
                self.names[0],
                self.package,
                self.remedy()
            )
        })
    }

    /// The first existing file among the fixed paths, then the names on `search`.
    pub fn find(&self, search: Option<&OsStr>) -> Option<PathBuf> {
        let fixed = self.paths.iter().map(PathBuf::from);
        let on_path = search
            .map(|s| std::env::split_paths(s).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|dir| self.names.iter().map(move |n| dir.join(n)));
        fixed.chain(on_path).find(|p| p.is_file())
    }

    /// `apt-get install`, retried after `apt-get update` (a fresh machine's
    /// package lists are often missing or stale).
    fn apt_install(&self, search: Option<&OsStr>) -> PeerResult<()> {
        let apt = search
            .map(|s| std::env::split_paths(s).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|dir| dir.join("apt-get"))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "{} is missing and apt-get is not available to install it; {}",
                    self.names[0],
                    self.remedy()
                )
            })?;
        let apt_get = |args: &[&str]| {
            run(Command::new(&apt)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(args))
        };
        let install = ["install", "-y", "-q", self.package];
        apt_get(&install)
            .or_else(|_| {
                apt_get(&["update", "-q"])?;
                apt_get(&install)
            })
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "{} is missing and `apt-get install {}` failed ({e}); {}",
                    self.names[0],
                    self.package,
                    self.remedy()
                )
            })
    }

    fn remedy(&self) -> String {
        format!(
            "install the Debian package {} (as root: apt-get install -y {}) \
             or set {} to the program's path",
            self.package, self.package, self.env
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A program no machine has, so the install path is exercised without
    /// uninstalling anything real.
    const ABSENT: DebianProgram = DebianProgram {
        env: "CONFORM_TEST_ABSENT",
        paths: &["/nonexistent/conform-absent"],
        names: &["conform-absent"],
        package: "conform-absent-package",
    };

    #[test]
    fn chromium_is_found_where_debian_puts_it() {
        if !Path::new("/usr/bin/chromium").is_file() {
            // Nothing to find on this machine; the install path is tested below.
            return;
        }
        let empty = tempfile::tempdir().unwrap();
        let found = CHROMIUM.binary_on(Some(empty.path().as_os_str())).unwrap();
        assert_eq!(found, PathBuf::from("/usr/bin/chromium"));
    }

    #[test]
    fn a_program_on_path_is_found_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("conform-absent"), "").unwrap();
        let found = ABSENT.find(Some(dir.path().as_os_str())).unwrap();
        assert_eq!(found, dir.path().join("conform-absent"));
    }

    #[test]
    fn without_apt_get_the_error_says_what_to_install() {
        let empty = tempfile::tempdir().unwrap();
        let err = ABSENT
            .binary_on(Some(empty.path().as_os_str()))
            .unwrap_err();
        assert!(err.contains("apt-get is not available"), "{err}");
        assert!(
            err.contains("apt-get install -y conform-absent-package"),
            "{err}"
        );
        assert!(err.contains("CONFORM_TEST_ABSENT"), "{err}");
    }

    #[test]
    fn a_failing_apt_get_is_reported_with_its_remedy() {
        let dir = tempfile::tempdir().unwrap();
        let apt = dir.path().join("apt-get");
        std::fs::write(
            &apt,
            "#!/bin/sh\necho \"E: no such package $*\" >&2\nexit 100\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&apt, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = ABSENT.binary_on(Some(dir.path().as_os_str())).unwrap_err();
        assert!(
            err.contains("`apt-get install conform-absent-package` failed"),
            "{err}"
        );
        assert!(err.contains("E: no such package"), "{err}");
        assert!(err.contains("set CONFORM_TEST_ABSENT"), "{err}");
    }
}
